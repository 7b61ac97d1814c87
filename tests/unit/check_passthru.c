/* passthru/: claim records, stale claims, and every refusal of passthru_claim on a fake host tree. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "passthru/host/assign.h"
#include "passthru/host/claim.h"
#include "passthru/vfio/config_space.h"
#include "vmm/devices/msix.h"
#include "passthru/vfio/vfio_pci_device.h"
#include "passthru/host/device_info.h"
#include "passthru/host/failover.h"
#include "vmm/lib/parse.h"
#include "tests/unit/fake_host.h"

#define NIC "0000:00:02.0"
#define NVME "0000:00:06.0"
#define SATA "0000:00:1f.2"

static struct fake_host host;
static struct passthru_env env;
static char run_dir[PATH_MAX + 8];

static void setup(void)
{
	fake_host_create(&host);
	snprintf(run_dir, sizeof(run_dir), "%s/run", host.root);
	ck_assert_int_eq(passthru_env_init(&env, host.root, run_dir), 0);
}

static void teardown(void)
{
	fake_host_destroy(&host);
}

static void fake_q35(void)
{
	fake_q35_functions(&host);
	fake_intel_iommu(&host);
	fake_dir(&host, "/sys/bus/pci/drivers/vfio-pci");
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void open_store(struct claim_store *store)
{
	ck_assert_int_eq(claim_store_open(store, run_dir), 0);
}

static struct device_claim make_claim(const char *bdf, const char *holder, pid_t pid, const char *driver)
{
	struct device_claim claim = { .pid = pid };

	strcpy(claim.bdf, bdf);
	strcpy(claim.holder, holder);
	strcpy(claim.host_driver, driver);
	return claim;
}

START_TEST(claim_round_trip)
{
	struct device_claim claim = make_claim(NIC, "web", 1234, "e1000e"), back;
	struct claim_store store;
	struct name_list bdfs;
	struct stat st;

	claim.pid_start = 987654;
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &claim), 0);
	ck_assert_int_eq(claim_read(&store, NIC, &back), 0);
	ck_assert_str_eq(back.bdf, NIC);
	ck_assert_str_eq(back.holder, "web");
	ck_assert_int_eq(back.pid, 1234);
	ck_assert_uint_eq(back.pid_start, 987654);
	ck_assert_str_eq(back.host_driver, "e1000e");
	ck_assert_int_eq(stat(store.dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(claim_list(&store, &bdfs), 0);
	ck_assert_uint_eq(bdfs.count, 1);
	ck_assert_str_eq(bdfs.names[0], NIC);
	name_list_free(&bdfs);
	ck_assert_int_eq(claim_remove(&store, NIC), 0);
	ck_assert_int_eq(claim_read(&store, NIC, &back), -ENOENT);
	claim_store_close(&store);
}
END_TEST

START_TEST(claim_records_rejected_when_malformed)
{
	struct device_claim claim = make_claim(NIC, "web", 1234, "../../evil"), back;
	struct claim_store store;

	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &claim), 0);
	ck_assert_int_eq(claim_read(&store, NIC, &back), -EINVAL);
	fake_file(&host, "/run/devices/" NVME ".json", "{\"pci\": \"0000:00:06.0\"");
	ck_assert_int_eq(claim_read(&store, NVME, &back), -EINVAL);
	ck_assert_int_eq(claim_read(&store, "../etc/passwd", &back), -EINVAL);
	claim_store_close(&store);
}
END_TEST

/* The NIC's record must not be able to name the host's NVMe: recovery would unbind that one. */
START_TEST(claim_record_must_name_its_own_device)
{
	struct device_claim back;
	struct claim_store store;

	open_store(&store);
	fake_file(&host, "/run/devices/" NIC ".json",
		  "{\"pci\": \"" NVME "\", \"holder\": \"web\", \"pid\": 1234, \"pid_start\": 0, \"host_driver\": \"nvme\"}");
	ck_assert_int_eq(claim_read(&store, NIC, &back), -EINVAL);
	fake_file(&host, "/run/devices/" NIC ".json",
		  "{\"pci\": \"00:02.0\", \"holder\": \"web\", \"pid\": 1234, \"pid_start\": 0, \"host_driver\": \"e1000e\"}");
	ck_assert_int_eq(claim_read(&store, NIC, &back), 0);	/* the short form of the same address */
	claim_store_close(&store);
}
END_TEST

