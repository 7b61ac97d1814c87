/* iommu/: sysfs parsers, IOMMU groups and viability, host-use detection, host check, on a fake host tree. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu/groups.h"
#include "iommu/host_check.h"
#include "iommu/host_use.h"
#include "iommu/pci_function.h"
#include "iommu/platform.h"
#include "tests/unit/fake_host.h"

#define NIC "0000:00:02.0"
#define NVME "0000:00:06.0"

static struct fake_host host;
static struct host_fs fs;

static void setup(void)
{
	fake_host_create(&host);
	ck_assert_int_eq(host_fs_init(&fs, host.root), 0);
}

static void teardown(void)
{
	fake_host_destroy(&host);
}

static void fake_q35(void)
{
	fake_q35_functions(&host);
}

START_TEST(function_attributes)
{
	struct pci_function fn;

	fake_q35();
	fake_file(&host, "/sys/devices/pci0000:00/" NIC "/sriov_totalvfs", "7\n");
	fake_file(&host, "/sys/devices/pci0000:00/" NIC "/sriov_numvfs", "2\n");
	ck_assert_int_eq(pci_function_read(&fs, NIC, &fn), 0);
	ck_assert_uint_eq(fn.vendor, 0x8086);
	ck_assert_uint_eq(fn.device, 0x10d3);
	ck_assert_uint_eq(fn.class_code, 0x020000);
	ck_assert_str_eq(fn.driver, "e1000e");
	ck_assert_int_eq(fn.iommu_group, 1);
	ck_assert_int_eq(fn.numa_node, 0);
	ck_assert(fn.has_sriov);
	ck_assert_uint_eq(fn.sriov_total_vfs, 7);
	ck_assert_uint_eq(fn.sriov_num_vfs, 2);
	ck_assert_int_eq(pci_function_read(&fs, "0000:00:09.0", &fn), -ENODEV);
}
END_TEST

START_TEST(unbound_function_without_group)
{
	struct pci_function fn;

	fake_pci(&host, "0000:00:05.0", "0x1234\n", "0x1111\n", "0x030000\n", NULL, -1);
	ck_assert_int_eq(pci_function_read(&fs, "0000:00:05.0", &fn), 0);
	ck_assert_str_eq(fn.driver, "");
	ck_assert_int_eq(fn.iommu_group, -1);
	ck_assert(!fn.has_sriov);
}
END_TEST

START_TEST(function_kinds)
{
	static const struct { unsigned int class_code; const char *kind; } cases[] = {
		{ 0x020000, "NIC" }, { 0x010802, "NVMe" }, { 0x010700, "SAS" }, { 0x010601, "SATA" },
		{ 0x010400, "storage" }, { 0x060400, "bridge" }, { 0x0c0500, "other" },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pci_function fn = { .class_code = cases[i].class_code };

		ck_assert_str_eq(pci_function_kind(&fn), cases[i].kind);
	}
}
END_TEST

START_TEST(group_membership_and_blockers)
{
	const char *sata = "0000:00:1f.2";
	struct bdf_set handing_over = { 1, &sata };
	struct iommu_group group;
	char blockers[256];

	fake_q35();
	ck_assert_int_eq(iommu_group_read(&fs, 2, &group), 0);
	ck_assert_uint_eq(group.count, 3);
	ck_assert_str_eq(group.members[0].bdf, "0000:00:1f.0");
	ck_assert_int_eq(iommu_group_blockers(&group, &handing_over, blockers, sizeof(blockers)), 2);
	ck_assert_str_eq(blockers, "0000:00:1f.0 (lpc_ich), 0000:00:1f.3 (i801_smbus)");
	ck_assert_int_eq(iommu_group_read(&fs, 9, &group), -ENOENT);
}
END_TEST

START_TEST(group_viable_with_ports_vfio_and_unbound)
{
	const char *nic = NIC;
	struct bdf_set handing_over = { 1, &nic };
	struct iommu_group group;
	char blockers[256];

	fake_pci(&host, NIC, "0x8086\n", "0x10d3\n", "0x020000\n", "e1000e", 5);
	fake_pci(&host, "0000:00:1c.0", "0x8086\n", "0x2940\n", "0x060400\n", "pcieport", 5);
	fake_pci(&host, "0000:00:03.0", "0x8086\n", "0x10d3\n", "0x020000\n", "vfio-pci", 5);
	fake_pci(&host, "0000:00:04.0", "0x8086\n", "0x10d3\n", "0x020000\n", NULL, 5);
	ck_assert_int_eq(iommu_group_read(&fs, 5, &group), 0);
	ck_assert_uint_eq(group.count, 4);
	ck_assert_int_eq(iommu_group_blockers(&group, &handing_over, blockers, sizeof(blockers)), 0);
	ck_assert_str_eq(blockers, "");
	/* Its own driver counts when it is not the one being handed over. */
	ck_assert_int_eq(iommu_group_blockers(&group, NULL, blockers, sizeof(blockers)), 1);
	ck_assert_str_eq(blockers, NIC " (e1000e)");
}
END_TEST

