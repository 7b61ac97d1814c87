#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/parse.h"
#include "vmm/server/spec.h"

struct spec_key {
	enum spec_section section;
	const char *name;
	int (*set)(struct server_spec *spec, const char *value, const char *base_dir);
	const char *expected;	/* what a valid value looks like, for the error message */
};

static int set_name(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	if (!server_name_is_valid(value))
		return -EINVAL;
	return copy_string(spec->cfg.name, sizeof(spec->cfg.name), value);
}

static int set_cpus(struct server_spec *spec, const char *value, const char *base_dir)
{
	unsigned int cpus;

	(void)base_dir;
	if (parse_uint(value, SERVER_MAX_CPUS, &cpus) < 0 || cpus == 0)
		return -EINVAL;
	spec->cfg.cpus = cpus;
	return 0;
}

static int set_memory(struct server_spec *spec, const char *value, const char *base_dir)
{
	uint64_t bytes;

	(void)base_dir;
	/* The guest's memory is mapped in whole pages. */
	if (parse_size(value, &bytes) < 0 || bytes == 0 || bytes % 4096)
		return -EINVAL;
	spec->cfg.memory_bytes = bytes;
	return 0;
}

static int set_path(char *dst, size_t dst_len, const char *value, const char *base_dir)
{
	if (value[0] == '\0')
		return -EINVAL;
	if (value[0] == '/' || !base_dir)
		return copy_string(dst, dst_len, value);
	if ((size_t)snprintf(dst, dst_len, "%s/%s", base_dir, value) >= dst_len)
		return -ENAMETOOLONG;
	return 0;
}

static int set_kernel(struct server_spec *spec, const char *value, const char *base_dir)
{
	return set_path(spec->cfg.kernel, sizeof(spec->cfg.kernel), value, base_dir);
}

static int set_initrd(struct server_spec *spec, const char *value, const char *base_dir)
{
	return set_path(spec->cfg.initrd, sizeof(spec->cfg.initrd), value, base_dir);
}

static int set_cmdline(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return copy_string(spec->cfg.cmdline, sizeof(spec->cfg.cmdline), value);
}

static int set_numa_node(struct server_spec *spec, const char *value, const char *base_dir)
{
	unsigned int node;

	(void)base_dir;
	if (parse_uint(value, 1023, &node) < 0)
		return -EINVAL;
	spec->cfg.numa_node = (int)node;
	return 0;
}

static int set_dedicated_cores(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_bool(value, &spec->dedicated_cores);
}

static int set_allow_unsafe_interrupts(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_bool(value, &spec->cfg.allow_unsafe_interrupts);
}

static struct server_device *last_device(struct server_spec *spec)
{
	return &spec->cfg.devices[spec->cfg.n_devices - 1];
}

static int set_device_pci(struct server_spec *spec, const char *value, const char *base_dir)
{
	struct server_device *device = last_device(spec);

	(void)base_dir;
	return parse_pci_address(value, device->pci, sizeof(device->pci));
}

static int set_device_force(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_bool(value, &last_device(spec)->force);
}

static int set_boot(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	if (strcmp(value, "kernel") == 0)
		spec->cfg.boot = SERVER_BOOT_KERNEL;
	else if (strcmp(value, "disk") == 0)
		spec->cfg.boot = SERVER_BOOT_DISK;
	else
		return -EINVAL;
	return 0;
}

static int set_firmware(struct server_spec *spec, const char *value, const char *base_dir)
{
	return set_path(spec->cfg.firmware, sizeof(spec->cfg.firmware), value, base_dir);
}

#define STRINGIFY(x) #x
#define TO_STRING(x) STRINGIFY(x)
#define YES_NO "yes or no"

static const struct spec_key spec_keys[] = {
	{ SPEC_SECTION_SERVER, "name", set_name,
	  "letters, digits, '-', '_' or '.', starting with a letter or digit, at most 63" },
	{ SPEC_SECTION_SERVER, "cpus", set_cpus, "a number from 1 to " TO_STRING(SERVER_MAX_CPUS) },
	{ SPEC_SECTION_SERVER, "memory", set_memory, "a non-zero size in whole 4K pages, like 512M or 2G" },
	{ SPEC_SECTION_SERVER, "kernel", set_kernel, "a file path" },
	{ SPEC_SECTION_SERVER, "initrd", set_initrd, "a file path" },
	{ SPEC_SECTION_SERVER, "cmdline", set_cmdline, "a kernel command line" },
	{ SPEC_SECTION_SERVER, "boot", set_boot, "kernel or disk" },
	{ SPEC_SECTION_SERVER, "firmware", set_firmware, "a file path" },
	{ SPEC_SECTION_SERVER, "numa_node", set_numa_node, "a NUMA node number" },
	{ SPEC_SECTION_SERVER, "dedicated_cores", set_dedicated_cores, YES_NO },
	{ SPEC_SECTION_SERVER, "allow_unsafe_interrupts", set_allow_unsafe_interrupts, YES_NO },
	{ SPEC_SECTION_DEVICE, "pci", set_device_pci, "a PCI address like 0000:03:00.0" },
	{ SPEC_SECTION_DEVICE, "force", set_device_force, YES_NO },
};