START_TEST(stale_claim_of_dead_pid)
{
	struct device_claim claim = make_claim(NIC, "web", dead_pid(), "e1000e");
	struct device_claim live = make_claim(NIC, "web", getpid(), "e1000e");

	ck_assert(!claim_is_live(&env.fs, &claim));
	ck_assert(claim_is_live(&env.fs, &live));
}
END_TEST

START_TEST(reused_pid_is_not_the_holder)
{
	struct device_claim claim = make_claim(NIC, "web", getpid(), "e1000e");
	char stat_path[64];

	snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", (int)getpid());
	fake_file(&host, stat_path, "42 (sheer run) S 1 42 42 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 5555 1000 10\n");
	ck_assert_int_eq(claim_set_holder(&env.fs, &claim, "web", getpid()), 0);
	ck_assert_uint_eq(claim.pid_start, 5555);
	ck_assert(claim_is_live(&env.fs, &claim));
	fake_file(&host, stat_path, "42 (sheer run) S 1 42 42 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 7777 1000 10\n");
	ck_assert(!claim_is_live(&env.fs, &claim));
}
END_TEST

static struct server_config server(const char *name, const char *bdf)
{
	struct server_config cfg = { .n_devices = 1 };

	strcpy(cfg.name, name);
	strcpy(cfg.devices[0].pci, bdf);
	return cfg;
}

static int claim(const struct server_config *cfg, char *err, size_t errlen)
{
	struct passthru_claims claims;

	err[0] = '\0';
	return passthru_claim_in(&env, cfg, getpid(), &claims, err, errlen);
}

/* A refusal leaves the host as it was: no override written, no claim recorded. */
static void assert_nothing_changed(const char *bdf)
{
	char path[PATH_MAX], value[64];
	struct claim_store store;
	struct name_list bdfs;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	fake_read(&host, path, value, sizeof(value));
	ck_assert_str_eq(value, "");
	fake_read(&host, "/sys/bus/pci/drivers_probe", value, sizeof(value));
	ck_assert_str_eq(value, "");
	open_store(&store);
	ck_assert_int_eq(claim_list(&store, &bdfs), 0);
	ck_assert_uint_eq(bdfs.count, 0);
	claim_store_close(&store);
}

START_TEST(refused_without_iommu)
{
	struct server_config cfg = server("web", NIC);
	char err[512];

	fake_pci(&host, NIC, "0x8086\n", "0x10d3\n", "0x020000\n", "e1000e", -1);
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err, "device " NIC ": the host has no IOMMU (no ACPI DMAR or IVRS table)");
	ck_assert(passthru_error_is_refusal(-EPERM));
	assert_nothing_changed(NIC);
}
END_TEST

START_TEST(refused_without_interrupt_remapping_unless_allowed)
{
	struct server_config cfg = server("web", SATA);
	char err[512];

	fake_q35();
	fake_file(&host, "/proc/cmdline", "intel_iommu=on intremap=off\n");
	fake_file(&host, "/proc/interrupts", "           CPU0\n 24:   0  PCI-MSI 32768-edge  eth0\n");
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "no interrupt remapping"));
	cfg.allow_unsafe_interrupts = true;
	/* Allowed past remapping, it stops at the next check: the group. */
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EBUSY);
	assert_nothing_changed(SATA);
}
END_TEST

START_TEST(refused_non_viable_group_naming_the_others)
{
	struct server_config cfg = server("db", SATA);
	char err[512];

	fake_q35();
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, "device " SATA ": IOMMU group 2 is not viable: 0000:00:1f.0 (lpc_ich), "
			      "0000:00:1f.3 (i801_smbus) are in use by the host");
	assert_nothing_changed(SATA);
	assert_nothing_changed("0000:00:1f.0");
}
END_TEST

START_TEST(refused_device_with_default_route)
{
	struct server_config cfg = server("web", NIC);
	char err[512];

	fake_q35();
	fake_link(&host, "/sys/class/net/eth0/device", "../../../devices/pci0000:00/" NIC);
	fake_file(&host, "/proc/net/route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
					    "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\n");
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err, "device " NIC ": the host uses it: carries the host's default route (eth0) "
			      "(force = yes assigns anyway)");
	assert_nothing_changed(NIC);
}
END_TEST

