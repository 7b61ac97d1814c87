/* Where a server's devices sit: its vCPUs and memory belong on the same NUMA node. */
#ifndef SHEER_PASSTHRU_HOST_DEVICE_NUMA_H
#define SHEER_PASSTHRU_HOST_DEVICE_NUMA_H

#include "vmm/machine/config.h"

/* The NUMA node of cfg's first device that has one (sysfs numa_node), or -1. */
int passthru_devices_numa_node(const struct server_config *cfg);

#endif
