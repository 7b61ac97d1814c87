/*
 * Unit tests of the operator front end: profile and flags, validation,
 * placement on a fake topology, the control protocol and socket, the registry.
 * No KVM: the control server is driven through a fake ops table.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/lib/cli.h"
#include "vmm/lib/clock.h"
#include "vmm/cli/command.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/completion.h"
#include "vmm/server/control.h"
#include "vmm/lib/parse.h"
#include "vmm/lib/private_dir.h"
#include "vmm/server/placement.h"
#include "vmm/server/profile.h"
#include "vmm/server/registry.h"
#include "vmm/cli/run_options.h"
#include "vmm/server/spec.h"

#define GiB (1024ull * 1024 * 1024)
#define MiB (1024ull * 1024)

static char scratch[64];	/* short, so paths built from it provably fit */
static char err[1024];

/* Each test runs in its own forked process with a fresh scratch directory. */
static void scratch_setup(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/sheer-front-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
	err[0] = '\0';
}

static void scratch_teardown(void)
{
	char command[PATH_MAX + 16];

	snprintf(command, sizeof(command), "rm -rf '%s'", scratch);
	ck_assert_int_eq(system(command), 0);
}

static const char *scratch_file(const char *name, const char *content)
{
	static char path[PATH_MAX];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	if (content) {
		file = fopen(path, "w");
		ck_assert_ptr_nonnull(file);
		fputs(content, file);
		fclose(file);
	}
	return path;
}

/* ---- small parsers ---- */

START_TEST(size_accepts_binary_units)
{
	uint64_t bytes;

	ck_assert_int_eq(parse_size("512M", &bytes), 0);
	ck_assert_uint_eq(bytes, 512 * MiB);
	ck_assert_int_eq(parse_size("2G", &bytes), 0);
	ck_assert_uint_eq(bytes, 2 * GiB);
	ck_assert_int_eq(parse_size("64k", &bytes), 0);
	ck_assert_uint_eq(bytes, 65536);
	ck_assert_int_eq(parse_size("4096", &bytes), 0);
	ck_assert_uint_eq(bytes, 4096);
}
END_TEST

