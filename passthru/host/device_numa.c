#include "iommu/pci_function.h"
#include "passthru/host/device_numa.h"

int passthru_devices_numa_node(const struct server_config *cfg)
{
	struct host_fs fs;

	host_fs_init(&fs, NULL);
	for (unsigned int i = 0; i < cfg->n_devices && i < SERVER_MAX_DEVICES; i++) {
		struct pci_function fn;

		if (pci_function_read(&fs, cfg->devices[i].pci, &fn) == 0 && fn.numa_node >= 0)
			return fn.numa_node;
	}
	return -1;
}
