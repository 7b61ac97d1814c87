#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iommu/groups.h"

int iommu_group_read(const struct host_fs *fs, int number, struct iommu_group *group)
{
	struct name_list names;
	int ret = host_fs_list(fs, &names, IOMMU_GROUPS_SYSFS "/%d/devices", number);

	if (ret < 0)
		return ret;
	group->number = number;
	group->count = 0;
	if (names.count > IOMMU_GROUP_MAX_MEMBERS)
		ret = -E2BIG;
	for (unsigned int i = 0; ret == 0 && i < names.count; i++)
		ret = pci_function_read(fs, names.names[i], &group->members[group->count++]);
	name_list_free(&names);
	return ret;
}

bool iommu_group_member_in_host_use(const struct pci_function *member)
{
	/* A PCIe port only forwards: it never does DMA of its own, so it does not break isolation. */
	return member->driver[0] != '\0' && strcmp(member->driver, "vfio-pci") != 0 &&
	       strcmp(member->driver, "pcieport") != 0;
}

bool bdf_set_contains(const struct bdf_set *set, const char *bdf)
{
	for (unsigned int i = 0; set && i < set->count; i++)
		if (strcmp(set->bdfs[i], bdf) == 0)
			return true;
	return false;
}

int iommu_group_blockers(const struct iommu_group *group, const struct bdf_set *handing_over, char *blockers,
			 size_t blockers_len)
{
	size_t used = 0;
	int count = 0;

	if (blockers_len)
		blockers[0] = '\0';
	for (unsigned int i = 0; i < group->count; i++) {
		const struct pci_function *member = &group->members[i];
		int len;

		if (bdf_set_contains(handing_over, member->bdf) || !iommu_group_member_in_host_use(member))
			continue;
		count++;
		if (used >= blockers_len)
			continue;
		len = snprintf(blockers + used, blockers_len - used, "%s%s (%s)", used ? ", " : "", member->bdf,
			       member->driver);
		/* A truncated list still names the first blockers; the count stays right. */
		used = len < 0 ? blockers_len : used + (size_t)len;
	}
	return count;
}