START_TEST(blockers_truncated_safely)
{
	struct iommu_group group;
	char blockers[20];

	fake_q35();
	ck_assert_int_eq(iommu_group_read(&fs, 2, &group), 0);
	ck_assert_int_eq(iommu_group_blockers(&group, NULL, blockers, sizeof(blockers)), 3);
	ck_assert_uint_lt(strlen(blockers), sizeof(blockers));
}
END_TEST

static int host_use(const char *bdf, char *reason, size_t reason_len)
{
	reason[0] = '\0';
	return host_use_of_device(&fs, bdf, reason, reason_len);
}

START_TEST(default_route_marks_nic)
{
	char reason[256];

	fake_q35();
	fake_link(&host, "/sys/class/net/eth0/device", "../../../devices/pci0000:00/" NIC);
	fake_link(&host, "/sys/class/net/eth1/device", "../../../devices/pci0000:00/0000:00:03.0");
	fake_file(&host, "/proc/net/route",
		  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		  "eth1\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		  "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	ck_assert_int_eq(host_use(NIC, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "carries the host's default route (eth0)");
	ck_assert_int_eq(host_use(NVME, reason, sizeof(reason)), 0);
}
END_TEST

START_TEST(non_default_route_is_not_use)
{
	char reason[256];

	fake_q35();
	fake_link(&host, "/sys/class/net/eth0/device", "../../../devices/pci0000:00/" NIC);
	fake_file(&host, "/proc/net/route",
		  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		  "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	ck_assert_int_eq(host_use(NIC, reason, sizeof(reason)), 0);
}
END_TEST

START_TEST(ipv6_default_route_marks_nic)
{
	char reason[256];

	fake_q35();
	fake_link(&host, "/sys/class/net/eth0/device", "../../../devices/pci0000:00/" NIC);
	fake_file(&host, "/proc/net/ipv6_route",
		  "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		  "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n");
	ck_assert_int_eq(host_use(NIC, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "carries the host's default route (eth0)");
}
END_TEST

/* nvme0n1 with partition nvme0n1p1 below the NVMe controller, as sysfs lays them out. */
static void fake_nvme_namespace(void)
{
	const char *dir = "/sys/devices/pci0000:00/" NVME "/nvme/nvme0/nvme0n1";
	char path[PATH_MAX];

	fake_q35();
	snprintf(path, sizeof(path), "%s/dev", dir);
	fake_file(&host, path, "259:0\n");
	snprintf(path, sizeof(path), "%s/nvme0n1p1/dev", dir);
	fake_file(&host, path, "259:1\n");
	snprintf(path, sizeof(path), "%s/holders", dir);
	fake_dir(&host, path);
	fake_link(&host, "/sys/block/nvme0n1", "../devices/pci0000:00/" NVME "/nvme/nvme0/nvme0n1");
	fake_file(&host, "/proc/self/mountinfo",
		  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
	fake_file(&host, "/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
}

START_TEST(mounted_partition_marks_nvme)
{
	char reason[256];

	fake_nvme_namespace();
	ck_assert_int_eq(host_use(NVME, reason, sizeof(reason)), 0);
	fake_file(&host, "/proc/self/mountinfo",
		  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		  "40 22 259:1 / /data rw,relatime shared:9 - xfs /dev/nvme0n1p1 rw\n");
	ck_assert_int_eq(host_use(NVME, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "nvme0n1p1 is mounted on /data");
	ck_assert_int_eq(host_use(NIC, reason, sizeof(reason)), 0);
}
END_TEST

START_TEST(swap_marks_nvme)
{
	char reason[256];

	fake_nvme_namespace();
	fake_file(&host, "/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/nvme0n1 partition 65532 0 -2\n");
	ck_assert_int_eq(host_use(NVME, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "nvme0n1 is active swap");
}
END_TEST

START_TEST(dm_holder_marks_nvme)
{
	char reason[256];

	fake_nvme_namespace();
	fake_link(&host, "/sys/devices/pci0000:00/" NVME "/nvme/nvme0/nvme0n1/nvme0n1p1/holders/dm-0",
		  "../../../../../../../virtual/block/dm-0");
	ck_assert_int_eq(host_use(NVME, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "nvme0n1p1 is held by dm-0");
}
END_TEST

START_TEST(intel_platform_with_remapping)
{
	struct iommu_platform platform;

	fake_q35();
	fake_intel_iommu(&host);
	ck_assert_int_eq(iommu_platform_probe(&fs, &platform), 0);
	ck_assert_int_eq(platform.vendor, IOMMU_VENDOR_INTEL);
	ck_assert(iommu_platform_enabled(&platform));
	ck_assert_uint_eq(platform.n_groups, 3);
	ck_assert(platform.irq_remapping);
	ck_assert_str_eq(iommu_platform_enable_parameter(&platform), "intel_iommu=on iommu=pt");
}
END_TEST

START_TEST(remapping_from_ecap_or_turned_off)
{
	struct iommu_platform platform;

	fake_q35();
	fake_intel_iommu(&host);
	fake_file(&host, "/proc/interrupts", "           CPU0\n 24:   0  PCI-MSI 32768-edge  eth0\n");
	iommu_platform_probe(&fs, &platform);
	ck_assert(platform.irq_remapping);
	ck_assert_str_eq(platform.irq_remapping_evidence, "supported by dmar0 (ecap IR)");
	fake_file(&host, "/sys/class/iommu/dmar0/intel-iommu/ecap", "f02056\n");
	iommu_platform_probe(&fs, &platform);
	ck_assert(!platform.irq_remapping);
	fake_file(&host, "/sys/class/iommu/dmar0/intel-iommu/ecap", "f0205e\n");
	fake_file(&host, "/proc/cmdline", "intel_iommu=on intremap=off\n");
	iommu_platform_probe(&fs, &platform);
	ck_assert(!platform.irq_remapping);
}
END_TEST

START_TEST(no_iommu_platform)
{
	struct iommu_platform platform;

	fake_pci(&host, NIC, "0x8086\n", "0x10d3\n", "0x020000\n", "e1000e", -1);
	iommu_platform_probe(&fs, &platform);
	ck_assert_int_eq(platform.vendor, IOMMU_VENDOR_NONE);
	ck_assert(!iommu_platform_enabled(&platform));
	ck_assert(!platform.irq_remapping);
	fake_file(&host, "/sys/firmware/acpi/tables/IVRS", "IVRS");
	iommu_platform_probe(&fs, &platform);
	ck_assert_int_eq(platform.vendor, IOMMU_VENDOR_AMD);
	ck_assert_str_eq(iommu_platform_enable_parameter(&platform), "amd_iommu=on iommu=pt");
}
END_TEST

static const struct host_check *report_find(const struct host_report *report, const char *name)
{
	for (unsigned int i = 0; i < report->count; i++)
		if (strcmp(report->checks[i].name, name) == 0)
			return &report->checks[i];
	ck_abort_msg("no check %s", name);
	return NULL;
}

/* A host ready for assignment, apart from what a test takes away. */
static void fake_ready_host(void)
{
	fake_q35();
	fake_intel_iommu(&host);
	fake_file(&host, "/dev/kvm", "");
	fake_dir(&host, "/sys/module/vfio");
	fake_dir(&host, "/sys/module/vfio_iommu_type1");
	fake_dir(&host, "/sys/module/vfio_pci");
	fake_file(&host, "/proc/meminfo", "MemTotal: 1000 kB\nHugePages_Total:       0\nHugepagesize:    2048 kB\n");
	fake_file(&host, "/proc/self/status", "Name:\tsheer\nCapEff:\t000001ffffffffff\n");
	fake_file(&host, "/proc/sys/kernel/osrelease", "6.1.0-test\n");
}

START_TEST(host_check_ready_host)
{
	struct host_report report;

	fake_ready_host();
	host_report_run(&fs, &report);
	ck_assert(host_report_ready(&report));
	ck_assert_int_eq(report_find(&report, "iommu-firmware")->level, HOST_CHECK_OK);
	ck_assert_int_eq(report_find(&report, "interrupt-remapping")->level, HOST_CHECK_OK);
	ck_assert_int_eq(report_find(&report, "vfio-pci")->level, HOST_CHECK_OK);
	ck_assert_int_eq(report_find(&report, "locked-memory")->level, HOST_CHECK_OK);
	/* No hugepages only warns. */
	ck_assert_int_eq(report_find(&report, "hugepages")->level, HOST_CHECK_WARN);
	ck_assert_str_ne(report_find(&report, "hugepages")->remedy, "");
}
END_TEST

START_TEST(host_check_without_iommu_gives_remedies)
{
	struct host_report report;
	const struct host_check *check;

	fake_ready_host();
	fake_remove(&host, "/sys/firmware/acpi/tables/DMAR");
	fake_remove(&host, "/sys/class/iommu/dmar0/intel-iommu/ecap");
	fake_file(&host, "/proc/interrupts", "");
	host_report_run(&fs, &report);
	ck_assert(!host_report_ready(&report));
	check = report_find(&report, "iommu-firmware");
	ck_assert_int_eq(check->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(check->remedy, "VT-d"));
	check = report_find(&report, "interrupt-remapping");
	ck_assert_int_eq(check->level, HOST_CHECK_FAIL);
}
END_TEST

START_TEST(host_check_iommu_off_names_kernel_parameter)
{
	struct host_report report;
	const struct host_check *check;
	struct fake_host empty;

	fake_host_create(&empty);
	fake_file(&empty, "/sys/firmware/acpi/tables/DMAR", "DMAR");
	host_fs_init(&fs, empty.root);
	host_report_run(&fs, &report);
	check = report_find(&report, "iommu-enabled");
	ck_assert_int_eq(check->level, HOST_CHECK_FAIL);
	ck_assert_str_eq(check->remedy, "add intel_iommu=on iommu=pt to the kernel command line and reboot");
	ck_assert_int_eq(report_find(&report, "kvm")->level, HOST_CHECK_FAIL);
	fake_host_destroy(&empty);
}
END_TEST

START_TEST(host_check_modules_loadable_or_missing)
{
	struct host_report report;
	fake_ready_host();
	fake_remove(&host, "/sys/module/vfio_pci");
	fake_file(&host, "/lib/modules/6.1.0-test/modules.dep",
		  "kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/pci/vfio-pci-core.ko\n");
	host_report_run(&fs, &report);
	ck_assert_int_eq(report_find(&report, "vfio-pci")->level, HOST_CHECK_OK);
	ck_assert_ptr_nonnull(strstr(report_find(&report, "vfio-pci")->detail, "loadable"));
	fake_file(&host, "/lib/modules/6.1.0-test/modules.dep", "kernel/drivers/vfio/pci/vfio-pci-core.ko:\n");
	host_report_run(&fs, &report);
	ck_assert_int_eq(report_find(&report, "vfio-pci")->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(report_find(&report, "vfio-pci")->remedy, "modprobe vfio-pci"));
	ck_assert(!host_report_ready(&report));
}
END_TEST

START_TEST(host_check_kvm_that_opens)
{
	struct host_report report;
	const struct host_check *check;

	fake_ready_host();
	host_report_run(&fs, &report);
	check = report_find(&report, "kvm");
	ck_assert_int_eq(check->level, HOST_CHECK_OK);
	ck_assert_ptr_nonnull(strstr(check->detail, "/dev/kvm opens read-write"));
}
END_TEST

/* Even root cannot open a directory read-write, so this fails wherever the tests run. */
START_TEST(host_check_kvm_that_does_not_open)
{
	struct host_report report;
	const struct host_check *check;

	fake_ready_host();
	fake_remove(&host, "/dev/kvm");
	fake_dir(&host, "/dev/kvm");
	host_report_run(&fs, &report);
	check = report_find(&report, "kvm");
	ck_assert_int_eq(check->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(check->detail, "cannot open it read-write: Is a directory"));
	ck_assert_ptr_nonnull(strstr(check->remedy, "KVM character device"));
	ck_assert(!host_report_ready(&report));
}
END_TEST

/* Mode 000 keeps out everyone but root, who opens anything: the verdict must say which. */
START_TEST(host_check_kvm_without_permission)
{
	struct host_report report;
	const struct host_check *check;
	char path[PATH_MAX];

	fake_ready_host();
	fake_path(&host, "/dev/kvm", path, sizeof(path));
	ck_assert_int_eq(chmod(path, 0), 0);
	host_report_run(&fs, &report);
	check = report_find(&report, "kvm");
	if (geteuid() == 0) {
		ck_assert_int_eq(check->level, HOST_CHECK_OK);
		return;
	}
	ck_assert_int_eq(check->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(check->detail, "cannot open it read-write: Permission denied"));
	ck_assert_ptr_nonnull(strstr(check->remedy, "usermod -aG"));
}
END_TEST

static const struct host_check *seccomp_verdict(const struct seccomp_probe *probe)
{
	static struct host_report report;

	report.count = 0;
	host_check_seccomp(&report, probe);
	return report_find(&report, "seccomp");
}

START_TEST(host_check_seccomp_verdicts)
{
	const struct seccomp_probe filters = { .filter_errno = EFAULT };
	const struct seccomp_probe filtered_already = { .mode = 2, .filter_errno = EFAULT };
	const struct seccomp_probe no_seccomp = { .mode = -1, .mode_errno = EINVAL, .filter_errno = ENOSYS,
						  .trap_errno = ENOSYS };
	const struct seccomp_probe no_filter = { .filter_errno = EINVAL };
	const struct seccomp_probe no_trap = { .filter_errno = EFAULT, .trap_errno = EOPNOTSUPP };

	ck_assert_int_eq(seccomp_verdict(&filters)->level, HOST_CHECK_OK);
	ck_assert_ptr_nonnull(strstr(seccomp_verdict(&filtered_already)->detail, "filters stack"));
	ck_assert_int_eq(seccomp_verdict(&no_seccomp)->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(seccomp_verdict(&no_seccomp)->detail, "no seccomp in this kernel"));
	ck_assert_ptr_nonnull(strstr(seccomp_verdict(&no_seccomp)->remedy, "CONFIG_SECCOMP_FILTER"));
	ck_assert_int_eq(seccomp_verdict(&no_filter)->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(seccomp_verdict(&no_filter)->detail, "filters cannot be installed"));
	ck_assert_int_eq(seccomp_verdict(&no_trap)->level, HOST_CHECK_FAIL);
	ck_assert_ptr_nonnull(strstr(seccomp_verdict(&no_trap)->detail, "SECCOMP_RET_TRAP"));
}
END_TEST

/* The probe never installs anything, whatever this kernel answers. */
START_TEST(host_check_seccomp_probe_installs_nothing)
{
	struct seccomp_probe before, after;

	seccomp_probe_run(&before);
	seccomp_probe_run(&after);
	ck_assert_int_ne(after.filter_errno, 0);
	ck_assert_int_eq(after.mode, before.mode);
}
END_TEST

START_TEST(paths_too_long_are_errors)
{
	char long_name[PATH_MAX + 16], value[16];

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(host_fs_read(&fs, value, sizeof(value), "/%s", long_name), -ENAMETOOLONG);
	ck_assert(!host_fs_exists(&fs, "/%s", long_name));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *suite = suite_create("iommu");
	TCase *sysfs = tcase_create("sysfs"), *groups = tcase_create("groups"), *use = tcase_create("host-use");
	TCase *check = tcase_create("host-check");
	TCase *all[] = { sysfs, groups, use, check };

	for (unsigned int i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(suite, all[i]);
	}
	tcase_add_test(sysfs, function_attributes);
	tcase_add_test(sysfs, unbound_function_without_group);
	tcase_add_test(sysfs, function_kinds);
	tcase_add_test(sysfs, paths_too_long_are_errors);
	tcase_add_test(groups, group_membership_and_blockers);
	tcase_add_test(groups, group_viable_with_ports_vfio_and_unbound);
	tcase_add_test(groups, blockers_truncated_safely);
	tcase_add_test(use, default_route_marks_nic);
	tcase_add_test(use, non_default_route_is_not_use);
	tcase_add_test(use, ipv6_default_route_marks_nic);
	tcase_add_test(use, mounted_partition_marks_nvme);
	tcase_add_test(use, swap_marks_nvme);
	tcase_add_test(use, dm_holder_marks_nvme);
	tcase_add_test(check, intel_platform_with_remapping);
	tcase_add_test(check, remapping_from_ecap_or_turned_off);
	tcase_add_test(check, no_iommu_platform);
	tcase_add_test(check, host_check_ready_host);
	tcase_add_test(check, host_check_without_iommu_gives_remedies);
	tcase_add_test(check, host_check_iommu_off_names_kernel_parameter);
	tcase_add_test(check, host_check_modules_loadable_or_missing);
	tcase_add_test(check, host_check_kvm_that_opens);
	tcase_add_test(check, host_check_kvm_that_does_not_open);
	tcase_add_test(check, host_check_kvm_without_permission);
	tcase_add_test(check, host_check_seccomp_verdicts);
	tcase_add_test(check, host_check_seccomp_probe_installs_nothing);
	return suite;
}
