#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/lib/meminfo.h"
#include "vmm/lib/parse.h"
#include "vmm/server/placement.h"

/* What one NUMA node can offer the server being placed. */
struct node_offer {
	hwloc_obj_t node;
	unsigned int free_cores;
	uint64_t free_memory;
};

static int libnuma_node_free_memory(unsigned int node, uint64_t *bytes, void *arg)
{
	long long free_bytes;

	(void)arg;
	if (numa_node_size64((int)node, &free_bytes) < 0)
		return -EINVAL;
	*bytes = (uint64_t)free_bytes;
	return 0;
}

/*
 * Placement needs only cores and NUMA nodes, which hwloc's built-in Linux
 * discovery provides. hwloc_topology_init() dlopen()s every plugin it finds
 * (PCI, OpenCL, GL, libxml2) even when they are block-listed, and that was
 * 85% of the instructions `sheer run` spends before the guest starts; an
 * empty plugin path while it initialises skips them. The operator's
 * environment is restored at once, so later hwloc users see their plugins.
 */
static int topology_init_without_plugins(hwloc_topology_t *topology)
{
	const char *saved = getenv("HWLOC_PLUGINS_PATH");
	char *copy = saved ? strdup(saved) : NULL;
	int ret;

	if (saved && !copy)
		return -ENOMEM;
	setenv("HWLOC_PLUGINS_PATH", "", 1);
	ret = hwloc_topology_init(topology) < 0 ? -ENOMEM : 0;
	if (copy)
		setenv("HWLOC_PLUGINS_PATH", copy, 1);
	else
		unsetenv("HWLOC_PLUGINS_PATH");
	free(copy);
	return ret;
}

static int topology_load(hwloc_topology_t *topology, const char *xml_path)
{
	if (topology_init_without_plugins(topology) < 0)
		return -ENOMEM;
	if ((xml_path && hwloc_topology_set_xml(*topology, xml_path) < 0) || hwloc_topology_load(*topology) < 0) {
		hwloc_topology_destroy(*topology);
		return -EIO;
	}
	return 0;
}

int placement_host_load(struct placement_host *host, const char *xml_path, char *err, size_t errlen)
{
	int ret;

	memset(host, 0, sizeof(*host));
	ret = meminfo_read("MemAvailable", &host->memory_available);
	if (ret < 0) {
		snprintf(err, errlen, "/proc/meminfo: no MemAvailable: %s", strerror(-ret));
		return ret;
	}
	ret = topology_load(&host->topology, xml_path);
	if (ret < 0) {
		snprintf(err, errlen, "hwloc: cannot read the host topology");
		return ret;
	}
	host->held = hwloc_bitmap_alloc();
	if (!host->held) {
		hwloc_topology_destroy(host->topology);
		return -ENOMEM;
	}
	if (numa_available() >= 0)
		host->node_free_memory = libnuma_node_free_memory;
	return 0;
}

void placement_host_free(struct placement_host *host)
{
	hwloc_bitmap_free(host->held);
	if (host->topology)
		hwloc_topology_destroy(host->topology);
	memset(host, 0, sizeof(*host));
}

