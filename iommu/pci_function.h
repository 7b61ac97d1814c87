/*
 * One PCI function as the host kernel shows it in sysfs: identity, class,
 * the driver bound to it, its IOMMU group, NUMA node and SR-IOV state.
 */
#ifndef SHEER_IOMMU_PCI_FUNCTION_H
#define SHEER_IOMMU_PCI_FUNCTION_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/host_fs.h"

#define PCI_BDF_LEN 16		/* "0000:00:1f.2" and its NUL, with room */
#define PCI_DRIVER_LEN 64
#define PCI_SYSFS "/sys/bus/pci/devices"

struct pci_function {
	char bdf[PCI_BDF_LEN];
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;		/* base class, subclass, prog-if */
	char driver[PCI_DRIVER_LEN];	/* "" when no driver is bound */
	int iommu_group;		/* -1: not behind an IOMMU */
	int numa_node;			/* -1: unknown */
	bool has_sriov;
	unsigned int sriov_total_vfs;
	unsigned int sriov_num_vfs;
};

/* -ENODEV when the host has no such function. */
int pci_function_read(const struct host_fs *fs, const char *bdf, struct pci_function *fn);
/* What the function is, for operators: "NIC", "NVMe", "SAS", "SATA", "storage", "bridge", "other". */
const char *pci_function_kind(const struct pci_function *fn);

#endif