/* Forced past the checks, binding on a fake tree never sticks: the claim is rolled back. */
START_TEST(forced_claim_rolled_back_when_binding_fails)
{
	struct server_config cfg = server("web", NIC);
	struct claim_store store;
	struct name_list bdfs;
	char err[512], value[64];

	fake_q35();
	fake_link(&host, "/sys/class/net/eth0/device", "../../../devices/pci0000:00/" NIC);
	fake_file(&host, "/proc/net/route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
					    "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\n");
	cfg.devices[0].force = true;
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EIO);
	ck_assert(!passthru_error_is_refusal(-EIO));
	ck_assert_str_eq(err, "device " NIC ": cannot bind it to vfio-pci: Input/output error");
	fake_read(&host, "/sys/bus/pci/devices/" NIC "/driver_override", value, sizeof(value));
	ck_assert_str_eq(value, "\n");
	open_store(&store);
	ck_assert_int_eq(claim_list(&store, &bdfs), 0);
	ck_assert_uint_eq(bdfs.count, 0);
	claim_store_close(&store);
}
END_TEST

START_TEST(refused_device_held_by_live_server)
{
	struct device_claim held = make_claim(NIC, "web", getpid(), "e1000e");
	struct server_config cfg = server("db", NIC);
	struct claim_store store;
	char err[512], expected[128];

	fake_q35();
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &held), 0);
	claim_store_close(&store);
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EBUSY);
	snprintf(expected, sizeof(expected), "device " NIC ": held by server web (pid %d)", (int)getpid());
	ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(refused_group_held_through_another_member)
{
	struct device_claim held = make_claim("0000:00:03.0", "web", getpid(), "e1000e");
	struct server_config cfg = server("db", NIC);
	struct claim_store store;
	char err[512];

	fake_q35();
	fake_pci(&host, "0000:00:03.0", "0x8086\n", "0x10d3\n", "0x020000\n", "vfio-pci", 1);
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &held), 0);
	claim_store_close(&store);
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, "device " NIC ": IOMMU group 1 is held by server web (through 0000:00:03.0)");
}
END_TEST

START_TEST(refused_bad_addresses)
{
	struct server_config cfg = server("web", "00:09.0");
	char err[512];

	fake_q35();
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -ENODEV);
	ck_assert_str_eq(err, "device 0000:00:09.0: no such PCI device on this host");
	strcpy(cfg.devices[0].pci, "not-a-bdf");
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EINVAL);
	strcpy(cfg.devices[0].pci, NIC);
	strcpy(cfg.devices[1].pci, "00:02.0");
	cfg.n_devices = 2;
	ck_assert_int_eq(claim(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "device " NIC ": given twice");
}
END_TEST

START_TEST(release_refuses_live_and_unclaimed)
{
	struct device_claim held = make_claim(NIC, "web", getpid(), "e1000e");
	struct claim_store store;
	char err[512];

	fake_q35();
	ck_assert_int_eq(passthru_release_stale(&env, NIC, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "device " NIC ": no server claims it (nothing to release)");
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &held), 0);
	ck_assert_int_eq(passthru_release_stale(&env, NIC, err, sizeof(err)), -EBUSY);
	ck_assert_int_eq(claim_read(&store, NIC, &held), 0);
	claim_store_close(&store);
}
END_TEST

/* The fake device already shows its host driver: restoring clears the override and drops the claim. */
START_TEST(release_stale_claim)
{
	struct device_claim stale = make_claim(NIC, "web", dead_pid(), "e1000e"), back;
	struct claim_store store;
	char err[512], value[64];

	fake_q35();
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &stale), 0);
	ck_assert_int_eq(passthru_release_stale(&env, "00:02.0", err, sizeof(err)), 0);
	ck_assert_int_eq(claim_read(&store, NIC, &back), -ENOENT);
	fake_read(&host, "/sys/bus/pci/devices/" NIC "/driver_override", value, sizeof(value));
	ck_assert_str_eq(value, "\n");
	claim_store_close(&store);
}
END_TEST

