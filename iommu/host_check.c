#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iommu/host_check.h"
#include "iommu/platform.h"
#include "vmm/kvm/kvm_device.h"

#define CAP_IPC_LOCK_BIT 14
#define MEMLOCK_FAIL_BELOW (64ULL << 20)	/* distributions' 8 MiB default cannot pin any guest */

static struct host_check *host_report_add(struct host_report *report, const char *name)
{
	struct host_check *check = &report->checks[report->count++];

	check->name = name;
	check->level = HOST_CHECK_OK;
	check->detail[0] = '\0';
	check->remedy[0] = '\0';
	return check;
}

static void host_check_set(struct host_check *check, enum host_check_level level, const char *remedy,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void host_check_set(struct host_check *check, enum host_check_level level, const char *remedy,
			   const char *fmt, ...)
{
	va_list ap;

	check->level = level;
	snprintf(check->remedy, sizeof(check->remedy), "%s", remedy ? remedy : "");
	va_start(ap, fmt);
	vsnprintf(check->detail, sizeof(check->detail), fmt, ap);
	va_end(ap);
}

/* Opened as sheer run opens it: a /dev/kvm that exists but does not open made run fail after check said ok. */
static void check_kvm(const struct host_fs *fs, struct host_report *report)
{
	struct host_check *check = host_report_add(report, "kvm");
	char path[PATH_MAX], remedy[sizeof(check->remedy)];
	int fd, err;

	if (!host_fs_exists(fs, "/dev/kvm") || host_fs_path(fs, path, sizeof(path), "/dev/kvm") < 0) {
		kvm_device_remedy(KVM_DEVICE_PATH, ENOENT, remedy, sizeof(remedy));
		host_check_set(check, HOST_CHECK_FAIL, remedy, "no /dev/kvm");
		return;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		host_check_set(check, HOST_CHECK_OK, NULL, "/dev/kvm opens read-write for uid %u",
			       (unsigned int)geteuid());
		return;
	}
	err = errno;
	kvm_device_remedy(path, err, remedy, sizeof(remedy));
	host_check_set(check, HOST_CHECK_FAIL, remedy, "/dev/kvm present, but uid %u cannot open it read-write: %s",
		       (unsigned int)geteuid(), strerror(err));
}

static void check_iommu(const struct iommu_platform *platform, struct host_report *report)
{
	struct host_check *firmware = host_report_add(report, "iommu-firmware");
	struct host_check *enabled = host_report_add(report, "iommu-enabled");
	char remedy[sizeof(enabled->remedy)];

	if (platform->vendor == IOMMU_VENDOR_INTEL)
		host_check_set(firmware, HOST_CHECK_OK, NULL, "ACPI DMAR table (Intel VT-d)");
	else if (platform->vendor == IOMMU_VENDOR_AMD)
		host_check_set(firmware, HOST_CHECK_OK, NULL, "ACPI IVRS table (AMD-Vi)");
	else
		host_check_set(firmware, HOST_CHECK_FAIL, "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup",
			       "no ACPI DMAR or IVRS table: the firmware describes no IOMMU");
	snprintf(remedy, sizeof(remedy), "add %s to the kernel command line and reboot",
		 iommu_platform_enable_parameter(platform));
	if (iommu_platform_enabled(platform))
		host_check_set(enabled, HOST_CHECK_OK, NULL, "%u IOMMU unit(s), %u IOMMU group(s)", platform->n_units,
			       platform->n_groups);
	else
		host_check_set(enabled, HOST_CHECK_FAIL, remedy, "the kernel has not turned an IOMMU on (%u units, %u groups)",
			       platform->n_units, platform->n_groups);
}

static void check_irq_remapping(const struct iommu_platform *platform, struct host_report *report)
{
	struct host_check *check = host_report_add(report, "interrupt-remapping");

	if (platform->irq_remapping)
		host_check_set(check, HOST_CHECK_OK, NULL, "%s", platform->irq_remapping_evidence);
	else
		host_check_set(check, HOST_CHECK_FAIL,
			       "remove intremap=off and enable x2APIC/interrupt remapping in the firmware setup "
			       "(or allow_unsafe_interrupts = yes in [server], unsafe)",
			       "%s", platform->irq_remapping_evidence);
}

/* Is "/FILE.ko" (plain or compressed) listed in /lib/modules/RELEASE/INDEX? */
static bool module_index_lists(const struct host_fs *fs, const char *release, const char *index, const char *file)
{
	char line[4096], wanted[128];
	bool found = false;
	FILE *list = host_fs_fopen(fs, "/lib/modules/%s/%s", release, index);

	snprintf(wanted, sizeof(wanted), "/%s.ko", file);
	while (list && !found && fgets(line, sizeof(line), list)) {
		char *colon = strchr(line, ':');

		if (colon)
			*colon = '\0';
		found = strstr(line, wanted) != NULL;
	}
	if (list)
		fclose(list);
	return found;
}

/* MODULE as /sys/module names it (vfio_pci), FILE as its .ko is called (vfio-pci). */
static void check_module(const struct host_fs *fs, struct host_report *report, const char *name,
			 const char *module, const char *file)
{
	struct host_check *check = host_report_add(report, name);
	char release[128], remedy[sizeof(check->remedy)];

	if (host_fs_exists(fs, "/sys/module/%s", module)) {
		host_check_set(check, HOST_CHECK_OK, NULL, "%s loaded", module);
		return;
	}
	if (host_fs_read(fs, release, sizeof(release), "/proc/sys/kernel/osrelease") < 0)
		release[0] = '\0';
	if (module_index_lists(fs, release, "modules.builtin", file)) {
		host_check_set(check, HOST_CHECK_OK, NULL, "%s built into the kernel", module);
	} else if (module_index_lists(fs, release, "modules.dep", file)) {
		host_check_set(check, HOST_CHECK_OK, NULL, "%s not loaded, loadable (sheer loads it)", module);
	} else {
		snprintf(remedy, sizeof(remedy), "modprobe %s (needs a kernel built with CONFIG_VFIO)", file);
		host_check_set(check, HOST_CHECK_FAIL, remedy, "%s neither loaded nor installed for kernel %s", module,
			       release[0] ? release : "?");
	}
}

static long meminfo_value(const struct host_fs *fs, const char *key)
{
	char line[256], name[64];
	long value = -1, found;
	FILE *file = host_fs_fopen(fs, "/proc/meminfo");

	while (file && value < 0 && fgets(line, sizeof(line), file))
		if (sscanf(line, "%63[^:]: %ld", name, &found) == 2 && strcmp(name, key) == 0)
			value = found;
	if (file)
		fclose(file);
	return value;
}

static void check_hugepages(const struct host_fs *fs, struct host_report *report)
{
	struct host_check *check = host_report_add(report, "hugepages");
	long total = meminfo_value(fs, "HugePages_Total"), size_kb = meminfo_value(fs, "Hugepagesize");

	if (total > 0)
		host_check_set(check, HOST_CHECK_OK, NULL, "%ld reserved, %ld kB each", total, size_kb);
	else
		host_check_set(check, HOST_CHECK_WARN,
			       "reserve them: sysctl vm.nr_hugepages=N, or hugepages=N on the kernel command line",
			       "none reserved: guest memory uses 4 KiB pages (slower DMA mapping, more TLB misses)");
}

static bool has_cap_ipc_lock(const struct host_fs *fs)
{
	char line[256];
	unsigned long long caps = 0;
	bool found = false;
	FILE *file = host_fs_fopen(fs, "/proc/self/status");

	while (file && !found && fgets(line, sizeof(line), file))
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	if (file)
		fclose(file);
	return found && (caps & (1ULL << CAP_IPC_LOCK_BIT));
}

static void check_memlock(const struct host_fs *fs, struct host_report *report)
{
	struct host_check *check = host_report_add(report, "locked-memory");
	const char *remedy = "ulimit -l unlimited, or '<user> hard memlock unlimited' in /etc/security/limits.conf";
	struct rlimit limit;

	if (has_cap_ipc_lock(fs)) {
		host_check_set(check, HOST_CHECK_OK, NULL, "CAP_IPC_LOCK: no limit on pinned guest memory");
	} else if (getrlimit(RLIMIT_MEMLOCK, &limit) < 0) {
		host_check_set(check, HOST_CHECK_WARN, remedy, "cannot read RLIMIT_MEMLOCK: %s", strerror(errno));
	} else if (limit.rlim_cur == RLIM_INFINITY) {
		host_check_set(check, HOST_CHECK_OK, NULL, "RLIMIT_MEMLOCK unlimited");
	} else {
		host_check_set(check, limit.rlim_cur < MEMLOCK_FAIL_BELOW ? HOST_CHECK_FAIL : HOST_CHECK_WARN, remedy,
			       "RLIMIT_MEMLOCK %llu KiB: VFIO pins all guest memory, larger servers fail",
			       (unsigned long long)limit.rlim_cur >> 10);
	}
}

void seccomp_probe_run(struct seccomp_probe *probe)
{
	unsigned int trap = SECCOMP_RET_TRAP;

	probe->mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	probe->mode_errno = probe->mode < 0 ? errno : 0;
	/* NULL is never taken for a filter: a kernel that filters fails to copy it (EFAULT) before anything else. */
	probe->filter_errno = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 ? errno : 0;
	probe->trap_errno = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &trap) < 0 ? errno : 0;
}

