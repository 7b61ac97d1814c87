/*
 * IOMMU groups: the smallest sets of PCI functions the IOMMU can isolate from
 * each other. A group goes to one guest as a whole, so a device can only be
 * handed over when nothing else in its group is in use by the host.
 */
#ifndef SHEER_IOMMU_GROUPS_H
#define SHEER_IOMMU_GROUPS_H

#include <stdbool.h>
#include <stddef.h>

#include "iommu/pci_function.h"

#define IOMMU_GROUP_MAX_MEMBERS 32
#define IOMMU_GROUPS_SYSFS "/sys/kernel/iommu_groups"

struct iommu_group {
	int number;
	unsigned int count;
	struct pci_function members[IOMMU_GROUP_MAX_MEMBERS];
};

/* The BDFs about to be handed over together: they do not block each other. */
struct bdf_set {
	unsigned int count;
	const char *const *bdfs;
};

int iommu_group_read(const struct host_fs *fs, int number, struct iommu_group *group);
/* Does the host still drive this member? Unbound, vfio-pci and PCIe ports do not count. */
bool iommu_group_member_in_host_use(const struct pci_function *member);
/*
 * The members outside `handing_over` the host still drives, as
 * "0000:00:1f.0 (lpc_ich), 0000:00:1f.3 (i801_smbus)" in `blockers`.
 * Returns how many there are; 0 means the group is viable.
 */
int iommu_group_blockers(const struct iommu_group *group, const struct bdf_set *handing_over, char *blockers,
			 size_t blockers_len);
bool bdf_set_contains(const struct bdf_set *set, const char *bdf);

#endif