/* A VF disabled since it was claimed: its claim must neither block every start nor resist release. */
START_TEST(claim_of_a_device_that_is_gone_is_cleared)
{
	struct device_claim gone = make_claim("0000:00:09.1", "web", dead_pid(), "e1000e");
	struct device_claim back;
	struct claim_store store;
	char err[512];

	fake_q35();
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &gone), 0);
	ck_assert_int_eq(passthru_release_stale(&env, "0000:00:09.1", err, sizeof(err)), 0);
	ck_assert_int_eq(claim_read(&store, "0000:00:09.1", &back), -ENOENT);
	ck_assert_int_eq(claim_write(&store, &gone), 0);
	ck_assert_int_eq(passthru_recover_stale_in(&env, err, sizeof(err)), 1);
	ck_assert_int_eq(claim_read(&store, "0000:00:09.1", &back), -ENOENT);
	claim_store_close(&store);
}
END_TEST

START_TEST(recover_only_stale_claims)
{
	struct device_claim stale = make_claim(NIC, "web", dead_pid(), "e1000e");
	struct device_claim live = make_claim(NVME, "db", getpid(), "nvme"), back;
	struct claim_store store;
	char err[512];

	fake_q35();
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &stale), 0);
	ck_assert_int_eq(claim_write(&store, &live), 0);
	ck_assert_int_eq(passthru_recover_stale_in(&env, err, sizeof(err)), 1);
	ck_assert_int_eq(claim_read(&store, NIC, &back), -ENOENT);
	ck_assert_int_eq(claim_read(&store, NVME, &back), 0);
	ck_assert_str_eq(back.holder, "db");
	claim_store_close(&store);
}
END_TEST

START_TEST(device_info_viability_and_holder)
{
	struct device_claim stale = make_claim(NIC, "web", dead_pid(), "e1000e");
	struct device_info info;
	struct claim_store store;

	fake_q35();
	ck_assert_int_eq(device_info_fill(&env.fs, NIC, &info), 0);
	ck_assert(info.assignable);
	ck_assert_int_eq(device_info_fill(&env.fs, SATA, &info), 0);
	ck_assert(!info.assignable);
	ck_assert_str_eq(info.blockers, "0000:00:1f.0 (lpc_ich), 0000:00:1f.3 (i801_smbus)");
	open_store(&store);
	ck_assert_int_eq(claim_write(&store, &stale), 0);
	ck_assert_int_eq(device_info_fill(&env.fs, NIC, &info), 0);
	device_info_fill_claim(&env.fs, &store, &info);
	ck_assert(info.claimed);
	ck_assert(!info.claim_live);
	ck_assert_str_eq(info.claim.holder, "web");
	claim_store_close(&store);
}
END_TEST

/* ---- the guest's view of a passed-through function ---- */

/* An e1000e-like function: BAR0 32-bit mem, BAR2 I/O, BAR3 64-bit mem; caps PM, MSI, vendor, PCIe, MSI-X, extended AER. */
static void fake_config(uint8_t *raw)
{
	memset(raw, 0, CONFIG_SPACE_SIZE);
	raw[0x00] = 0x86, raw[0x01] = 0x80, raw[0x02] = 0xd3, raw[0x03] = 0x10;
	raw[0x06] = 0x10;			/* status: capability list */
	raw[0x10] = 0x00;			/* BAR0: 32-bit memory */
	raw[0x18] = 0x01;			/* BAR2: I/O */
	raw[0x1c] = 0x0c;			/* BAR3: 64-bit prefetchable */
	raw[0x30] = 0x01, raw[0x32] = 0xfc;	/* a ROM */
	raw[0x34] = 0xc8;
	raw[0x3d] = 1;				/* INTA */
	raw[0xc8] = 0x01, raw[0xc9] = 0xd0;	/* PM -> MSI */
	raw[0xd0] = 0x05, raw[0xd1] = 0x60;	/* MSI (64-bit, 4 vectors, per-vector masks) -> vendor */
	raw[0xd2] = 0x84 | 0x04, raw[0xd3] = 0x01;
	raw[0x60] = 0x09, raw[0x61] = 0xa0;	/* vendor specific -> PCIe */
	raw[0xa0] = 0x10, raw[0xa1] = 0x70;	/* PCIe -> MSI-X */
	raw[0x70] = 0x11, raw[0x71] = 0x70;	/* MSI-X pointing at itself: a loop */
	raw[0x72] = 0x04;			/* 5 vectors */
	raw[0x74] = 0x03;			/* table in BAR3 at 0 */
	raw[0x78] = 0x03, raw[0x79] = 0x20;	/* PBA in BAR3 at 0x2000 */
	raw[0x100] = 0x01, raw[0x102] = 0x01;	/* AER */
}