START_TEST(size_rejects_garbage)
{
	static const char *const bad[] = { "", "M", "12X", "1MB", "-1", " 1M", "1M ", "0x10",
					   "99999999999999999999", "17179869184G" };
	uint64_t bytes;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_size(bad[i], &bytes) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(bool_and_pci_and_names)
{
	char pci[16];
	bool value;

	ck_assert_int_eq(parse_bool("Yes", &value), 0);
	ck_assert(value);
	ck_assert_int_eq(parse_bool("off", &value), 0);
	ck_assert(!value);
	ck_assert_int_eq(parse_bool("maybe", &value), -EINVAL);
	ck_assert_int_eq(parse_pci_address("03:00.0", pci, sizeof(pci)), 0);
	ck_assert_str_eq(pci, "0000:03:00.0");
	ck_assert_int_eq(parse_pci_address("0001:af:1f.7", pci, sizeof(pci)), 0);
	ck_assert_str_eq(pci, "0001:af:1f.7");
	ck_assert_int_eq(parse_pci_address("03:20.0", pci, sizeof(pci)), -EINVAL);
	ck_assert_int_eq(parse_pci_address("03:00.8", pci, sizeof(pci)), -EINVAL);
	ck_assert_int_eq(parse_pci_address("0000:03:00.0x", pci, sizeof(pci)), -EINVAL);
	ck_assert_int_eq(parse_pci_address("+3:00.0", pci, sizeof(pci)), -EINVAL);
	ck_assert(server_name_is_valid("web01"));
	ck_assert(server_name_is_valid("db-2.prod_x"));
	ck_assert(!server_name_is_valid(""));
	ck_assert(!server_name_is_valid(".hidden"));
	ck_assert(!server_name_is_valid("a/b"));
	ck_assert(!server_name_is_valid("web 01"));
	ck_assert(!server_name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}
END_TEST

/* ---- profile ---- */

static const char full_profile[] =
	"# a web server\n"
	"; another comment style\n"
	"\n"
	"[server]\n"
	"name = web01\n"
	"  cpus=2  \n"
	"memory = 512M\n"
	"kernel = /images/vmlinuz\n"
	"initrd = os.cpio.gz\n"
	"cmdline = \"console=ttyS0 root=/dev/ram0 a=b;c#d\"\n"
	"numa_node = 1\n"
	"dedicated_cores = no\n"
	"allow_unsafe_interrupts = yes\n"
	"\n"
	"[device]\n"
	"pci = 0000:03:00.0\n"
	"force = yes\n"
	"[ device ]\n"
	"pci = 04:00.1\n";

START_TEST(profile_reads_every_key)
{
	struct server_spec spec;
	char initrd[PATH_MAX];

	spec_init(&spec);
	ck_assert_int_eq(profile_load(scratch_file("web01.ini", full_profile), &spec, err, sizeof(err)), 0);
	ck_assert_str_eq(spec.cfg.name, "web01");
	ck_assert_uint_eq(spec.cfg.cpus, 2);
	ck_assert_uint_eq(spec.cfg.memory_bytes, 512 * MiB);
	ck_assert_str_eq(spec.cfg.kernel, "/images/vmlinuz");
	snprintf(initrd, sizeof(initrd), "%s/os.cpio.gz", scratch);
	ck_assert_str_eq(spec.cfg.initrd, initrd);
	ck_assert_str_eq(spec.cfg.cmdline, "console=ttyS0 root=/dev/ram0 a=b;c#d");
	ck_assert_int_eq(spec.cfg.numa_node, 1);
	ck_assert(!spec.dedicated_cores);
	ck_assert(spec.cfg.allow_unsafe_interrupts);
	ck_assert_uint_eq(spec.cfg.n_devices, 2);
	ck_assert_str_eq(spec.cfg.devices[0].pci, "0000:03:00.0");
	ck_assert(spec.cfg.devices[0].force);
	ck_assert_str_eq(spec.cfg.devices[1].pci, "0000:04:00.1");
	ck_assert(!spec.cfg.devices[1].force);
}
END_TEST

static void assert_profile_error(const char *content, const char *expected)
{
	struct server_spec spec;
	const char *path = scratch_file("bad.ini", content);
	char want[PATH_MAX + 256];

	spec_init(&spec);
	ck_assert_int_lt(profile_load(path, &spec, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s:%s", path, expected);
	ck_assert_str_eq(err, want);
}

START_TEST(profile_errors_name_file_and_line)
{
	assert_profile_error("[server]\nname = a\ncpu = 2\n", "3: unknown key 'cpu' in [server]");
	assert_profile_error("[server]\n\n\nmemory = 12X\n",
			     "4: invalid memory '12X' (expected a size like 512M or 2G: a multiple of 2 MiB and at least 8 MiB)");
	assert_profile_error("[server]\ncpus = 0\n", "2: invalid cpus '0' (expected a number from 1 to 64)");
	assert_profile_error("[server]\ncpus = 65\n", "2: invalid cpus '65' (expected a number from 1 to 64)");
	assert_profile_error("[server]\nname = bad/name\n",
			     "2: invalid name 'bad/name' (expected letters, digits, '-', '_' or '.', "
			     "starting with a letter or digit, at most 63)");
	assert_profile_error("name = a\n", "1: key 'name' before any section (start with [server])");
	assert_profile_error("[servers]\n", "1: unknown section [servers] (expected [server], [device] or [nic])");
	assert_profile_error("[server\n", "1: section header without closing ']'");
	assert_profile_error("[server]\njust words\n", "2: expected 'key = value', '[section]' or a comment");
	assert_profile_error("[server]\n= 3\n", "2: missing key before '='");
	assert_profile_error("[server]\ncpus = 1\ncpus = 2\n", "3: key 'cpus' given twice in this section");
	assert_profile_error("[server]\n[server]\n", "2: [server] appears twice");
	assert_profile_error("[server]\n[device]\nforce = yes\n[device]\npci=01:00.0\n",
			     "2: [device] without a 'pci =' key");
	assert_profile_error("[server]\n[device]\npci = 01:00.0\nname = x\n", "4: unknown key 'name' in [device]");
	assert_profile_error("[server]\nallow_unsafe_interrupts = perhaps\n",
			     "2: invalid allow_unsafe_interrupts 'perhaps' (expected yes or no)");
}
END_TEST

START_TEST(profile_nic_sections)
{
	struct server_spec spec;

	spec_init(&spec);
	ck_assert_int_eq(profile_load(scratch_file("nic.ini", "[server]\nname = web01\nmemory = 64M\nkernel = /k\n"
								 "[nic]\nbridge = br0\n"
								 "[nic]\nname = up\ntap = tap7\nmac = 02:00:00:00:00:09\nqueues = 1\n"),
				      &spec, err, sizeof(err)), 0);
	ck_assert_uint_eq(spec.cfg.n_nics, 2);
	ck_assert_str_eq(spec.cfg.nics[0].bridge, "br0");
	ck_assert_str_eq(spec.cfg.nics[1].tap, "tap7");
	ck_assert_uint_eq(spec.cfg.nics[1].mac[5], 9);
	/* The check names the first NIC and derives its MAC from the server's name: the same every time. */
	spec_check(&spec, err, sizeof(err));
	ck_assert_str_eq(spec.cfg.nics[0].name, "net0");
	ck_assert_uint_eq(spec.cfg.nics[0].mac[0], 0x02);
	ck_assert_str_eq(spec.cfg.nics[1].name, "up");
	assert_profile_error("[server]\n[nic]\nmac = 02:00:00:00:00:01\n", "2: [nic] needs exactly one of 'bridge =' and 'tap ='");
	assert_profile_error("[server]\n[nic]\nbridge = br0\ntap = t0\n", "2: [nic] needs exactly one of 'bridge =' and 'tap ='");
	assert_profile_error("[server]\n[nic]\nbridge = br/0\n",
			     "3: invalid bridge 'br/0' (expected a host bridge's name, like br0)");
	assert_profile_error("[server]\n[nic]\nbridge = br0\nmac = 01:00:00:00:00:01\n",
			     "4: invalid mac '01:00:00:00:00:01' (expected a unicast MAC address like 02:5e:00:00:00:01)");
	assert_profile_error("[server]\n[nic]\nbridge = br0\nqueues = 4\n",
			     "4: invalid queues '4' (expected 1 (one queue pair; multiqueue is not offered yet))");
	assert_profile_error("[server]\n[nic]\nbridge = br0\npci = 01:00.0\n", "4: unknown key 'pci' in [nic]");
}
END_TEST

START_TEST(spec_refuses_nics_with_the_same_mac)
{
	struct server_spec spec;

	spec_init(&spec);
	ck_assert_int_eq(profile_load(scratch_file("twins.ini", "[server]\nname = web01\nmemory = 64M\nkernel = /k\n"
								   "[nic]\nbridge = br0\nmac = 02:00:00:00:00:01\n"
								   "[nic]\nbridge = br1\nmac = 02:00:00:00:00:01\n"),
				      &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "web01: NICs net0 and net1 have the same MAC");
}
END_TEST

START_TEST(profile_rejects_long_values_and_lines)
{
	char content[PROFILE_LINE_MAX + 64];
	char cmdline[SERVER_CMDLINE_MAX + 16];

	memset(cmdline, 'x', sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = '\0';
	snprintf(content, sizeof(content), "[server]\ncmdline = %s\n", cmdline);
	assert_profile_error(content, "2: cmdline is too long");

	memset(content, ' ', sizeof(content) - 1);
	memcpy(content, "[server]\n#", 10);
	content[sizeof(content) - 2] = '\n';
	content[sizeof(content) - 1] = '\0';
	assert_profile_error(content, "2: line too long");
}
END_TEST

START_TEST(profile_more_devices_than_allowed)
{
	char content[4096] = "[server]\n";

	for (int i = 0; i <= SERVER_MAX_DEVICES; i++)
		snprintf(content + strlen(content), sizeof(content) - strlen(content), "[device]\npci = %02x:00.0\n", i);
	assert_profile_error(content, "34: more than 16 devices");
}
END_TEST

START_TEST(profile_missing_file)
{
	struct server_spec spec;

	spec_init(&spec);
	ck_assert_int_eq(profile_load("/nonexistent/p.ini", &spec, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "profile /nonexistent/p.ini: No such file or directory");
}
END_TEST

/* ---- run options: flags over the profile ---- */

static int parse_args(struct server_spec *spec, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "run";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return run_options_parse(argc, argv, spec, err, sizeof(err));
}

START_TEST(flags_override_profile)
{
	const char *profile = scratch_file("p.ini", "[server]\nname = web01\ncpus = 2\nmemory = 512M\n"
						    "kernel = /k\n[device]\npci = 01:00.0\n");
	const char *args[] = { "--cpus", "4", profile, "--memory", "1G", "--device", "0000:02:00.0", "--shared-cores",
			       "--name", "web02", "--numa-node", "0", "--allow-unsafe-interrupts", NULL };
	struct server_spec spec;

	ck_assert_int_eq(parse_args(&spec, args), 0);
	ck_assert_str_eq(spec.cfg.name, "web02");
	ck_assert_uint_eq(spec.cfg.cpus, 4);
	ck_assert_uint_eq(spec.cfg.memory_bytes, GiB);
	ck_assert_str_eq(spec.cfg.kernel, "/k");
	ck_assert_uint_eq(spec.cfg.n_devices, 2);
	ck_assert_str_eq(spec.cfg.devices[1].pci, "0000:02:00.0");
	ck_assert(!spec.dedicated_cores);
	ck_assert_int_eq(spec.cfg.numa_node, 0);
	ck_assert(spec.cfg.allow_unsafe_interrupts);
}
END_TEST

START_TEST(flags_alone_are_enough)
{
	const char *args[] = { "--name", "w", "--memory", "64M", "--kernel", "vmlinuz", "--cmdline", "console=ttyS0",
			       NULL };
	struct server_spec spec;

	ck_assert_int_eq(parse_args(&spec, args), 0);
	ck_assert_uint_eq(spec.cfg.cpus, 1);
	ck_assert_str_eq(spec.cfg.kernel, "vmlinuz");
	ck_assert_str_eq(spec.cfg.cmdline, "console=ttyS0");
	ck_assert_int_eq(spec.cfg.numa_node, -1);
	ck_assert_int_eq(spec.cfg.host_cpu[0], -1);
	ck_assert(spec.dedicated_cores);
}
END_TEST

START_TEST(flag_errors)
{
	const char *unknown[] = { "--vcpus", "2", NULL };
	const char *two[] = { "a.ini", "b.ini", NULL };
	const char *bad_memory[] = { "--memory", "lots", NULL };
	const char *missing_value[] = { "--memory", NULL };
	struct server_spec spec;

	ck_assert_int_eq(parse_args(&spec, unknown), -EINVAL);
	ck_assert_str_eq(err, "run: bad option '--vcpus' (try 'sheer run --help')");
	ck_assert_int_eq(parse_args(&spec, two), -EINVAL);
	ck_assert_str_eq(err, "run: more than one profile given ('a.ini', 'b.ini')");
	ck_assert_int_eq(parse_args(&spec, bad_memory), -EINVAL);
	ck_assert_str_eq(err, "run: invalid memory 'lots' (expected a size like 512M or 2G: a multiple of 2 MiB and at least 8 MiB)");
	ck_assert_int_eq(parse_args(&spec, missing_value), -EINVAL);
}
END_TEST

/* ---- validation ---- */

START_TEST(check_requires_name_memory_kernel_files)
{
	struct server_spec spec;
	char want[PATH_MAX + 64];

	spec_init(&spec);
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no server name (give 'name =' in [server] or --name)");
	strcpy(spec.cfg.name, "w");
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "w: no memory size (give 'memory =' in [server] or --memory)");
	spec.cfg.memory_bytes = 64 * MiB;
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "w: no kernel (give 'kernel =' in [server] or --kernel, or boot = disk)");
	strcpy(spec.cfg.kernel, "/nonexistent/vmlinuz");
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "kernel /nonexistent/vmlinuz: No such file or directory");
	strcpy(spec.cfg.kernel, scratch);
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "kernel %s: is a directory, not a file", scratch);
	ck_assert_str_eq(err, want);
	strcpy(spec.cfg.kernel, scratch_file("bzImage", "not really"));
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), 0);
	strcpy(spec.cfg.initrd, "/nonexistent/initrd");
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "initrd /nonexistent/initrd: No such file or directory");
	spec.cfg.initrd[0] = '\0';
	strcpy(spec.cfg.firmware, "/nonexistent/bios.bin");
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "w: firmware is for boot = disk; this server boots its kernel directly");
}
END_TEST

