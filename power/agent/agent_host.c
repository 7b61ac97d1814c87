#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu/host_fs.h"
#include "iommu/pci_function.h"
#include "passthru/host/device_info.h"
#include "power/agent/agent_exec.h"
#include "power/agent/agent_host.h"
#include "vmm/lib/meminfo.h"
#include "vmm/server/definitions.h"
#include "vmm/server/exporter.h"
#include "vmm/server/metrics.h"

void agent_host_name(char *out, size_t outlen)
{
	if (gethostname(out, outlen) < 0 || !out[0])
		snprintf(out, outlen, "localhost");
	out[outlen - 1] = '\0';
	agent_exec_clean(out, false);
}

/* {"pci": BDF, "id": "vendor:device"}: the model from sysfs, null for a device this host does not have. */
static json_t *device_json(const struct host_fs *fs, const char *bdf)
{
	struct pci_function fn;
	char id[16];

	if (pci_function_read(fs, bdf, &fn) < 0)
		return json_pack("{s:s, s:n}", "pci", bdf);
	snprintf(id, sizeof(id), "%04x:%04x", fn.vendor, fn.device);
	return json_pack("{s:s, s:s}", "pci", bdf, "id", id);
}

static json_t *server_json(const char *name, const char *state, bool running, unsigned int cpus, uint64_t memory)
{
	return json_pack("{s:s, s:s, s:b, s:i, s:I, s:[]}", "name", name, "state", state, "running", running, "vcpus",
			 (int)cpus, "memory_mib", (json_int_t)(memory >> 20), "devices");
}

/* A running server as it answered ("unknown" when it did not), with its vCPUs' CPU time when known. */
static json_t *running_json(const struct host_fs *fs, const struct server_metrics *m)
{
	const struct control_status *s = &m->status;
	json_t *server = server_json(m->name, m->up ? s->state : "unknown", true, s->cpus, s->memory_bytes);
	double seconds = 0;

	if (server && m->has_vcpu_seconds) {
		for (unsigned int i = 0; i < s->cpus && i < SERVER_MAX_CPUS; i++)
			seconds += m->vcpu_seconds[i];
		json_object_set_new(server, "vcpu_seconds", json_real(seconds));
	}
	for (unsigned int i = 0; server && i < s->n_devices && i < SERVER_MAX_DEVICES; i++)
		json_array_append_new(json_object_get(server, "devices"), device_json(fs, s->devices[i]));
	return server;
}

/* A defined server that is stopped, as its definition says (zeros for one that no longer loads). */
static json_t *stopped_json(const struct host_fs *fs, const struct definitions *defs, const char *name)
{
	struct server_spec spec;
	bool loads = definitions_load(defs, name, &spec) == 0;
	json_t *server = server_json(name, "stopped", false, loads ? spec.cfg.cpus : 0, loads ? spec.cfg.memory_bytes : 0);

	for (unsigned int i = 0; server && loads && i < spec.cfg.n_devices; i++)
		json_array_append_new(json_object_get(server, "devices"), device_json(fs, spec.cfg.devices[i].pci));
	return server;
}

static json_t *servers_json(char *err, size_t errlen)
{
	struct server_metrics *servers;
	struct definitions defs;
	struct host_fs fs;
	json_t *list;
	size_t n;

	if (exporter_collect(&servers, &n, err, errlen) < 0)
		return NULL;
	host_fs_init(&fs, NULL);
	list = json_array();
	if (definitions_open(&defs) < 0)
		defs.dir[0] = '\0';
	for (size_t i = 0; list && i < n; i++)
		json_array_append_new(list, servers[i].running ? running_json(&fs, &servers[i])
							       : stopped_json(&fs, &defs, servers[i].name));
	free(servers);
	if (!list)
		snprintf(err, errlen, "out of memory");
	return list;
}

/* Assignable and held by no running server; bridges never go to a server. */
static bool device_is_free(const struct device_info *info)
{
	return info->assignable && !(info->claimed && info->claim_live) &&
	       strcmp(pci_function_kind(&info->fn), "bridge") != 0;
}

static json_t *free_devices_json(char *err, size_t errlen)
{
	struct device_table table;
	json_t *list;
	int ret = device_table_scan(&table);

	if (ret < 0) {
		snprintf(err, errlen, "cannot list the host's PCI devices: %s", strerror(-ret));
		return NULL;
	}
	device_table_fill_holders(&table);
	list = json_array();
	for (unsigned int i = 0; list && i < table.count; i++) {
		const struct device_info *info = &table.rows[i];
		char id[16], name[sizeof(info->name)];

		if (!device_is_free(info))
			continue;
		snprintf(id, sizeof(id), "%04x:%04x", info->fn.vendor, info->fn.device);
		snprintf(name, sizeof(name), "%s", info->name);
		agent_exec_clean(name, false);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:i}", "pci", info->fn.bdf, "id", id, "kind",
						      pci_function_kind(&info->fn), "name", name, "numa_node",
						      info->fn.numa_node));
	}
	device_table_free(&table);
	return list;
}

json_t *agent_host_report(char *err, size_t errlen)
{
	uint64_t total = 0, available = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char host[256];
	json_t *servers, *devices;

	if (meminfo_read("MemTotal", &total) < 0 || meminfo_read("MemAvailable", &available) < 0) {
		snprintf(err, errlen, "/proc/meminfo: no MemTotal or MemAvailable");
		return NULL;
	}
	servers = servers_json(err, errlen);
	devices = servers ? free_devices_json(err, errlen) : NULL;
	if (!devices) {
		json_decref(servers);
		return NULL;
	}
	agent_host_name(host, sizeof(host));
	return json_pack("{s:s, s:i, s:I, s:I, s:o, s:o}", "host", host, "cpus_online", cpus > 0 ? (int)cpus : 1,
			 "memory_total_mib", (json_int_t)(total >> 20), "memory_free_mib",
			 (json_int_t)((available < total ? available : total) >> 20), "servers", servers, "free_devices",
			 devices);
}