static void init_fake_config(struct config_space *cs)
{
	static uint8_t raw[CONFIG_SPACE_SIZE];
	const uint64_t sizes[CONFIG_BARS] = { 0x20000, 0, 0x20, 0x4000, 0, 0 };

	fake_config(raw);
	ck_assert_int_eq(config_space_init(cs, raw, CONFIG_SPACE_SIZE, sizes), 0);
}

static uint32_t guest_read(const struct config_space *cs, unsigned int reg, unsigned int size)
{
	return config_space_read(cs, reg, size, 0x5a5a5a5a);
}

START_TEST(bar_sizing_answers_the_size_mask)
{
	static struct config_space cs;

	init_fake_config(&cs);
	config_space_write(&cs, 0x10, 4, 0xffffffff);
	ck_assert_uint_eq(guest_read(&cs, 0x10, 4), 0xfffe0000);
	config_space_write(&cs, 0x14, 4, 0xffffffff);
	ck_assert_uint_eq(guest_read(&cs, 0x14, 4), 0);		/* no BAR1 */
	config_space_write(&cs, 0x18, 4, 0xffffffff);
	ck_assert_uint_eq(guest_read(&cs, 0x18, 4), 0xffffffe1);
	config_space_write(&cs, 0x1c, 4, 0xffffffff);
	config_space_write(&cs, 0x20, 4, 0xffffffff);
	ck_assert_uint_eq(guest_read(&cs, 0x1c, 4), 0xffffc00c);
	ck_assert_uint_eq(guest_read(&cs, 0x20, 4), 0xffffffff);
	config_space_write(&cs, 0x1c, 4, 0xc0004000);
	config_space_write(&cs, 0x20, 4, 0x1);
	ck_assert_uint_eq(config_space_bar_address(&cs, 3), 0x1c0004000ULL);
	ck_assert_uint_eq(config_space_bar_address(&cs, 4), 0);
	config_space_set_bar_address(&cs, 0, 0xc0020000);
	ck_assert_uint_eq(config_space_bar_address(&cs, 0), 0xc0020000);
	ck_assert_uint_eq(guest_read(&cs, 0x30, 4), 0);		/* ROM hidden */
	config_space_write(&cs, 0x30, 4, 0xffffffff);
	ck_assert_uint_eq(guest_read(&cs, 0x30, 4), 0);
}
END_TEST