/* What the VMM maps (2 MiB host pages, at least 8 MiB) is refused up front, naming the server and the size as given. */
START_TEST(check_memory_rule_names_the_server)
{
	static const char *const refused[] = { "5000K", "0", "6M", "9M", "16777217" };
	static const char *const accepted[] = { "8M", "10M", "16384K", "1G" };
	const char *kernel = scratch_file("bzImage", "not really");
	struct server_spec spec;
	char want[256];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *args[] = { "--name", "web1", "--kernel", kernel, "--memory", refused[i], NULL };

		ck_assert_int_eq(parse_args(&spec, args), 0);
		ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "web1: memory %s: must be a multiple of 2 MiB and at least 8 MiB (e.g. 512M)",
			 refused[i]);
		ck_assert_str_eq(err, want);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const char *args[] = { "--name", "web1", "--kernel", kernel, "--memory", accepted[i], NULL };

		ck_assert_int_eq(parse_args(&spec, args), 0);
		ck_assert_msg(spec_check(&spec, err, sizeof(err)) == 0, "%s: %s", accepted[i], err);
	}
	/* The same rule through a profile's memory = */
	spec_init(&spec);
	ck_assert_int_eq(profile_load(scratch_file("p.ini", "[server]\nmemory = 5000K\nname = web1\n"), &spec, err,
				      sizeof(err)), 0);
	strcpy(spec.cfg.kernel, kernel);
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "web1: memory 5000K: must be a multiple of 2 MiB and at least 8 MiB (e.g. 512M)");
}
END_TEST

/* boot = disk: the disk's loader picks the kernel, the firmware needs a controller to find the disk on. */
START_TEST(check_disk_boot_requirements)
{
	struct server_spec spec;

	spec_init(&spec);
	ck_assert_int_eq(spec_set(&spec, SPEC_SECTION_SERVER, "boot", "floppy", NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "invalid boot 'floppy' (expected kernel or disk)");
	ck_assert_int_eq(spec_set(&spec, SPEC_SECTION_SERVER, "boot", "disk", NULL, err, sizeof(err)), 0);
	strcpy(spec.cfg.name, "d");
	spec.cfg.memory_bytes = 64 * MiB;
	strcpy(spec.cfg.cmdline, "console=ttyS0");
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "d: boot = disk takes no kernel, initrd or cmdline (the disk's boot loader has them)");
	spec.cfg.cmdline[0] = '\0';
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "d: boot = disk needs the disk's controller passed through ([device] pci = ...)");
	ck_assert_int_eq(spec_add_device(&spec, err, sizeof(err)), 0);
	strcpy(spec.cfg.devices[0].pci, "0000:03:00.0");
	strcpy(spec.cfg.firmware, "/nonexistent/bios.bin");
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "firmware /nonexistent/bios.bin: No such file or directory");
	strcpy(spec.cfg.firmware, scratch_file("bios.bin", "a ROM"));
	ck_assert_int_eq(spec_check(&spec, err, sizeof(err)), 0);
}
END_TEST

/* ---- placement on a fake two-node topology: 2 packages x 4 cores x 2 threads ---- */

struct fake_node_memory {
	uint64_t free[2];
};

static int fake_node_free_memory(unsigned int node, uint64_t *bytes, void *arg)
{
	struct fake_node_memory *memory = arg;

	if (node > 1)
		return -EINVAL;
	*bytes = memory->free[node];
	return 0;
}

static struct placement_host fake_host;
static struct fake_node_memory fake_memory = { { 4 * GiB, 6 * GiB } };

static void placement_setup(void)
{
	char xml[PATH_MAX];
	const char *root = getenv("SHEER_TEST_ROOT");

	snprintf(xml, sizeof(xml), "%s/tests/unit/data/two-nodes-4c2t.xml", root ? root : ".");
	ck_assert_int_eq(placement_host_load(&fake_host, xml, err, sizeof(err)), 0);
	fake_host.memory_available = 20 * GiB;
	fake_host.node_free_memory = fake_node_free_memory;
	fake_host.node_free_memory_arg = &fake_memory;
}

static void placement_teardown(void)
{
	placement_host_free(&fake_host);
}

static int place(struct server_spec *spec, unsigned int cpus, uint64_t memory, hwloc_bitmap_t taken)
{
	spec_init(spec);
	strcpy(spec->cfg.name, "w");
	spec->cfg.cpus = cpus;
	spec->cfg.memory_bytes = memory;
	return placement_choose(&fake_host, spec, taken, err, sizeof(err));
}

static void assert_bitmap(hwloc_const_bitmap_t bitmap, const char *expected)
{
	char *text;

	hwloc_bitmap_list_asprintf(&text, bitmap);
	ck_assert_str_eq(text, expected);
	free(text);
}

START_TEST(placement_prefers_node_with_most_free_memory)
{
	hwloc_bitmap_t taken = hwloc_bitmap_alloc();
	struct server_spec spec;

	ck_assert_int_eq(place(&spec, 2, GiB, taken), 0);
	ck_assert_int_eq(spec.cfg.numa_node, 1);
	ck_assert_int_eq(spec.cfg.host_cpu[0], 8);
	ck_assert_int_eq(spec.cfg.host_cpu[1], 10);
	ck_assert_int_eq(spec.cfg.host_cpu[2], -1);
	assert_bitmap(taken, "8-11");
	hwloc_bitmap_free(taken);
}
END_TEST

START_TEST(placement_takes_core_zero_last)
{
	hwloc_bitmap_t taken = hwloc_bitmap_alloc();
	struct server_spec spec;

	spec_init(&spec);
	strcpy(spec.cfg.name, "w");
	spec.cfg.cpus = 4;
	spec.cfg.memory_bytes = GiB;
	spec.cfg.numa_node = 0;
	ck_assert_int_eq(placement_choose(&fake_host, &spec, taken, err, sizeof(err)), 0);
	ck_assert_int_eq(spec.cfg.numa_node, 0);
	ck_assert_int_eq(spec.cfg.host_cpu[0], 2);
	ck_assert_int_eq(spec.cfg.host_cpu[1], 4);
	ck_assert_int_eq(spec.cfg.host_cpu[2], 6);
	ck_assert_int_eq(spec.cfg.host_cpu[3], 0);
	assert_bitmap(taken, "0-7");
	hwloc_bitmap_free(taken);
}
END_TEST

START_TEST(placement_avoids_held_cores)
{
	hwloc_bitmap_t taken = hwloc_bitmap_alloc();
	struct server_spec spec;

	/* Another server holds three of node 1's cores: two vCPUs no longer fit there. */
	hwloc_bitmap_set_range(fake_host.held, 8, 13);
	ck_assert_int_eq(place(&spec, 2, GiB, taken), 0);
	ck_assert_int_eq(spec.cfg.numa_node, 0);
	ck_assert_int_eq(spec.cfg.host_cpu[0], 2);
	ck_assert_int_eq(spec.cfg.host_cpu[1], 4);
	/* One vCPU still fits on node 1, and node 1 has more memory. */
	ck_assert_int_eq(place(&spec, 1, GiB, taken), 0);
	ck_assert_int_eq(spec.cfg.numa_node, 1);
	ck_assert_int_eq(spec.cfg.host_cpu[0], 14);
	hwloc_bitmap_free(taken);
}
END_TEST

