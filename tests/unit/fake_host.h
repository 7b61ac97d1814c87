/*
 * A fake host tree for the iommu and passthru unit tests: /sys, /proc and
 * /lib/modules files in a temporary directory, shaped like the kernel's, so
 * the parsers can be tested on a build machine that has no IOMMU. The lab
 * (tests/lab/scenarios/host-devices) is where the real kernel answers.
 */
#ifndef SHEER_TESTS_FAKE_HOST_H
#define SHEER_TESTS_FAKE_HOST_H

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fake_host {
	char root[PATH_MAX];
};

static inline void fake_mkdirs(const char *path)
{
	char partial[PATH_MAX];

	ck_assert_uint_lt(strlen(path), sizeof(partial));
	strcpy(partial, path);
	for (char *slash = strchr(partial + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(partial, 0755);
		*slash = '/';
	}
	mkdir(partial, 0755);
}

static inline void fake_path(const struct fake_host *host, const char *path, char *out, size_t out_len)
{
	ck_assert_int_lt(snprintf(out, out_len, "%s%s", host->root, path), (int)out_len);
}

static inline void fake_parent_dirs(const char *full)
{
	char parent[PATH_MAX];
	char *slash;

	strcpy(parent, full);
	slash = strrchr(parent, '/');
	*slash = '\0';
	fake_mkdirs(parent);
}

static inline void fake_dir(const struct fake_host *host, const char *path)
{
	char full[PATH_MAX];

	fake_path(host, path, full, sizeof(full));
	fake_mkdirs(full);
}

static inline void fake_file(const struct fake_host *host, const char *path, const char *content)
{
	char full[PATH_MAX];
	FILE *file;

	fake_path(host, path, full, sizeof(full));
	fake_parent_dirs(full);
	file = fopen(full, "w");
	ck_assert_ptr_nonnull(file);
	fputs(content, file);
	fclose(file);
}

/* The file's content, for checking what the code wrote. */
static inline void fake_read(const struct fake_host *host, const char *path, char *out, size_t out_len)
{
	char full[PATH_MAX];
	size_t got;
	FILE *file;

	fake_path(host, path, full, sizeof(full));
	file = fopen(full, "r");
	ck_assert_ptr_nonnull(file);
	got = fread(out, 1, out_len - 1, file);
	out[got] = '\0';
	fclose(file);
}

static inline void fake_remove(const struct fake_host *host, const char *path)
{
	char full[PATH_MAX];

	fake_path(host, path, full, sizeof(full));
	ck_assert_int_eq(remove(full), 0);
}

static inline void fake_link(const struct fake_host *host, const char *path, const char *target)
{
	char full[PATH_MAX];

	fake_path(host, path, full, sizeof(full));
	fake_parent_dirs(full);
	unlink(full);
	ck_assert_int_eq(symlink(target, full), 0);
}

static inline void fake_host_create(struct fake_host *host)
{
	strcpy(host->root, "/tmp/sheer-fake-host-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(host->root));
}

static inline int fake_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fake_host_destroy(struct fake_host *host)
{
	nftw(host->root, fake_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A PCI function: attributes, driver (NULL: none) and IOMMU group (-1: none), linked like sysfs does. */
static inline void fake_pci(const struct fake_host *host, const char *bdf, const char *vendor, const char *device,
			    const char *class_code, const char *driver, int group)
{
	char dir[PATH_MAX], path[PATH_MAX * 2], target[PATH_MAX];

	snprintf(dir, sizeof(dir), "/sys/devices/pci0000:00/%s", bdf);
	snprintf(path, sizeof(path), "%s/vendor", dir);
	fake_file(host, path, vendor);
	snprintf(path, sizeof(path), "%s/device", dir);
	fake_file(host, path, device);
	snprintf(path, sizeof(path), "%s/class", dir);
	fake_file(host, path, class_code);
	snprintf(path, sizeof(path), "%s/numa_node", dir);
	fake_file(host, path, "0\n");
	snprintf(path, sizeof(path), "%s/driver_override", dir);
	fake_file(host, path, "");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	fake_link(host, path, target);
	fake_file(host, "/sys/bus/pci/drivers_probe", "");
	if (driver) {
		snprintf(path, sizeof(path), "%s/driver", dir);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		fake_link(host, path, target);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", driver);
		fake_file(host, path, "");
	}
	if (group >= 0) {
		snprintf(path, sizeof(path), "%s/iommu_group", dir);
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
		fake_link(host, path, target);
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
		snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", bdf);
		fake_link(host, path, target);
	}
}

/* An Intel host with VT-d on and interrupt remapping visible in /proc/interrupts. */
static inline void fake_intel_iommu(const struct fake_host *host)
{
	fake_file(host, "/sys/firmware/acpi/tables/DMAR", "DMAR");
	fake_file(host, "/sys/class/iommu/dmar0/intel-iommu/ecap", "f0205e\n");
	fake_file(host, "/proc/interrupts", "           CPU0\n 24:   0  IR-PCI-MSI 32768-edge  eth0\n");
	fake_file(host, "/proc/cmdline", "console=ttyS0 intel_iommu=on\n");
}

/* The lab's q35 host: a NIC alone, an NVMe alone, the ICH9 functions sharing group 2. */
static inline void fake_q35_functions(const struct fake_host *host)
{
	fake_pci(host, "0000:00:02.0", "0x8086\n", "0x10d3\n", "0x020000\n", "e1000e", 1);
	fake_pci(host, "0000:00:06.0", "0x1b36\n", "0x0010\n", "0x010802\n", "nvme", 4);
	fake_pci(host, "0000:00:1f.0", "0x8086\n", "0x2918\n", "0x060100\n", "lpc_ich", 2);
	fake_pci(host, "0000:00:1f.2", "0x8086\n", "0x2922\n", "0x010601\n", "ahci", 2);
	fake_pci(host, "0000:00:1f.3", "0x8086\n", "0x2930\n", "0x0c0500\n", "i801_smbus", 2);
}

#endif