void spec_init(struct server_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->cfg.cpus = 1;
	spec->cfg.numa_node = -1;
	for (unsigned int i = 0; i < SERVER_MAX_CPUS; i++)
		spec->cfg.host_cpu[i] = -1;
	spec->dedicated_cores = true;
}

int spec_set(struct server_spec *spec, enum spec_section section, const char *key,
	     const char *value, const char *base_dir, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++) {
		int ret;

		if (spec_keys[i].section != section || strcmp(spec_keys[i].name, key) != 0)
			continue;
		ret = spec_keys[i].set(spec, value, base_dir);
		if (ret == -ENAMETOOLONG)
			snprintf(err, errlen, "%s is too long", key);
		else if (ret < 0)
			snprintf(err, errlen, "invalid %s '%.64s' (expected %s)", key, value, spec_keys[i].expected);
		return ret;
	}
	snprintf(err, errlen, "unknown key '%.64s' in [%s]", key,
		 section == SPEC_SECTION_SERVER ? "server" : "device");
	return -ENOENT;
}

int spec_add_device(struct server_spec *spec, char *err, size_t errlen)
{
	if (spec->cfg.n_devices >= SERVER_MAX_DEVICES) {
		snprintf(err, errlen, "more than %d devices", SERVER_MAX_DEVICES);
		return -ENOSPC;
	}
	memset(&spec->cfg.devices[spec->cfg.n_devices++], 0, sizeof(struct server_device));
	return 0;
}

bool spec_device_is_complete(const struct server_spec *spec)
{
	return spec->cfg.n_devices == 0 || spec->cfg.devices[spec->cfg.n_devices - 1].pci[0] != '\0';
}

static int check_file(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		int ret = -errno;

		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		return -EINVAL;
	}
	return 0;
}

static int check_kernel_boot(const struct server_config *cfg, char *err, size_t errlen)
{
	if (cfg->kernel[0] == '\0') {
		snprintf(err, errlen, "%s: no kernel (give 'kernel =' in [server] or --kernel, or boot = disk)", cfg->name);
		return -EINVAL;
	}
	if (cfg->firmware[0] != '\0') {
		snprintf(err, errlen, "%s: firmware is for boot = disk; this server boots its kernel directly", cfg->name);
		return -EINVAL;
	}
	if (check_file("kernel", cfg->kernel, err, errlen) < 0)
		return -EINVAL;
	if (cfg->initrd[0] != '\0' && check_file("initrd", cfg->initrd, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

/* The disk's boot loader chooses the kernel; the firmware finds the disk on a passed-through controller. */
static int check_disk_boot(const struct server_config *cfg, char *err, size_t errlen)
{
	if (cfg->kernel[0] != '\0' || cfg->initrd[0] != '\0' || cfg->cmdline[0] != '\0') {
		snprintf(err, errlen, "%s: boot = disk takes no kernel, initrd or cmdline (the disk's boot loader has them)",
			 cfg->name);
		return -EINVAL;
	}
	if (cfg->n_devices == 0) {
		snprintf(err, errlen, "%s: boot = disk needs the disk's controller passed through ([device] pci = ...)",
			 cfg->name);
		return -EINVAL;
	}
	if (check_file("firmware", cfg->firmware[0] ? cfg->firmware : SERVER_FIRMWARE_DEFAULT, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

int spec_check(const struct server_spec *spec, char *err, size_t errlen)
{
	const struct server_config *cfg = &spec->cfg;

	if (cfg->name[0] == '\0') {
		snprintf(err, errlen, "no server name (give 'name =' in [server] or --name)");
		return -EINVAL;
	}
	if (cfg->memory_bytes == 0) {
		snprintf(err, errlen, "%s: no memory size (give 'memory =' in [server] or --memory)", cfg->name);
		return -EINVAL;
	}
	return cfg->boot == SERVER_BOOT_DISK ? check_disk_boot(cfg, err, errlen) : check_kernel_boot(cfg, err, errlen);
}