START_TEST(placement_refusals)
{
	hwloc_bitmap_t taken = hwloc_bitmap_alloc();
	struct server_spec spec;

	ck_assert_int_eq(place(&spec, 17, GiB, taken), -ENOSPC);
	ck_assert_str_eq(err, "w: 17 cpus asked, the host has 16 online");
	ck_assert_int_eq(place(&spec, 5, GiB, taken), -ENOSPC);
	ck_assert_str_eq(err, "w: 5 dedicated cores asked, only 4 free on any one NUMA node "
			      "(0 CPUs held by other servers; ask fewer cpus or set dedicated_cores = no)");
	ck_assert_int_eq(place(&spec, 1, 7 * GiB, taken), -ENOSPC);
	ck_assert_str_eq(err, "w: 7G of memory asked, only 6G free on a NUMA node with enough free cores");
	ck_assert_int_eq(place(&spec, 1, 5 * GiB, taken), 0);
	ck_assert_int_eq(spec.cfg.numa_node, 1);

	spec_init(&spec);
	strcpy(spec.cfg.name, "w");
	spec.cfg.memory_bytes = GiB;
	spec.cfg.numa_node = 5;
	ck_assert_int_eq(placement_choose(&fake_host, &spec, taken, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "w: numa_node 5 does not exist (the host has 2 NUMA nodes)");
	hwloc_bitmap_free(taken);
}
END_TEST

START_TEST(placement_shared_cores_pins_nothing)
{
	hwloc_bitmap_t taken = hwloc_bitmap_alloc();
	struct server_spec spec;

	hwloc_bitmap_set_range(fake_host.held, 0, 15);
	spec_init(&spec);
	strcpy(spec.cfg.name, "w");
	spec.cfg.cpus = 10;
	spec.cfg.memory_bytes = GiB;
	spec.dedicated_cores = false;
	ck_assert_int_eq(placement_choose(&fake_host, &spec, taken, err, sizeof(err)), 0);
	ck_assert_int_eq(spec.cfg.numa_node, 1);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(spec.cfg.host_cpu[i], -1);
	ck_assert(hwloc_bitmap_iszero(taken));
	hwloc_bitmap_free(taken);
}
END_TEST

/* ---- control protocol ---- */

struct fake_vm {
	int paused, resumed, shutdowns, poweroffs;
	int fail_with;
	long long pid;		/* reported in status; 0: the test process */
};

static void fake_status(void *ctx, struct control_status *status)
{
	struct fake_vm *vm = ctx;

	strcpy(status->name, "web01");
	strcpy(status->state, vm->paused > vm->resumed ? "paused" : "running");
	status->pid = vm->pid ? vm->pid : getpid();
	status->cpus = 2;
	status->memory_bytes = 512 * MiB;
	status->uptime_s = 42;
	status->numa_node = 1;
	status->n_host_cpus = 2;
	status->host_cpu[0] = 8;
	status->host_cpu[1] = 10;
	status->exits = 1000;
	status->n_devices = 1;
	strcpy(status->devices[0], "0000:03:00.0");
}

static int fake_count(int *counter, struct fake_vm *vm)
{
	if (vm->fail_with)
		return vm->fail_with;
	(*counter)++;
	return 0;
}

static int fake_shutdown(void *ctx)
{
	return fake_count(&((struct fake_vm *)ctx)->shutdowns, ctx);
}

static int fake_poweroff(void *ctx)
{
	return fake_count(&((struct fake_vm *)ctx)->poweroffs, ctx);
}

static int fake_pause(void *ctx)
{
	return fake_count(&((struct fake_vm *)ctx)->paused, ctx);
}

static int fake_resume(void *ctx)
{
	return fake_count(&((struct fake_vm *)ctx)->resumed, ctx);
}

static const struct control_ops fake_ops = {
	.status = fake_status,
	.shutdown = fake_shutdown,
	.poweroff = fake_poweroff,
	.pause = fake_pause,
	.resume = fake_resume,
};

START_TEST(request_round_trip)
{
	enum control_command commands[] = { CONTROL_STATUS, CONTROL_SHUTDOWN, CONTROL_POWEROFF, CONTROL_PAUSE,
					     CONTROL_RESUME };

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		enum control_command decoded = (enum control_command)99;
		char *text = control_request_encode(commands[i]);

		ck_assert_int_eq(control_request_decode(text, strlen(text), &decoded, err, sizeof(err)), 0);
		ck_assert_int_eq(decoded, commands[i]);
		free(text);
	}
}
END_TEST