START_TEST(only_pm_msi_pcie_msix_stay_linked)
{
	static struct config_space cs;
	uint8_t ids[8];
	unsigned int n = 0;

	init_fake_config(&cs);
	for (unsigned int cap = guest_read(&cs, 0x34, 1); cap && n < 8; cap = guest_read(&cs, cap + 1, 1))
		ids[n++] = guest_read(&cs, cap, 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(ids[0], 0x01);
	ck_assert_uint_eq(ids[1], 0x05);
	ck_assert_uint_eq(ids[2], 0x10);
	ck_assert_uint_eq(ids[3], 0x11);
	ck_assert_uint_eq(guest_read(&cs, 0x100, 4), 0);		/* extended capabilities hidden */
	/* MSI: one vector, no per-vector masks; the enable bit and address are the guest's. */
	ck_assert_uint_eq(guest_read(&cs, 0xd2, 2), 0x80);
	config_space_write(&cs, 0xd2, 2, 0xffff);
	ck_assert_uint_eq(guest_read(&cs, 0xd2, 2), 0x81);
	config_space_write(&cs, 0xd4, 4, 0xfee00003);
	ck_assert_uint_eq(guest_read(&cs, 0xd4, 4), 0xfee00000);
	/* MSI-X: table size read-only, enable and function mask the guest's, both emulated. */
	ck_assert_uint_eq(config_space_device_bytes(&cs, 0x72, 2), 0);
	config_space_write(&cs, 0x72, 2, 0xffff);
	ck_assert_uint_eq(guest_read(&cs, 0x72, 2), 0xc004);
	ck_assert_uint_eq(cs.msix_cap, 0x70);
	/* The PCIe capability body and the header's IDs come from the device. */
	ck_assert_uint_eq(config_space_device_bytes(&cs, 0xa4, 4), 0xf);
	ck_assert_uint_eq(config_space_device_bytes(&cs, 0x00, 4), 0xf);
	ck_assert_uint_eq(guest_read(&cs, 0x00, 4), 0x5a5a5a5a);
}
END_TEST

START_TEST(config_accesses_out_of_bounds_are_refused)
{
	static struct config_space cs;
	uint8_t raw[64] = { 0 };
	const uint64_t none[CONFIG_BARS] = { 0 };

	init_fake_config(&cs);
	ck_assert(!config_space_access_ok(4096, 1));
	ck_assert(!config_space_access_ok(4095, 2));
	ck_assert(!config_space_access_ok(2, 4));
	ck_assert(!config_space_access_ok(0, 8));
	ck_assert(!config_space_access_ok(0, 3));
	ck_assert_uint_eq(config_space_read(&cs, 4094, 4, 0), ~0u);
	config_space_write(&cs, 4093, 4, 0xffffffff);		/* ignored, no overflow */
	ck_assert_uint_eq(config_space_device_bytes(&cs, 4095, 2), 0);
	ck_assert_int_eq(config_space_init(&cs, raw, 16, none), -EINVAL);
	raw[0x0e] = 1;					/* a bridge */
	ck_assert_int_eq(config_space_init(&cs, raw, sizeof(raw), none), -EINVAL);
	raw[0x0e] = 0, raw[0x06] = 0x10, raw[0x34] = 0xfc;	/* a capability pointer off the end */
	ck_assert_int_eq(config_space_init(&cs, raw, sizeof(raw), none), 0);
	ck_assert_uint_eq(guest_read(&cs, 0x34, 1), 0);
}
END_TEST

/* A device's word on where its MSI-X table and PBA lie is checked against its BAR's size. */
START_TEST(msix_layout_must_lie_inside_its_bar)
{
	char why[200];

	ck_assert_int_eq(msix_layout_check(0x2000, 64, 0x3000, 8, 3, 0x4000, why, sizeof(why)), 0);
	ck_assert_int_eq(msix_layout_check(0x3c00, 64, 0, 0, 3, 0x4000, why, sizeof(why)), 0);	/* ends exactly at the end */
	ck_assert_int_eq(msix_layout_check(0x4000, 1, 0x3000, 8, 3, 0x4000, why, sizeof(why)), -ERANGE);	/* past the end */
	ck_assert_str_eq(why, "MSI-X table at 0x4000 (1 vectors) ends past the end of BAR 3 (0x4000 bytes)");
	ck_assert_int_eq(msix_layout_check(0x3c00, 65, 0, 0, 3, 0x4000, why, sizeof(why)), -ERANGE);	/* straddles it */
	ck_assert_int_eq(msix_layout_check(0x1000, 4, 0x3ffc, 8, 3, 0x4000, why, sizeof(why)), -ERANGE);	/* the PBA does */
	ck_assert(strstr(why, "MSI-X PBA at 0x3ffc"));
	ck_assert_int_eq(msix_layout_check(UINT64_MAX - 8, 1, 0, 0, 0, 0x4000, why, sizeof(why)), -ERANGE);	/* wraps */
	ck_assert_int_eq(msix_layout_check(0, 1, 0, 0, 2, 0, why, sizeof(why)), -ERANGE);	/* the BAR does not exist */
}
END_TEST

/*
 * A function refused while it is being set up (a bridge, whose header type is
 * not 0, or an MSI-X capability naming BAR 6 or 7) is destroyed before its
 * BARs were described: as vfio_pci_create() leaves it then. Found by
 * fuzz_vfio_pci: bar_unmap() read bar->device, still NULL, before looking
 * whether the BAR was mapped at all.
 */
START_TEST(device_refused_before_its_bars_are_described_is_destroyed)
{
	struct vfio_pci_machine machine;
	struct vfio_pci_device *device = calloc(1, sizeof(*device));

	ck_assert_ptr_nonnull(device);
	vfio_pci_machine_init(&machine, -1, NULL, NULL, NULL, NULL, NULL, NULL, 0);
	device->machine = &machine;
	device->vfio.fd = device->intx.trigger_fd = device->intx.unmask_fd = device->msi.eventfd = -1;
	vfio_pci_destroy(device);
}
END_TEST

START_TEST(msix_table_ignores_hostile_accesses)
{
	struct msix_table table;

	ck_assert_int_eq(msix_table_init(&table, 0), -EINVAL);
	ck_assert_int_eq(msix_table_init(&table, MSIX_MAX_VECTORS + 1), -EINVAL);
	ck_assert_int_eq(msix_table_init(&table, 5), 0);
	ck_assert(msix_entry_masked(&table.entries[4]));
	ck_assert_int_eq(msix_table_write(&table, 4 * 16, 8, 0x1fee01000ULL), 4);
	ck_assert_int_eq(msix_table_write(&table, 4 * 16 + 8, 4, 0x4041), 4);
	ck_assert_int_eq(msix_table_write(&table, 4 * 16 + 12, 4, 0xfffffffe), 4);
	ck_assert_uint_eq(msix_entry_address(&table.entries[4]), 0x1fee01000ULL);
	ck_assert_uint_eq(table.entries[4].data, 0x4041);
	ck_assert(!msix_entry_masked(&table.entries[4]));
	ck_assert_uint_eq(table.entries[4].control, 0);		/* reserved bits dropped */
	ck_assert_uint_eq(msix_table_read(&table, 4 * 16 + 8, 4), 0x4041);
	ck_assert_int_eq(msix_table_write(&table, 5 * 16, 4, 0), -1);	/* past the table */
	ck_assert_int_eq(msix_table_write(&table, ~0ULL - 3, 4, 0), -1);
	ck_assert_int_eq(msix_table_write(&table, 2, 4, 0), -1);	/* unaligned */
	ck_assert_int_eq(msix_table_write(&table, 4, 8, 0), -1);
	ck_assert_int_eq(msix_table_write(&table, 0, 2, 0), -1);	/* too narrow */
	ck_assert_int_eq(msix_table_write(&table, 0, 16, 0), -1);
	ck_assert_uint_eq(msix_table_read(&table, 5 * 16, 4), 0);
	ck_assert_uint_eq(msix_table_read(&table, 1ULL << 63, 8), 0);
	msix_table_destroy(&table);
}
END_TEST

/* ---- failover pairs ---- */

/* An e1000e on its host driver, with its interface and MAC, as sysfs shows them. */
static void fake_nic(const char *bdf, const char *mac)
{
	char path[PATH_MAX];

	fake_pci(&host, bdf, "0x8086\n", "0x10d3\n", "0x020000\n", "e1000e", 7);
	snprintf(path, sizeof(path), "/sys/devices/pci0000:00/%s/net/eth0/address", bdf);
	fake_file(&host, path, mac);
}

static struct server_config failover_config(const char *nic_mac)
{
	struct server_config cfg = { .name = "fo", .n_devices = 1, .n_nics = 1 };

	strcpy(cfg.devices[0].pci, "0000:00:02.0");
	strcpy(cfg.devices[0].failover, "net0");
	strcpy(cfg.nics[0].name, "net0");
	strcpy(cfg.nics[0].bridge, "br0");
	ck_assert_int_eq(parse_mac(nic_mac, cfg.nics[0].mac), 0);
	cfg.nics[0].standby = true;
	return cfg;
}

START_TEST(failover_pair_needs_the_same_mac)
{
	struct server_config cfg = failover_config("02:5e:00:00:0a:01");
	char err[512];

	fake_nic("0000:00:02.0", "02:5e:00:00:0a:01\n");
	ck_assert_int_eq(failover_check_pairs(&env.fs, &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.nics[0].primary_vendor, 0x8086);	/* another host is told the model */
	ck_assert_uint_eq(cfg.nics[0].primary_device, 0x10d3);
	cfg = failover_config("02:5e:00:00:0a:99");
	ck_assert_int_eq(failover_check_pairs(&env.fs, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "fo: failover pair 0000:00:02.0 (MAC 02:5e:00:00:0a:01) and NIC net0 (MAC "
			      "02:5e:00:00:0a:99) have different MACs; give the NIC mac = 02:5e:00:00:0a:01");
	/* On vfio-pci already (no interface): its MAC cannot be read, so the pair cannot be checked. */
	fake_remove(&host, "/sys/devices/pci0000:00/0000:00:02.0/net/eth0/address");
	ck_assert_int_eq(failover_check_pairs(&env.fs, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "has no network interface on this host"));
}
END_TEST

START_TEST(failover_pick_takes_a_free_nic_of_the_model_and_mac)
{
	struct server_config cfg = failover_config("02:5e:00:00:0a:01");
	const char pool[2][16] = { "0000:00:03.0", "0000:00:04.0" };
	char bdf[16];

	cfg.nics[0].primary_vendor = 0x8086;
	cfg.nics[0].primary_device = 0x10d3;
	fake_nic("0000:00:03.0", "02:5e:00:00:0a:77\n");	/* another MAC */
	fake_nic("0000:00:04.0", "02:5e:00:00:0a:01\n");
	ck_assert_int_eq(failover_pick(&env.fs, run_dir, &cfg.nics[0], pool, 2, bdf), 0);
	ck_assert_str_eq(bdf, "0000:00:04.0");
	ck_assert_int_eq(failover_pick(&env.fs, run_dir, &cfg.nics[0], pool, 1, bdf), -ENOENT);
	cfg.nics[0].primary_device = 0x100e;	/* an e1000 partner: no NIC of that model here */
	ck_assert_int_eq(failover_pick(&env.fs, run_dir, &cfg.nics[0], pool, 2, bdf), -ENOENT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *suite = suite_create("passthru");
	TCase *claims = tcase_create("claims"), *refusals = tcase_create("refusals");
	TCase *release = tcase_create("release");
	TCase *all[] = { claims, refusals, release };
	TCase *device_model = tcase_create("device-model");

	for (unsigned int i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(suite, all[i]);
	}
	tcase_add_test(claims, claim_round_trip);
	tcase_add_test(claims, claim_records_rejected_when_malformed);
	tcase_add_test(claims, claim_record_must_name_its_own_device);
	tcase_add_test(claims, stale_claim_of_dead_pid);
	tcase_add_test(claims, reused_pid_is_not_the_holder);
	tcase_add_test(refusals, refused_without_iommu);
	tcase_add_test(refusals, refused_without_interrupt_remapping_unless_allowed);
	tcase_add_test(refusals, refused_non_viable_group_naming_the_others);
	tcase_add_test(refusals, refused_device_with_default_route);
	tcase_add_test(refusals, forced_claim_rolled_back_when_binding_fails);
	tcase_add_test(refusals, refused_device_held_by_live_server);
	tcase_add_test(refusals, refused_group_held_through_another_member);
	tcase_add_test(refusals, refused_bad_addresses);
	tcase_add_test(release, release_refuses_live_and_unclaimed);
	tcase_add_test(claims, failover_pair_needs_the_same_mac);
	tcase_add_test(claims, failover_pick_takes_a_free_nic_of_the_model_and_mac);
	tcase_add_test(release, release_stale_claim);
	tcase_add_test(release, recover_only_stale_claims);
	tcase_add_test(release, claim_of_a_device_that_is_gone_is_cleared);
	tcase_add_test(release, device_info_viability_and_holder);
	suite_add_tcase(suite, device_model);
	tcase_add_test(device_model, bar_sizing_answers_the_size_mask);
	tcase_add_test(device_model, only_pm_msi_pcie_msix_stay_linked);
	tcase_add_test(device_model, config_accesses_out_of_bounds_are_refused);
	tcase_add_test(device_model, msix_table_ignores_hostile_accesses);
	tcase_add_test(device_model, msix_layout_must_lie_inside_its_bar);
	tcase_add_test(device_model, device_refused_before_its_bars_are_described_is_destroyed);
	return suite;
}