/* Cores, or logical CPUs on the odd topology that reports no cores. */
static hwloc_obj_type_t core_type(hwloc_topology_t topology)
{
	return hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

static bool core_is_free(const struct placement_host *host, hwloc_obj_t core, hwloc_obj_t node)
{
	return hwloc_bitmap_isincluded(core->cpuset, node->cpuset) && !hwloc_bitmap_intersects(core->cpuset, host->held);
}

static unsigned int node_free_cores(const struct placement_host *host, hwloc_obj_t node)
{
	hwloc_obj_type_t type = core_type(host->topology);
	hwloc_obj_t core = NULL;
	unsigned int count = 0;

	while ((core = hwloc_get_next_obj_by_type(host->topology, type, core)))
		count += core_is_free(host, core, node);
	return count;
}

static unsigned int numa_node_count(hwloc_topology_t topology)
{
	return (unsigned int)hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
}

/* On a one-node host a node's free memory says less than MemAvailable, which counts reclaimable cache. */
static uint64_t node_free_memory(const struct placement_host *host, hwloc_obj_t node)
{
	uint64_t bytes;

	if (numa_node_count(host->topology) > 1 && host->node_free_memory &&
	    host->node_free_memory(node->os_index, &bytes, host->node_free_memory_arg) == 0)
		return bytes;
	return host->memory_available;
}

static struct node_offer node_offer(const struct placement_host *host, hwloc_obj_t node, bool dedicated)
{
	struct node_offer offer = { node, 0, node_free_memory(host, node) };

	offer.free_cores = dedicated ? node_free_cores(host, node) : UINT32_MAX;
	return offer;
}

static bool offer_fits(const struct node_offer *offer, const struct server_config *cfg)
{
	return offer->free_cores >= cfg->cpus && offer->free_memory >= cfg->memory_bytes;
}

/* How the nodes compare, for choosing and for explaining a refusal. */
struct node_survey {
	struct node_offer best;		/* fits, most free memory */
	struct node_offer most_cores;	/* the most free cores, fit or not */
	struct node_offer most_memory;	/* the most free memory among nodes with enough cores */
};

static void survey_nodes(const struct placement_host *host, const struct server_spec *spec,
			 struct node_survey *survey)
{
	hwloc_obj_t node = NULL;

	memset(survey, 0, sizeof(*survey));
	while ((node = hwloc_get_next_obj_by_type(host->topology, HWLOC_OBJ_NUMANODE, node))) {
		struct node_offer offer;

		if (spec->cfg.numa_node >= 0 && node->os_index != (unsigned int)spec->cfg.numa_node)
			continue;
		offer = node_offer(host, node, spec->dedicated_cores);
		if (!survey->most_cores.node || offer.free_cores > survey->most_cores.free_cores)
			survey->most_cores = offer;
		if (offer.free_cores < spec->cfg.cpus)
			continue;
		if (!survey->most_memory.node || offer.free_memory > survey->most_memory.free_memory)
			survey->most_memory = offer;
		if (offer_fits(&offer, &spec->cfg) && (!survey->best.node || offer.free_memory > survey->best.free_memory))
			survey->best = offer;
	}
}

/* Entries may name CPUs this host does not have (hand-edited, or taken offline): count the real ones. */
static int held_on_host(const struct placement_host *host)
{
	hwloc_bitmap_t real = hwloc_bitmap_alloc();
	int count;

	if (!real)
		return hwloc_bitmap_weight(host->held);
	hwloc_bitmap_and(real, host->held, hwloc_topology_get_topology_cpuset(host->topology));
	count = hwloc_bitmap_weight(real);
	hwloc_bitmap_free(real);
	return count;
}

static int explain_misfit(const struct placement_host *host, const struct server_spec *spec,
			  const struct node_survey *survey, char *err, size_t errlen)
{
	const struct server_config *cfg = &spec->cfg;
	char asked[32], free_text[32];

	if (!survey->most_cores.node) {
		snprintf(err, errlen, "%s: numa_node %d does not exist (the host has %u NUMA nodes)", cfg->name,
			 cfg->numa_node, numa_node_count(host->topology));
		return -EINVAL;
	}
	if (!survey->most_memory.node) {
		snprintf(err, errlen,
			 "%s: %u dedicated cores asked, only %u free on %s (%d CPUs held by other servers; "
			 "ask fewer cpus or set dedicated_cores = no)",
			 cfg->name, cfg->cpus, survey->most_cores.free_cores,
			 cfg->numa_node >= 0 ? "that NUMA node" : "any one NUMA node", held_on_host(host));
		return -ENOSPC;
	}
	format_size(cfg->memory_bytes, asked, sizeof(asked));
	format_size(survey->most_memory.free_memory, free_text, sizeof(free_text));
	snprintf(err, errlen, "%s: %s of memory asked, only %s free%s", cfg->name, asked, free_text,
		 numa_node_count(host->topology) > 1 ? " on a NUMA node with enough free cores" : " on the host");
	return -ENOSPC;
}

static bool core_holds_cpu0(hwloc_obj_t core)
{
	return hwloc_bitmap_isset(core->cpuset, 0);
}

/* Take cpus free cores of the node, the one holding CPU 0 last. */
static void take_cores(const struct placement_host *host, hwloc_obj_t node, struct server_config *cfg,
		       hwloc_bitmap_t taken)
{
	hwloc_obj_type_t type = core_type(host->topology);
	unsigned int vcpu = 0;

	for (int pass = 0; pass < 2; pass++) {
		hwloc_obj_t core = NULL;

		while (vcpu < cfg->cpus && (core = hwloc_get_next_obj_by_type(host->topology, type, core))) {
			if (core_holds_cpu0(core) != (pass == 1) || !core_is_free(host, core, node))
				continue;
			cfg->host_cpu[vcpu++] = hwloc_bitmap_first(core->cpuset);
			hwloc_bitmap_or(taken, taken, core->cpuset);
		}
	}
}

static int check_online_cpus(const struct placement_host *host, const struct server_config *cfg,
			     char *err, size_t errlen)
{
	int online = hwloc_get_nbobjs_by_type(host->topology, HWLOC_OBJ_PU);

	if (online > 0 && cfg->cpus <= (unsigned int)online)
		return 0;
	snprintf(err, errlen, "%s: %u cpus asked, the host has %d online", cfg->name, cfg->cpus, online);
	return -ENOSPC;
}

int placement_choose(const struct placement_host *host, struct server_spec *spec, hwloc_bitmap_t taken,
		     char *err, size_t errlen)
{
	struct server_config *cfg = &spec->cfg;
	struct node_survey survey;
	int ret;

	hwloc_bitmap_zero(taken);
	ret = check_online_cpus(host, cfg, err, errlen);
	if (ret < 0)
		return ret;
	survey_nodes(host, spec, &survey);
	if (!survey.best.node)
		return explain_misfit(host, spec, &survey, err, errlen);
	for (unsigned int i = 0; i < SERVER_MAX_CPUS; i++)
		cfg->host_cpu[i] = -1;
	if (spec->dedicated_cores)
		take_cores(host, survey.best.node, cfg, taken);
	/* Binding to the only node there is would change nothing; asking for it explicitly still binds. */
	if (cfg->numa_node < 0 && numa_node_count(host->topology) > 1)
		cfg->numa_node = (int)survey.best.node->os_index;
	return 0;
}

int placement_apply(const struct server_config *cfg)
{
	struct bitmask *nodes;

	if (cfg->numa_node < 0 || numa_available() < 0)
		return 0;
	if (cfg->numa_node > numa_max_node())
		return -EINVAL;
	nodes = numa_allocate_nodemask();
	if (!nodes)
		return -ENOMEM;
	numa_bitmask_setbit(nodes, (unsigned int)cfg->numa_node);
	numa_set_membind(nodes);
	numa_free_nodemask(nodes);
	return numa_run_on_node(cfg->numa_node) < 0 ? -errno : 0;
}
