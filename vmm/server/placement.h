/*
 * Placement: where on the host a server runs. Each vCPU gets a core of its
 * own (all its hardware threads are held, so no other server's vCPU shares
 * its caches and execution units) and the memory comes from the NUMA node
 * those cores belong to: the node with the most free memory among those with
 * enough free cores, unless the operator named one. The core holding CPU 0
 * is taken last, because the host's own interrupts and housekeeping tend to
 * land there; a server gets it only when nothing else fits.
 *
 * The host is described by a struct so that tests can hand in a topology
 * loaded from XML and made-up free memory.
 */
#ifndef SHEER_VMM_SERVER_PLACEMENT_H
#define SHEER_VMM_SERVER_PLACEMENT_H

#include <hwloc.h>
#include <stdint.h>

#include "vmm/server/spec.h"

struct placement_host {
	hwloc_topology_t topology;
	hwloc_bitmap_t held;		/* logical CPUs held by other running servers */
	uint64_t memory_available;	/* the host's MemAvailable */
	/* Free memory of a NUMA node (by OS number); NULL without NUMA support. */
	int (*node_free_memory)(unsigned int node, uint64_t *bytes, void *arg);
	void *node_free_memory_arg;
};

/* The real host: topology, MemAvailable, libnuma. xml_path NULL for this machine. */
int placement_host_load(struct placement_host *host, const char *xml_path, char *err, size_t errlen);
void placement_host_free(struct placement_host *host);

/*
 * Fill spec->cfg.numa_node and host_cpu[], and in taken the logical CPUs the
 * server will hold. -ENOSPC (not enough cores or memory) or -EINVAL (no such
 * node) with err set; the spec is then unchanged.
 */
int placement_choose(const struct placement_host *host, struct server_spec *spec, hwloc_bitmap_t taken,
		     char *err, size_t errlen);

/*
 * Bind this process's memory (and so the guest memory the engine maps after
 * this call) to cfg->numa_node, and run its threads there; the engine pins
 * each vCPU thread to its host_cpu[] itself. Nothing to do without a node.
 */
int placement_apply(const struct server_config *cfg);

#endif