static void assert_rejected(const char *request, const char *expected)
{
	enum control_command command;

	ck_assert_int_eq(control_request_decode(request, strlen(request), &command, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, expected);
}

START_TEST(malformed_requests_are_rejected)
{
	const char *shape = "request must be {\"command\": \"NAME\"}";

	assert_rejected("", "request is not JSON");
	assert_rejected("{\"command\":", "request is not JSON");
	assert_rejected("[\"status\"]", shape);
	assert_rejected("\"status\"", "request is not JSON");
	assert_rejected("{\"command\":5}", shape);
	assert_rejected("{\"command\":null}", shape);
	assert_rejected("{\"command\":\"status\",\"extra\":1}", shape);
	assert_rejected("{\"command\":\"status\",\"command\":\"pause\"}", "request is not JSON");
	assert_rejected("{\"command\":\"reboot\"}", "unknown command 'reboot'");
}
END_TEST

START_TEST(checkpoint_request_round_trip_and_refusals)
{
	const char *args = "checkpoint takes \"path\" and optionally \"leave_running\" and \"progress\"";
	struct control_request request = { .command = CONTROL_CHECKPOINT, .path = "/srv/ckpt/web01.ckpt",
					   .leave_running = true, .progress = true };
	struct control_request decoded;
	char *text = control_request_format(&request);

	ck_assert_int_eq(control_request_parse(text, strlen(text), &decoded, err, sizeof(err)), 0);
	ck_assert_int_eq(decoded.command, CONTROL_CHECKPOINT);
	ck_assert_str_eq(decoded.path, "/srv/ckpt/web01.ckpt");
	ck_assert(decoded.leave_running && decoded.progress);
	free(text);
	assert_rejected("{\"command\":\"checkpoint\"}", args);
	assert_rejected("{\"command\":\"checkpoint\",\"path\":5}", args);
	assert_rejected("{\"command\":\"checkpoint\",\"path\":\"/x\",\"leave_running\":\"yes\"}", args);
	assert_rejected("{\"command\":\"checkpoint\",\"path\":\"/x\",\"other\":1}", args);
	assert_rejected("{\"command\":\"checkpoint\",\"path\":\"relative.ckpt\"}",
			"checkpoint path must be absolute and shorter than PATH_MAX");
	assert_rejected("{\"command\":\"pause\",\"path\":\"/x\"}", "request must be {\"command\": \"NAME\"}");
}
END_TEST

START_TEST(device_requests_round_trip_and_refusals)
{
	const char *attach = "device-attach takes \"pci\" (a PCI address), \"group\" and \"failover\"";
	const char *detach = "device-detach takes \"pci\" (a PCI address)";
	struct control_request request = { .command = CONTROL_DEVICE_ATTACH, .pci = "0000:00:02.0", .group = 7 };
	struct control_request decoded;
	char *text = control_request_format(&request);

	ck_assert_int_eq(control_request_parse(text, strlen(text), &decoded, err, sizeof(err)), 0);
	ck_assert_int_eq(decoded.command, CONTROL_DEVICE_ATTACH);
	ck_assert_str_eq(decoded.pci, "0000:00:02.0");
	ck_assert_int_eq(decoded.group, 7);
	free(text);
	request.command = CONTROL_DEVICE_DETACH;
	text = control_request_format(&request);
	ck_assert_int_eq(control_request_parse(text, strlen(text), &decoded, err, sizeof(err)), 0);
	ck_assert_int_eq(decoded.command, CONTROL_DEVICE_DETACH);
	free(text);
	assert_rejected("{\"command\":\"device-attach\",\"pci\":\"0000:00:02.0\"}", attach);
	assert_rejected("{\"command\":\"device-attach\",\"pci\":\"../../x\",\"group\":1}", attach);
	assert_rejected("{\"command\":\"device-attach\",\"pci\":\"0000:00:02.0\",\"group\":-1}", attach);
	assert_rejected("{\"command\":\"device-detach\",\"pci\":\"0000:00:02.0\",\"group\":1}", detach);
	assert_rejected("{\"command\":\"device-detach-cancel\"}", detach);
}
END_TEST

static json_t *handle(struct fake_vm *vm, const char *request)
{
	char *text = control_handle(&fake_ops, vm, request, strlen(request));
	json_t *reply;

	ck_assert_ptr_nonnull(text);
	reply = json_loads(text, 0, NULL);
	free(text);
	ck_assert_ptr_nonnull(reply);
	return reply;
}

START_TEST(handle_dispatches_to_ops)
{
	struct fake_vm vm = { 0 };
	struct control_status status;
	json_t *reply;

	reply = handle(&vm, "{\"command\":\"status\"}");
	ck_assert_int_eq(control_reply_check(reply, err, sizeof(err)), 0);
	ck_assert_int_eq(control_status_from_json(reply, &status), 0);
	ck_assert_str_eq(status.name, "web01");
	ck_assert_str_eq(status.state, "running");
	ck_assert_uint_eq(status.cpus, 2);
	ck_assert_uint_eq(status.memory_bytes, 512 * MiB);
	ck_assert_uint_eq(status.uptime_s, 42);
	ck_assert_int_eq(status.pid, getpid());
	ck_assert_uint_eq(status.n_host_cpus, 2);
	ck_assert_int_eq(status.host_cpu[1], 10);
	ck_assert_uint_eq(status.n_devices, 1);
	ck_assert_str_eq(status.devices[0], "0000:03:00.0");
	json_decref(reply);

	json_decref(handle(&vm, "{\"command\":\"pause\"}"));
	json_decref(handle(&vm, "{\"command\":\"shutdown\"}"));
	json_decref(handle(&vm, "{\"command\":\"poweroff\"}"));
	ck_assert_int_eq(vm.paused, 1);
	ck_assert_int_eq(vm.shutdowns, 1);
	ck_assert_int_eq(vm.poweroffs, 1);

	vm.fail_with = -EBUSY;
	reply = handle(&vm, "{\"command\":\"resume\"}");
	ck_assert_int_eq(control_reply_check(reply, err, sizeof(err)), -EREMOTEIO);
	ck_assert_str_eq(err, "resume: Device or resource busy");
	json_decref(reply);

	/* The refusals an operator meets most, in words (vm_pause and vm_resume's errnos). */
	vm.fail_with = -EALREADY;
	reply = handle(&vm, "{\"command\":\"pause\"}");
	ck_assert_int_eq(control_reply_check(reply, err, sizeof(err)), -EREMOTEIO);
	ck_assert_str_eq(err, "already paused");
	json_decref(reply);
	vm.fail_with = -EINVAL;
	reply = handle(&vm, "{\"command\":\"resume\"}");
	ck_assert_int_eq(control_reply_check(reply, err, sizeof(err)), -EREMOTEIO);
	ck_assert_str_eq(err, "not paused");
	json_decref(reply);

	reply = handle(&vm, "{\"command\":[]}");
	ck_assert_int_eq(control_reply_check(reply, err, sizeof(err)), -EREMOTEIO);
	json_decref(reply);
}
END_TEST

START_TEST(status_json_types_are_checked)
{
	struct control_status status;
	static const char *const bad[] = {
		"{\"ok\":true}",
		"{\"ok\":true,\"name\":\"w\",\"state\":\"running\",\"pid\":\"1\",\"cpus\":1,\"memory\":1,"
		"\"uptime_s\":1,\"numa_node\":0,\"host_cpus\":[],\"exits\":0,\"unhandled_accesses\":0,\"dma_map_us\":0}",
		"{\"ok\":true,\"name\":\"w\",\"state\":\"running\",\"pid\":1,\"cpus\":1,\"memory\":1,"
		"\"uptime_s\":1,\"numa_node\":0,\"host_cpus\":[\"x\"],\"exits\":0,\"unhandled_accesses\":0,\"dma_map_us\":0}",
		"{\"ok\":true,\"name\":\"w\",\"state\":\"running\",\"pid\":1,\"cpus\":999,\"memory\":1,"
		"\"uptime_s\":1,\"numa_node\":0,\"host_cpus\":[],\"exits\":0,\"unhandled_accesses\":0,\"dma_map_us\":0}",
		"{\"ok\":true,\"name\":\"w\",\"state\":\"running\",\"pid\":1,\"cpus\":1,\"memory\":1,\"uptime_s\":1,"
		"\"numa_node\":0,\"host_cpus\":[],\"devices\":[1],\"exits\":0,\"unhandled_accesses\":0,\"dma_map_us\":0}",
		"{\"ok\":true,\"name\":\"w\",\"state\":\"running\",\"pid\":1,\"cpus\":1,\"memory\":1,\"uptime_s\":1,"
		"\"numa_node\":0,\"host_cpus\":[],\"devices\":[\"0000:00:00.0-far-too-long\"],\"exits\":0,"
		"\"unhandled_accesses\":0,\"dma_map_us\":0}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *object = json_loads(bad[i], 0, NULL);

		ck_assert_int_eq(control_status_from_json(object, &status), -EPROTO);
		json_decref(object);
	}
	ck_assert_int_eq(control_reply_check(NULL, err, sizeof(err)), -EPROTO);
}
END_TEST

/* ---- control socket and registry in a temporary run directory ---- */

static struct registry test_registry;

static void run_dir_setup(void)
{
	scratch_setup();
	setenv("SHEER_RUN_DIR", scratch_file("run", NULL), 1);
	ck_assert_int_eq(registry_open(&test_registry, err, sizeof(err)), 0);
}

static void run_dir_teardown(void)
{
	registry_close(&test_registry);
	scratch_teardown();
}

static void start_fake_server(struct control_server *server, const char *name, struct fake_vm *vm)
{
	char path[REGISTRY_SOCKET_PATH_MAX];

	ck_assert_int_eq(registry_socket_path(&test_registry, name, path, sizeof(path)), 0);
	ck_assert_int_eq(control_server_start(server, path, &fake_ops, vm), 0);
}

/* Raw bytes in, raw reply out: what a careless or hostile client would do. */
static void raw_exchange(const char *path, const char *request, size_t len, char *reply, size_t reply_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t got, total = 0;

	strcpy(addr.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
	shutdown(fd, SHUT_WR);
	while ((got = read(fd, reply + total, reply_len - 1 - (size_t)total)) > 0)
		total += got;
	reply[total] = '\0';
	close(fd);
}

START_TEST(socket_round_trip)
{
	struct control_server server;
	struct fake_vm vm = { 0 };
	struct control_status status;
	struct stat st;
	json_t *reply;

	start_fake_server(&server, "web01", &vm);
	ck_assert_int_eq(stat(server.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(test_registry.dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);

	ck_assert_int_eq(control_call(server.path, CONTROL_PAUSE, &reply, err, sizeof(err)), 0);
	ck_assert_int_eq(control_reply_check(reply, err, sizeof(err)), 0);
	json_decref(reply);
	ck_assert_int_eq(control_call(server.path, CONTROL_STATUS, &reply, err, sizeof(err)), 0);
	ck_assert_int_eq(control_status_from_json(reply, &status), 0);
	ck_assert_str_eq(status.state, "paused");
	json_decref(reply);

	control_server_stop(&server);
	ck_assert_int_eq(access(server.path, F_OK), -1);
	ck_assert_int_eq(control_call(server.path, CONTROL_STATUS, &reply, err, sizeof(err)), -ENOENT);
}
END_TEST

START_TEST(socket_survives_malformed_clients)
{
	static char big[CONTROL_REQUEST_MAX + 100];
	struct control_server server;
	struct fake_vm vm = { 0 };
	char reply[512];
	json_t *answer;

	start_fake_server(&server, "web01", &vm);
	raw_exchange(server.path, "garbage", 7, reply, sizeof(reply));
	ck_assert_str_eq(reply, "{\"ok\":false,\"error\":\"request is not JSON\"}\n");
	raw_exchange(server.path, "{\"command\":\"status\"}\n{\"command\":\"pause\"}", 40, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "\"state\":\"running\""));
	raw_exchange(server.path, "{\"command\":\"st\0tus\"}", 20, reply, sizeof(reply));
	ck_assert_str_eq(reply, "{\"ok\":false,\"error\":\"request is not JSON\"}\n");
	memset(big, ' ', sizeof(big));
	raw_exchange(server.path, big, sizeof(big), reply, sizeof(reply));
	ck_assert_str_eq(reply, "{\"ok\":false,\"error\":\"request too large\"}\n");
	/* An empty request gets an error reply; the server keeps answering. */
	raw_exchange(server.path, "", 0, reply, sizeof(reply));
	ck_assert_int_eq(control_call(server.path, CONTROL_STATUS, &answer, err, sizeof(err)), 0);
	json_decref(answer);
	ck_assert_int_eq(vm.paused, 0);
	control_server_stop(&server);
}
END_TEST

static void make_stale_socket(const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_eq(registry_socket_path(&test_registry, name, addr.sun_path, sizeof(addr.sun_path)), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);	/* the file stays, nobody listens: a VMM that died */
}

START_TEST(registry_list_cleans_stale_entries)
{
	struct registry_entry entry = { .name = "db01", .pid = 1, .numa_node = 0, .n_held_cpus = 2, .held_cpus = { 4, 5 } };
	struct registry_entry read_back;
	struct control_server server;
	struct registry_names names;
	struct fake_vm vm = { 0 };
	char path[PATH_MAX];

	start_fake_server(&server, "web01", &vm);
	make_stale_socket("dead01");
	ck_assert_int_eq(registry_write_entry(&test_registry, &entry), 0);	/* entry without socket */
	strcpy(entry.name, "web01");
	ck_assert_int_eq(registry_write_entry(&test_registry, &entry), 0);
	scratch_file("run/not-ours.txt", "x");

	ck_assert_int_eq(registry_lock(&test_registry), 0);
	ck_assert_int_eq(registry_list(&test_registry, true, &names), 0);
	registry_unlock(&test_registry);
	ck_assert_uint_eq(names.count, 1);
	ck_assert_str_eq(names.names[0], "web01");
	registry_names_free(&names);

	snprintf(path, sizeof(path), "%s/run/dead01.sock", scratch);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/run/db01.json", scratch);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(registry_read_entry(&test_registry, "web01", &read_back), 0);
	ck_assert_uint_eq(read_back.n_held_cpus, 2);
	ck_assert_int_eq(read_back.held_cpus[1], 5);

	ck_assert_int_eq(registry_probe(&test_registry, "web01"), 1);
	control_server_stop(&server);
	registry_remove(&test_registry, "web01");
	ck_assert_int_eq(registry_probe(&test_registry, "web01"), 0);
	ck_assert_int_eq(registry_read_entry(&test_registry, "web01", &read_back), -ENOENT);
}
END_TEST

/* A symlink where a record is about to be written (another user's, in a shared directory) is never followed. */
START_TEST(record_store_never_follows_a_planted_symlink)
{
	struct registry_entry entry = { .name = "web09", .pid = 1, .numa_node = 0 };
	char victim[PATH_MAX], planted[PATH_MAX], record[PATH_MAX], text[16] = "";
	struct stat st;
	FILE *f;

	snprintf(victim, sizeof(victim), "%s/victim", scratch);
	scratch_file("victim", "precious");
	snprintf(planted, sizeof(planted), "%s/run/web09.json.new", scratch);
	ck_assert_int_eq(symlink(victim, planted), 0);
	ck_assert_int_eq(registry_write_entry(&test_registry, &entry), 0);
	f = fopen(victim, "r");
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "precious");
	snprintf(record, sizeof(record), "%s/run/web09.json", scratch);
	ck_assert_int_eq(lstat(record, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	registry_remove(&test_registry, "web09");
	unlink(planted);
}
END_TEST

/* A run directory that is not the caller's own (or a symlink to one) is refused, not used. */
START_TEST(run_directory_of_another_user_is_refused)
{
	char dir[PATH_MAX], link[PATH_MAX], err[256];
	struct registry registry;

	snprintf(dir, sizeof(dir), "%s/theirs", scratch);
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	/* As root the directory is given away; otherwise /tmp (root's) already is not the caller's. */
	if (geteuid() == 0)
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	else
		snprintf(dir, sizeof(dir), "/tmp");
	ck_assert_int_eq(private_dir_ensure(dir), -EPERM);
	setenv("SHEER_RUN_DIR", dir, 1);
	ck_assert_int_eq(registry_open(&registry, err, sizeof(err)), -EPERM);
	ck_assert(strstr(err, "owned by another user"));
	snprintf(link, sizeof(link), "%s/link", scratch);
	ck_assert_int_eq(symlink(scratch, link), 0);
	ck_assert_int_eq(private_dir_ensure(link), -ENOTDIR);
	unlink(link);
}
END_TEST

struct trickler {
	char path[PATH_MAX];
	bool cut_off;	/* the server closed the connection before the request was whole */
};

/* A client that sends its request one byte every 300 ms, for 6 s, and never finishes it. */
static void *trickle(void *arg)
{
	struct trickler *t = arg;
	struct sockaddr_un addr;
	int fd = control_socket(t->path, &addr);

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return NULL;
	for (int i = 0; i < 20 && !t->cut_off; i++) {
		char byte;

		if (send(fd, "{", 1, MSG_NOSIGNAL) < 0 || recv(fd, &byte, 1, MSG_DONTWAIT) == 0)
			t->cut_off = true;
		usleep(300000);
	}
	close(fd);
	return NULL;
}

START_TEST(control_socket_cuts_off_a_trickling_client)
{
	struct control_server server;
	struct fake_vm vm = { 0 };
	struct trickler t = { .cut_off = false };
	json_t *reply = NULL;
	pthread_t thread;

	start_fake_server(&server, "web01", &vm);
	snprintf(t.path, sizeof(t.path), "%s", server.path);
	pthread_create(&thread, NULL, trickle, &t);
	usleep(100000);
	ck_assert_int_eq(control_call(server.path, CONTROL_STATUS, &reply, err, sizeof(err)), 0);
	json_decref(reply);
	pthread_join(thread, NULL);
	ck_assert(t.cut_off);
	control_server_stop(&server);
}
END_TEST


/* While a server is starting it holds the lock: listing then must not wait, nor remove anything. */
START_TEST(registry_list_while_locked_is_read_only)
{
	struct control_server server;
	struct registry starting = test_registry;
	struct registry_names names;
	struct fake_vm vm = { 0 };
	char path[PATH_MAX];

	start_fake_server(&server, "web01", &vm);
	make_stale_socket("dead01");
	ck_assert_int_eq(registry_lock(&starting), 0);
	ck_assert_int_eq(registry_try_lock(&test_registry), -EWOULDBLOCK);
	ck_assert_int_eq(registry_list(&test_registry, false, &names), 0);
	ck_assert_uint_eq(names.count, 1);
	ck_assert_str_eq(names.names[0], "web01");
	registry_names_free(&names);
	snprintf(path, sizeof(path), "%s/run/dead01.sock", scratch);
	ck_assert_int_eq(access(path, F_OK), 0);
	registry_unlock(&starting);
	ck_assert_int_eq(registry_try_lock(&test_registry), 0);
	registry_unlock(&test_registry);
	control_server_stop(&server);
}
END_TEST

START_TEST(registry_rejects_malformed_entries)
{
	struct registry_entry entry;

	scratch_file("run/bad.json", "{\"name\":\"bad\",\"pid\":1,\"numa_node\":0,\"held_cpus\":[-3]}");
	ck_assert_int_eq(registry_read_entry(&test_registry, "bad", &entry), -EINVAL);
	scratch_file("run/bad.json", "not json");
	ck_assert_int_eq(registry_read_entry(&test_registry, "bad", &entry), -EINVAL);
	/* A CPU number no host has would make placement allocate a bitmap of hundreds of MB. */
	scratch_file("run/bad.json", "{\"name\":\"bad\",\"pid\":1,\"numa_node\":0,\"held_cpus\":[2147483647]}");
	ck_assert_int_eq(registry_read_entry(&test_registry, "bad", &entry), -EINVAL);
	scratch_file("run/bad.json", "{\"name\":\"bad\",\"pid\":1,\"numa_node\":0,\"held_cpus\":[8191]}");
	ck_assert_int_eq(registry_read_entry(&test_registry, "bad", &entry), 0);
	ck_assert_str_eq(entry.profile, "");
	/* The profile a switch's rollback starts: only an absolute path. */
	scratch_file("run/bad.json", "{\"name\":\"bad\",\"pid\":1,\"numa_node\":0,\"held_cpus\":[],\"profile\":\"a.ini\"}");
	ck_assert_int_eq(registry_read_entry(&test_registry, "bad", &entry), -EINVAL);
	scratch_file("run/bad.json", "{\"name\":\"bad\",\"pid\":1,\"numa_node\":0,\"held_cpus\":[],\"profile\":7}");
	ck_assert_int_eq(registry_read_entry(&test_registry, "bad", &entry), -EINVAL);
}
END_TEST

START_TEST(registry_entry_keeps_the_profile)
{
	struct registry_entry entry = { .pid = 42, .numa_node = -1 }, back;

	strcpy(entry.name, "lun1");
	strcpy(entry.profile, "/etc/sheer/lun1.ini");
	ck_assert_int_eq(registry_write_entry(&test_registry, &entry), 0);
	ck_assert_int_eq(registry_read_entry(&test_registry, "lun1", &back), 0);
	ck_assert_str_eq(back.profile, "/etc/sheer/lun1.ini");
	ck_assert_int_eq(back.pid, 42);
	registry_remove(&test_registry, "lun1");
}
END_TEST

/* ---- the client subcommands against a fake server ---- */

static int run_command(int (*command)(int, char **), const char *const *args)
{
	char *argv[16];
	int argc = 0;

	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return command(argc, argv);
}

/* The commands talk to the operator; the test only looks at exit statuses (Check reports from its parent). */
static void quiet_output(void)
{
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
}

static void *accept_and_hang_up(void *arg)
{
	int fd = accept(*(int *)arg, NULL, NULL);

	if (fd >= 0)
		close(fd);
	return NULL;
}

/* A server whose socket is there but that gives no status is reported, and the listing fails. */
START_TEST(list_reports_a_server_it_could_not_query)
{
	const char *list[] = { "list", NULL };
	struct sockaddr_un addr;
	char path[PATH_MAX];
	char line[512] = "";
	pthread_t thread;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/run/mute01.sock", scratch);
	fd = control_socket(path, &addr);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	pthread_create(&thread, NULL, accept_and_hang_up, &fd);
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
	ck_assert_ptr_nonnull(freopen(scratch_file("stderr", NULL), "w", stderr));
	ck_assert_int_eq(run_command(cmd_list, list), SHEER_EXIT_FAILURE);
	fflush(stderr);
	f = fopen(scratch_file("stderr", NULL), "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_msg(strstr(line, "list: mute01: could not be queried"), "%s", line);
	pthread_join(thread, NULL);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(manage_commands_reach_the_server)
{
	const char *status[] = { "status", "web01", NULL };
	const char *status_json[] = { "status", "web01", "--json", NULL };
	const char *pause[] = { "pause", "web01", NULL };
	const char *resume[] = { "resume", "web01", NULL };
	const char *list[] = { "list", NULL };
	const char *list_json[] = { "list", "--json", NULL };
	struct control_server server;
	struct fake_vm vm = { 0 };

	quiet_output();
	start_fake_server(&server, "web01", &vm);
	make_stale_socket("dead01");
	ck_assert_int_eq(run_command(cmd_status, status), SHEER_EXIT_OK);
	ck_assert_int_eq(run_command(cmd_status, status_json), SHEER_EXIT_OK);
	ck_assert_int_eq(run_command(cmd_pause, pause), SHEER_EXIT_OK);
	ck_assert_int_eq(vm.paused, 1);
	ck_assert_int_eq(run_command(cmd_list, list), SHEER_EXIT_OK);
	ck_assert_int_eq(run_command(cmd_list, list_json), SHEER_EXIT_OK);
	ck_assert_int_eq(access(scratch_file("run/dead01.sock", NULL), F_OK), -1);
	vm.fail_with = -EINVAL;
	ck_assert_int_eq(run_command(cmd_resume, resume), SHEER_EXIT_USAGE);
	control_server_stop(&server);
}
END_TEST

START_TEST(manage_refuses_unknown_names_and_bad_usage)
{
	const char *nosuch[] = { "status", "nosuch", NULL };
	const char *bad_name[] = { "pause", "../etc", NULL };
	const char *no_name[] = { "shutdown", NULL };
	const char *json_on_pause[] = { "pause", "web01", "--json", NULL };
	const char *bad_timeout[] = { "shutdown", "web01", "--timeout", "-1", NULL };

	quiet_output();
	make_stale_socket("nosuch");
	ck_assert_int_eq(run_command(cmd_status, nosuch), SHEER_EXIT_USAGE);
	ck_assert_int_eq(access(scratch_file("run/nosuch.sock", NULL), F_OK), -1);
	ck_assert_int_eq(run_command(cmd_pause, bad_name), SHEER_EXIT_USAGE);
	ck_assert_int_eq(run_command(cmd_shutdown, no_name), SHEER_EXIT_USAGE);
	ck_assert_int_eq(run_command(cmd_pause, json_on_pause), SHEER_EXIT_USAGE);
	ck_assert_int_eq(run_command(cmd_shutdown, bad_timeout), SHEER_EXIT_USAGE);
}
END_TEST

/* The fake's power button: a helper thread takes the server down, as `sheer run` exiting would. */
struct stopping_server {
	struct control_server server;
	struct fake_vm vm;
	pthread_t thread;
};

static void *stop_soon(void *arg)
{
	struct stopping_server *stopping = arg;

	usleep(200000);
	control_server_stop(&stopping->server);
	return NULL;
}

static int stopping_shutdown(void *ctx)
{
	struct stopping_server *stopping = ctx;

	stopping->vm.shutdowns++;
	return -pthread_create(&stopping->thread, NULL, stop_soon, stopping);
}

static void stopping_status(void *ctx, struct control_status *status)
{
	fake_status(&((struct stopping_server *)ctx)->vm, status);
}

START_TEST(shutdown_waits_for_the_server_to_stop)
{
	static const struct control_ops stopping_ops = { .status = stopping_status, .shutdown = stopping_shutdown };
	const char *shutdown_cmd[] = { "shutdown", "web01", "--timeout", "5", NULL };
	char path[REGISTRY_SOCKET_PATH_MAX];
	struct stopping_server stopping = { .vm = { .pid = 0x7ffffff0 } };	/* a pid that is not alive */

	quiet_output();
	ck_assert_int_eq(registry_socket_path(&test_registry, "web01", path, sizeof(path)), 0);
	ck_assert_int_eq(control_server_start(&stopping.server, path, &stopping_ops, &stopping), 0);
	ck_assert_int_eq(run_command(cmd_shutdown, shutdown_cmd), SHEER_EXIT_OK);
	ck_assert_int_eq(stopping.vm.shutdowns, 1);
	pthread_join(stopping.thread, NULL);
}
END_TEST

START_TEST(shutdown_times_out_when_the_guest_ignores_the_button)
{
	const char *shutdown_cmd[] = { "shutdown", "web01", "--timeout", "1", NULL };
	struct control_server server;
	struct fake_vm vm = { 0 };

	quiet_output();
	start_fake_server(&server, "web01", &vm);
	ck_assert_int_eq(run_command(cmd_shutdown, shutdown_cmd), SHEER_EXIT_FAILURE);
	ck_assert_int_eq(vm.shutdowns, 1);
	control_server_stop(&server);
}
END_TEST

/* Looking (list, status, pause...) never makes a run directory: one that is not there holds no servers. */
START_TEST(looking_makes_no_run_directory)
{
	const char *list[] = { "list", NULL };
	const char *status[] = { "status", "web01", NULL };
	const char *missing = scratch_file("nowhere", NULL);
	struct registry_names names;
	struct registry registry;

	quiet_output();
	setenv("SHEER_RUN_DIR", missing, 1);
	ck_assert_int_eq(registry_open_existing(&registry, err, sizeof(err)), 0);
	ck_assert_int_eq(registry_list(&registry, false, &names), 0);
	ck_assert_uint_eq(names.count, 0);
	registry_close(&registry);
	ck_assert_int_eq(run_command(cmd_list, list), SHEER_EXIT_OK);
	ck_assert_int_eq(run_command(cmd_status, status), SHEER_EXIT_USAGE);
	ck_assert_int_eq(access(missing, F_OK), -1);
	/* Starting a server makes it, as before. */
	ck_assert_int_eq(registry_open(&registry, err, sizeof(err)), 0);
	ck_assert_int_eq(access(missing, F_OK), 0);
	registry_close(&registry);
}
END_TEST

/* --timeout 0: press and return at once, even though this guest never stops; exit 0, saying so. */
START_TEST(shutdown_timeout_zero_presses_and_returns)
{
	const char *shutdown_cmd[] = { "shutdown", "web01", "--timeout", "0", NULL };
	struct control_server server;
	struct fake_vm vm = { 0 };
	char line[256] = "";
	uint64_t start;
	FILE *f;

	ck_assert_ptr_nonnull(freopen(scratch_file("stdout", NULL), "w", stdout));
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
	start_fake_server(&server, "web01", &vm);
	start = clock_monotonic_ns();
	ck_assert_int_eq(run_command(cmd_shutdown, shutdown_cmd), SHEER_EXIT_OK);
	ck_assert_uint_lt(clock_monotonic_ns() - start, 900000000ull);
	ck_assert_int_eq(vm.shutdowns, 1);
	fflush(stdout);
	f = fopen(scratch_file("stdout", NULL), "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "web01: power button pressed (not waiting for it to stop)\n");
	control_server_stop(&server);
}
END_TEST

/* ---- the command table: what the dispatcher, help, man page and completion read ---- */

static void assert_command_whole(const struct command *cmd)
{
	unsigned int min, max;

	ck_assert_msg(cmd->summary && cmd->summary[0], "%s: no summary", cmd->name);
	ck_assert_msg(cmd->description && cmd->description[0], "%s: no description", cmd->name);
	command_arg_bounds(cmd, &min, &max);
	ck_assert_uint_le(min, max);
	for (const struct command_option *opt = cmd->options; opt && opt->name; opt++) {
		ck_assert_msg(opt->help && opt->help[0], "%s --%s: no help", cmd->name, opt->name);
		ck_assert_str_ne(opt->name, "help");	/* -h and --help are the dispatcher's, for every command */
		ck_assert_ptr_eq(command_option_find(cmd, opt->name, strlen(opt->name)), opt);
		ck_assert_int_lt(opt - cmd->options, 64);	/* the check keeps required options in a bit mask */
	}
}

/* Every entry says what it does and is found by its name; a subcommand is run by its parent. */
START_TEST(command_table_entries_are_whole)
{
	unsigned int n = 0;

	for (const struct command *cmd = command_table(); cmd->name; cmd++, n++) {
		ck_assert_ptr_nonnull(cmd->run);
		ck_assert_ptr_eq(command_find(command_table(), cmd->name), cmd);
		assert_command_whole(cmd);
		for (const struct command *child = cmd->children; child && child->name; child++) {
			ck_assert_ptr_null(child->run);
			ck_assert_ptr_null(child->children);
			ck_assert_ptr_eq(command_find(cmd->children, child->name), child);
			assert_command_whole(child);
		}
	}
	ck_assert_uint_ge(n, 20);
	ck_assert_ptr_null(command_find(command_table(), "nosuch"));
}
END_TEST

/* The words after "sheer NAME" checked against NAME's entry. */
static int check_words(const char *name, const char *const *words)
{
	char *argv[16] = { "sheer", (char *)name };
	int argc = 2;

	for (; *words; words++)
		argv[argc++] = (char *)*words;
	return command_check(command_find(command_table(), name), name, argc, argv, 2);
}

START_TEST(command_check_reads_words_as_getopt_does)
{
	const char *cmdline_h[] = { "--cmdline", "-h", NULL }, *help_last[] = { "--name=x", "--help", NULL };
	const char *help_after_error[] = { "--vcpus", "2", "-h", NULL }, *after_dashes[] = { "--", "-h", NULL };
	const char *two_profiles[] = { "a.ini", "b.ini", NULL }, *no_to[] = { "web01", NULL };
	const char *to_equals[] = { "--to=unix:/x", "web01", NULL }, *to_last[] = { "web01", "--to", NULL };
	const char *json_value[] = { "web01", "--json=1", NULL }, *dash[] = { "-", NULL };
	const char *rest[] = { "--complete", "--no-such", "-x", NULL }, *short_opt[] = { "web01", "-j", NULL };

	quiet_output();
	ck_assert_int_eq(check_words("run", cmdline_h), 0);	/* -h is --cmdline's value */
	ck_assert_int_eq(check_words("run", help_last), COMMAND_HELP);
	ck_assert_int_eq(check_words("run", help_after_error), COMMAND_HELP);	/* help wins */
	ck_assert_int_eq(check_words("run", after_dashes), 0);			/* a profile named -h */
	ck_assert_int_eq(check_words("run", two_profiles), -EINVAL);
	ck_assert_int_eq(check_words("migrate", no_to), -EINVAL);
	ck_assert_int_eq(check_words("migrate", to_equals), 0);
	ck_assert_int_eq(check_words("migrate", to_last), -EINVAL);
	ck_assert_int_eq(check_words("status", json_value), -EINVAL);
	ck_assert_int_eq(check_words("status", short_opt), -EINVAL);
	ck_assert_int_eq(check_words("status", dash), 0);			/* "-" is a word, not an option */
	ck_assert_int_eq(check_words("help", rest), 0);
}
END_TEST

START_TEST(command_synopsis_lines)
{
	const struct command *power = command_find(command_table(), "power");
	char line[COMMAND_SYNOPSIS_MAX];

	ck_assert_int_eq(command_synopsis(command_find(command_table(), "migrate"), "migrate", 0, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "sheer migrate NAME --to ADDR [OPTIONS]");
	ck_assert_int_eq(command_synopsis(command_find(command_table(), "migrate"), "migrate", 1, line, sizeof(line)),
			 -ENOENT);
	ck_assert_int_eq(command_synopsis(command_find(command_table(), "pause"), "pause", 0, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "sheer pause NAME");
	ck_assert_int_eq(command_synopsis(command_find(command_table(), "bmc"), "bmc", 1, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "sheer bmc TARGET bootdev disk|pxe [--persistent] [OPTIONS]");
	ck_assert_int_eq(command_synopsis(command_find(command_table(), "bmc"), "bmc", 2, line, sizeof(line)), -ENOENT);
	ck_assert_int_eq(command_synopsis(command_find(power->children, "simulate"), "power simulate", 0, line,
					  sizeof(line)), 0);
	ck_assert_str_eq(line, "sheer power simulate --traces DIR --policy POLICY[,POLICY...] [OPTIONS]");
}
END_TEST

/* What `sheer help --complete WORDS...` prints. */
static char *completions(const char *const *words)
{
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	int n = 0;

	ck_assert_ptr_nonnull(out);
	while (words[n])
		n++;
	completion_print(out, n, (char **)words);
	fclose(out);
	return text;
}

static void assert_completes(const char *const *words, const char *wanted)
{
	char *got = completions(words);

	ck_assert_str_eq(got, wanted);
	free(got);
}

START_TEST(completion_knows_what_each_word_is)
{
	const char *empty[] = { "", NULL }, *boot[] = { "run", "--boot", "", NULL };
	const char *after_value[] = { "run", "--cmdline", "-h", "", NULL }, *status[] = { "status", "", NULL };
	const char *address[] = { "migrate", "--to", "", NULL }, *to_logical[] = { "switch", "x", "--to", "logical", "", NULL };
	const char *device[] = { "device", "", NULL }, *attach[] = { "device", "attach", "", NULL };
	const char *help_sub[] = { "help", "power", "", NULL }, *rest[] = { "help", "--complete", "", NULL };
	const char *options[] = { "restore", "x", "--", NULL }, *after_dashes[] = { "run", "--", "-", NULL };
	char *all = completions(empty);

	ck_assert_ptr_eq(strstr(all, "help\nversion\nrun\n"), all);
	ck_assert_ptr_nonnull(strstr(all, "\nphysical\n"));
	free(all);
	assert_completes(boot, "kernel\ndisk\n");
	assert_completes(after_value, "@profiles\n");
	assert_completes(status, "@servers\n");
	assert_completes(address, "");
	assert_completes(to_logical, "@physical\n@profiles\n");
	assert_completes(device, "attach\ndetach\n");
	assert_completes(attach, "@servers\n");
	assert_completes(help_sub, "simulate\n");
	assert_completes(rest, "");
	assert_completes(options, "--name\n--numa-node\n--shared-cores\n--help\n");
	assert_completes(after_dashes, "@profiles\n");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("front");
	TCase *parse = tcase_create("parse");
	TCase *profile = tcase_create("profile");
	TCase *placement = tcase_create("placement");
	TCase *control = tcase_create("control");
	TCase *sockets = tcase_create("sockets");
	TCase *commands = tcase_create("commands");

	tcase_add_test(parse, size_accepts_binary_units);
	tcase_add_test(parse, size_rejects_garbage);
	tcase_add_test(parse, bool_and_pci_and_names);

	tcase_add_checked_fixture(profile, scratch_setup, scratch_teardown);
	tcase_add_test(profile, profile_reads_every_key);
	tcase_add_test(profile, profile_errors_name_file_and_line);
	tcase_add_test(profile, profile_nic_sections);
	tcase_add_test(profile, spec_refuses_nics_with_the_same_mac);
	tcase_add_test(profile, profile_rejects_long_values_and_lines);
	tcase_add_test(profile, profile_more_devices_than_allowed);
	tcase_add_test(profile, profile_missing_file);
	tcase_add_test(profile, flags_override_profile);
	tcase_add_test(profile, flags_alone_are_enough);
	tcase_add_test(profile, flag_errors);
	tcase_add_test(profile, check_requires_name_memory_kernel_files);
	tcase_add_test(profile, check_memory_rule_names_the_server);
	tcase_add_test(profile, check_disk_boot_requirements);

	tcase_add_checked_fixture(placement, placement_setup, placement_teardown);
	tcase_add_test(placement, placement_prefers_node_with_most_free_memory);
	tcase_add_test(placement, placement_takes_core_zero_last);
	tcase_add_test(placement, placement_avoids_held_cores);
	tcase_add_test(placement, placement_refusals);
	tcase_add_test(placement, placement_shared_cores_pins_nothing);

	tcase_add_test(control, request_round_trip);
	tcase_add_test(control, malformed_requests_are_rejected);
	tcase_add_test(control, checkpoint_request_round_trip_and_refusals);
	tcase_add_test(control, device_requests_round_trip_and_refusals);
	tcase_add_test(control, handle_dispatches_to_ops);
	tcase_add_test(control, status_json_types_are_checked);

	tcase_add_checked_fixture(sockets, run_dir_setup, run_dir_teardown);
	tcase_set_timeout(sockets, 20);
	tcase_add_test(sockets, socket_round_trip);
	tcase_add_test(sockets, socket_survives_malformed_clients);
	tcase_add_test(sockets, control_socket_cuts_off_a_trickling_client);
	tcase_add_test(sockets, registry_list_cleans_stale_entries);
	tcase_add_test(sockets, registry_list_while_locked_is_read_only);
	tcase_add_test(sockets, registry_rejects_malformed_entries);
	tcase_add_test(sockets, registry_entry_keeps_the_profile);
	tcase_add_test(sockets, record_store_never_follows_a_planted_symlink);
	tcase_add_test(sockets, run_directory_of_another_user_is_refused);
	tcase_add_test(sockets, looking_makes_no_run_directory);
	tcase_add_test(sockets, manage_commands_reach_the_server);
	tcase_add_test(sockets, list_reports_a_server_it_could_not_query);
	tcase_add_test(sockets, manage_refuses_unknown_names_and_bad_usage);
	tcase_add_test(sockets, shutdown_waits_for_the_server_to_stop);
	tcase_add_test(sockets, shutdown_times_out_when_the_guest_ignores_the_button);
	tcase_add_test(sockets, shutdown_timeout_zero_presses_and_returns);

	tcase_add_test(commands, command_table_entries_are_whole);
	tcase_add_test(commands, command_check_reads_words_as_getopt_does);
	tcase_add_test(commands, command_synopsis_lines);
	tcase_add_test(commands, completion_knows_what_each_word_is);

	suite_add_tcase(s, parse);
	suite_add_tcase(s, commands);
	suite_add_tcase(s, profile);
	suite_add_tcase(s, placement);
	suite_add_tcase(s, control);
	suite_add_tcase(s, sockets);
	return s;
}