void host_check_seccomp(struct host_report *report, const struct seccomp_probe *probe)
{
	struct host_check *check = host_report_add(report, "seccomp");
	const char *remedy = "a kernel built with CONFIG_SECCOMP_FILTER (distribution kernels are); in a container, "
			     "a seccomp profile that allows seccomp(2)";

	if (probe->mode_errno)
		host_check_set(check, HOST_CHECK_FAIL, remedy, "no seccomp in this kernel (PR_GET_SECCOMP: %s)",
			       strerror(probe->mode_errno));
	else if (probe->filter_errno != EFAULT)
		host_check_set(check, HOST_CHECK_FAIL, remedy, "seccomp filters cannot be installed (%s)",
			       strerror(probe->filter_errno));
	else if (probe->trap_errno)
		host_check_set(check, HOST_CHECK_FAIL, "Linux 4.14 or later",
			       "this kernel does not say it can trap a filtered call (SECCOMP_RET_TRAP: %s)",
			       strerror(probe->trap_errno));
	else
		host_check_set(check, HOST_CHECK_OK, NULL, "seccomp filters available%s",
			       probe->mode == SECCOMP_MODE_FILTER ?
			       " (this process already runs under one; filters stack)" : "");
}

void host_report_run(const struct host_fs *fs, struct host_report *report)
{
	struct iommu_platform platform;
	struct seccomp_probe seccomp;

	report->count = 0;
	iommu_platform_probe(fs, &platform);
	check_kvm(fs, report);
	check_iommu(&platform, report);
	check_irq_remapping(&platform, report);
	check_module(fs, report, "vfio", "vfio", "vfio");
	check_module(fs, report, "vfio-iommu-type1", "vfio_iommu_type1", "vfio_iommu_type1");
	check_module(fs, report, "vfio-pci", "vfio_pci", "vfio-pci");
	check_hugepages(fs, report);
	check_memlock(fs, report);
	seccomp_probe_run(&seccomp);
	host_check_seccomp(report, &seccomp);
}

bool host_report_ready(const struct host_report *report)
{
	for (unsigned int i = 0; i < report->count; i++)
		if (report->checks[i].level == HOST_CHECK_FAIL)
			return false;
	return true;
}

const char *host_check_level_name(enum host_check_level level)
{
	static const char *const names[] = { "ok", "warn", "fail" };

	return names[level];
}
