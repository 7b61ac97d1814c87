#include <errno.h>
#include <string.h>

#include "iommu/pci_function.h"
#include "vmm/lib/parse.h"

#define PCI_CLASS_STORAGE 0x01
#define PCI_CLASS_NETWORK 0x02
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_SATA 0x06
#define PCI_SUBCLASS_SAS 0x07
#define PCI_SUBCLASS_NVM 0x08

static int read_optional_long(const struct host_fs *fs, const char *bdf, const char *attr, long fallback,
			      long *value)
{
	int ret = host_fs_read_long(fs, value, PCI_SYSFS "/%s/%s", bdf, attr);

	if (ret == -ENOENT) {
		*value = fallback;
		return 0;
	}
	return ret;
}

static int read_link_name_or_empty(const struct host_fs *fs, char *out, size_t out_len, const char *bdf,
				   const char *link)
{
	int ret = host_fs_link_name(fs, out, out_len, PCI_SYSFS "/%s/%s", bdf, link);

	if (ret == -ENOENT) {
		out[0] = '\0';
		return 0;
	}
	return ret;
}

static int read_identity(const struct host_fs *fs, struct pci_function *fn)
{
	long vendor, device, class_code;
	int ret;

	ret = host_fs_read_long(fs, &vendor, PCI_SYSFS "/%s/vendor", fn->bdf);
	if (ret == 0)
		ret = host_fs_read_long(fs, &device, PCI_SYSFS "/%s/device", fn->bdf);
	if (ret == 0)
		ret = host_fs_read_long(fs, &class_code, PCI_SYSFS "/%s/class", fn->bdf);
	if (ret < 0)
		return ret;
	fn->vendor = (uint16_t)vendor;
	fn->device = (uint16_t)device;
	fn->class_code = (uint32_t)class_code & 0xffffff;
	return 0;
}

static int read_iommu_group(const struct host_fs *fs, struct pci_function *fn)
{
	char group[32];
	unsigned int number;
	int ret = read_link_name_or_empty(fs, group, sizeof(group), fn->bdf, "iommu_group");

	if (ret < 0)
		return ret;
	fn->iommu_group = -1;
	if (group[0] == '\0')
		return 0;
	if (parse_uint(group, INT32_MAX, &number) < 0)
		return -EINVAL;
	fn->iommu_group = (int)number;
	return 0;
}

static int read_sriov(const struct host_fs *fs, struct pci_function *fn)
{
	long total, num;
	int ret;

	fn->has_sriov = host_fs_exists(fs, PCI_SYSFS "/%s/sriov_totalvfs", fn->bdf);
	if (!fn->has_sriov)
		return 0;
	ret = read_optional_long(fs, fn->bdf, "sriov_totalvfs", 0, &total);
	if (ret == 0)
		ret = read_optional_long(fs, fn->bdf, "sriov_numvfs", 0, &num);
	if (ret < 0)
		return ret;
	fn->sriov_total_vfs = (unsigned int)total;
	fn->sriov_num_vfs = (unsigned int)num;
	return 0;
}

int pci_function_read(const struct host_fs *fs, const char *bdf, struct pci_function *fn)
{
	long numa_node;
	int ret;

	memset(fn, 0, sizeof(*fn));
	if (copy_string(fn->bdf, sizeof(fn->bdf), bdf) < 0)
		return -EINVAL;
	if (!host_fs_exists(fs, PCI_SYSFS "/%s", bdf))
		return -ENODEV;
	ret = read_identity(fs, fn);
	if (ret == 0)
		ret = read_link_name_or_empty(fs, fn->driver, sizeof(fn->driver), bdf, "driver");
	if (ret == 0)
		ret = read_iommu_group(fs, fn);
	if (ret == 0)
		ret = read_optional_long(fs, bdf, "numa_node", -1, &numa_node);
	if (ret == 0)
		ret = read_sriov(fs, fn);
	if (ret < 0)
		return ret;
	fn->numa_node = (int)numa_node;
	return 0;
}

const char *pci_function_kind(const struct pci_function *fn)
{
	unsigned int base = fn->class_code >> 16, sub = (fn->class_code >> 8) & 0xff;

	if (base == PCI_CLASS_NETWORK)
		return "NIC";
	if (base == PCI_CLASS_STORAGE && sub == PCI_SUBCLASS_NVM)
		return "NVMe";
	if (base == PCI_CLASS_STORAGE && sub == PCI_SUBCLASS_SAS)
		return "SAS";
	if (base == PCI_CLASS_STORAGE && sub == PCI_SUBCLASS_SATA)
		return "SATA";
	if (base == PCI_CLASS_STORAGE)
		return "storage";
	if (base == PCI_CLASS_BRIDGE)
		return "bridge";
	return "other";
}
