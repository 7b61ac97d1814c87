#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/file_kind.h"
#include "vmm/lib/parse.h"
#include "vmm/server/spec.h"
#include "vmm/virtio/virtio_net.h"

struct spec_key {
	enum spec_section section;
	const char *name;
	int (*set)(struct server_spec *spec, const char *value, const char *base_dir);
	const char *expected;	/* what a valid value looks like, for the error message */
	const char *meaning;	/* what it does, for the man page (spec_key_doc) */
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
	/* Only the form here: SERVER_MEMORY_RULE is checked once the server's name is known (spec_check). */
	if (parse_size(value, &bytes) < 0)
		return -EINVAL;
	spec->cfg.memory_bytes = bytes;
	snprintf(spec->memory_text, sizeof(spec->memory_text), "%s", value);
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

static int set_autostart(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_bool(value, &spec->autostart);
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

static struct server_nic *last_nic(struct server_spec *spec)
{
	return &spec->cfg.nics[spec->cfg.n_nics - 1];
}

static int set_nic_name(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_interface_name(value, last_nic(spec)->name, sizeof(last_nic(spec)->name));
}

static int set_nic_bridge(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_interface_name(value, last_nic(spec)->bridge, sizeof(last_nic(spec)->bridge));
}

static int set_nic_tap(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_interface_name(value, last_nic(spec)->tap, sizeof(last_nic(spec)->tap));
}

static int set_nic_mac(struct server_spec *spec, const char *value, const char *base_dir)
{
	(void)base_dir;
	return parse_mac(value, last_nic(spec)->mac);
}

/* One queue pair for now: the key is there so that profiles can say so, and multiqueue can come. */
static int set_nic_queues(struct server_spec *spec, const char *value, const char *base_dir)
{
	unsigned int queues;

	(void)spec;
	(void)base_dir;
	return parse_uint(value, 1, &queues) < 0 || queues != 1 ? -EINVAL : 0;
}

static int set_device_failover(struct server_spec *spec, const char *value, const char *base_dir)
{
	struct server_device *device = last_device(spec);

	(void)base_dir;
	return parse_interface_name(value, device->failover, sizeof(device->failover));
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
#define FILE_PATH "a file path"

static const struct spec_key spec_keys[] = {
	{ SPEC_SECTION_SERVER, "name", set_name,
	  "letters, digits, '-', '_' or '.', starting with a letter or digit, at most 63",
	  "the server's name: its control socket, registry entry and default MACs are named after it." },
	{ SPEC_SECTION_SERVER, "cpus", set_cpus, "a number from 1 to " TO_STRING(SERVER_MAX_CPUS),
	  "the number of vCPUs (default 1)." },
	{ SPEC_SECTION_SERVER, "memory", set_memory, "a size like 512M or 2G: " SERVER_MEMORY_RULE,
	  "guest memory, with an optional K, M, G or T suffix (binary units): " SERVER_MEMORY_RULE ". Required." },
	{ SPEC_SECTION_SERVER, "kernel", set_kernel, FILE_PATH,
	  "the Linux bzImage to boot (boot = kernel). Required then." },
	{ SPEC_SECTION_SERVER, "initrd", set_initrd, FILE_PATH,
	  "the initramfs (optional)." },
	{ SPEC_SECTION_SERVER, "cmdline", set_cmdline, "a kernel command line",
	  "the kernel command line, at most 2047 bytes." },
	{ SPEC_SECTION_SERVER, "boot", set_boot, "kernel or disk",
	  "kernel: boot the kernel directly (default); disk: boot the passed-through disk's own boot loader "
	  "through the firmware." },
	{ SPEC_SECTION_SERVER, "firmware", set_firmware, FILE_PATH,
	  "the BIOS image of boot = disk (default " SERVER_FIRMWARE_DEFAULT ")." },
	{ SPEC_SECTION_SERVER, "numa_node", set_numa_node, "a NUMA node number",
	  "bind the server's memory and cores to this node instead of letting placement choose." },
	{ SPEC_SECTION_SERVER, "dedicated_cores", set_dedicated_cores, YES_NO,
	  "give each vCPU a host core of its own, held by no other server (default yes)." },
	{ SPEC_SECTION_SERVER, "allow_unsafe_interrupts", set_allow_unsafe_interrupts, YES_NO,
	  "allow device assignment on a host without interrupt remapping (default no; unsafe)." },
	{ SPEC_SECTION_SERVER, "autostart", set_autostart, YES_NO,
	  "a defined server that 'sheer start --autostart' (sheer-autostart.service, at boot) starts (default no)." },
	{ SPEC_SECTION_DEVICE, "pci", set_device_pci, "a PCI address like 0000:03:00.0",
	  "the PCI function handed to the server through VFIO. Required in a [device]." },
	{ SPEC_SECTION_DEVICE, "force", set_device_force, YES_NO,
	  "assign it even if the host seems to use it (default no)." },
	{ SPEC_SECTION_DEVICE, "failover", set_device_failover, "the name of a [nic] of this server, like net0",
	  "the virtio-net NIC this passed-through NIC's traffic falls back on while the server migrates." },
	{ SPEC_SECTION_NIC, "name", set_nic_name, "an interface-like name, like net0",
	  "what [device] failover = names (default net0, net1, ...)." },
	{ SPEC_SECTION_NIC, "bridge", set_nic_bridge, "a host bridge's name, like br0",
	  "sheer makes a tap on this bridge for the NIC, and removes it with the server." },
	{ SPEC_SECTION_NIC, "tap", set_nic_tap, "a host tap device's name",
	  "an existing tap to use instead of a bridge (exactly one of bridge and tap)." },
	{ SPEC_SECTION_NIC, "mac", set_nic_mac, "a unicast MAC address like 02:5e:00:00:00:01",
	  "the NIC's MAC (default: derived from the server's name and the NIC's index, so it stays)." },
	{ SPEC_SECTION_NIC, "queues", set_nic_queues, "1 (one queue pair; multiqueue is not offered yet)",
	  "the number of queue pairs." },
};

static const char *const spec_section_names[] = {
	[SPEC_SECTION_SERVER] = "server", [SPEC_SECTION_DEVICE] = "device", [SPEC_SECTION_NIC] = "nic",
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

static const struct spec_key *spec_key_find(enum spec_section section, const char *key)
{
	for (size_t i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
		if (spec_keys[i].section == section && strcmp(spec_keys[i].name, key) == 0)
			return &spec_keys[i];
	return NULL;
}

bool spec_key_is_path(enum spec_section section, const char *key)
{
	const struct spec_key *found = spec_key_find(section, key);

	return found && strcmp(found->expected, FILE_PATH) == 0;
}

int spec_set(struct server_spec *spec, enum spec_section section, const char *key,
	     const char *value, const char *base_dir, char *err, size_t errlen)
{
	const struct spec_key *found = spec_key_find(section, key);
	int ret;

	if (!found) {
		snprintf(err, errlen, "unknown key '%.64s' in [%s]", key, spec_section_names[section]);
		return -ENOENT;
	}
	ret = found->set(spec, value, base_dir);
	if (ret == -ENAMETOOLONG)
		snprintf(err, errlen, "%s is too long", key);
	else if (ret < 0)
		snprintf(err, errlen, "invalid %s '%.64s' (expected %s)", key, value, found->expected);
	return ret;
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

int spec_add_nic(struct server_spec *spec, char *err, size_t errlen)
{
	if (spec->cfg.n_nics >= SERVER_MAX_NICS) {
		snprintf(err, errlen, "more than %d NICs", SERVER_MAX_NICS);
		return -ENOSPC;
	}
	memset(&spec->cfg.nics[spec->cfg.n_nics++], 0, sizeof(struct server_nic));
	return 0;
}

bool spec_nic_is_complete(const struct server_spec *spec)
{
	const struct server_nic *nic = &spec->cfg.nics[spec->cfg.n_nics - 1];

	return spec->cfg.n_nics == 0 || (nic->bridge[0] != '\0') != (nic->tap[0] != '\0');
}

/* A device's failover = names a NIC of the server, which then offers itself as its standby; one each. */
static int check_failover(struct server_config *cfg, char *err, size_t errlen)
{
	bool paired[SERVER_MAX_NICS] = { false };

	for (unsigned int i = 0; i < cfg->n_devices; i++) {
		const struct server_device *device = &cfg->devices[i];
		struct server_nic *nic = device->failover[0] ? server_config_nic(cfg, device->failover) : NULL;

		if (device->failover[0] && !nic) {
			snprintf(err, errlen, "%s: device %s: failover = %s names no [nic] of the server", cfg->name,
				 device->pci, device->failover);
			return -EINVAL;
		}
		if (nic && paired[nic - cfg->nics]) {
			snprintf(err, errlen, "%s: NIC %s is the failover pair of two devices", cfg->name, nic->name);
			return -EINVAL;
		}
		if (nic)
			nic->standby = paired[nic - cfg->nics] = true;
	}
	return 0;
}

/* Unnamed NICs are net0, net1, ...; MACs not given are derived from the server's name, so they stay put. */
static int check_nics(struct server_config *cfg, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < cfg->n_nics; i++) {
		struct server_nic *nic = &cfg->nics[i];
		static const uint8_t zero[6];

		if (nic->name[0] == '\0')
			snprintf(nic->name, sizeof(nic->name), "net%u", i);
		if (memcmp(nic->mac, zero, 6) == 0)
			virtio_net_default_mac(cfg->name, i, nic->mac);
		for (unsigned int j = 0; j < i; j++) {
			const char *same = strcmp(cfg->nics[j].name, nic->name) == 0 ? "name"
					   : memcmp(cfg->nics[j].mac, nic->mac, 6) == 0 ? "MAC" : NULL;

			if (same) {
				snprintf(err, errlen, "%s: NICs %s and %s have the same %s", cfg->name, cfg->nics[j].name,
					 nic->name, same);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int check_file(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		int ret = -errno;

		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		return ret;
	}
	if (file_kind_problem(st.st_mode)) {
		snprintf(err, errlen, "%s %s: %s", what, path, file_kind_problem(st.st_mode));
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

int spec_check(struct server_spec *spec, char *err, size_t errlen)
{
	struct server_config *cfg = &spec->cfg;

	if (cfg->name[0] == '\0') {
		snprintf(err, errlen, "no server name (give 'name =' in [server] or --name)");
		return -EINVAL;
	}
	if (cfg->memory_bytes == 0 && spec->memory_text[0] == '\0') {
		snprintf(err, errlen, "%s: no memory size (give 'memory =' in [server] or --memory)", cfg->name);
		return -EINVAL;
	}
	if (!server_memory_is_valid(cfg->memory_bytes)) {
		char given[sizeof(spec->memory_text)];

		/* A spec from a checkpoint or a migration has no text: its size, as a person would write it. */
		if (spec->memory_text[0])
			snprintf(given, sizeof(given), "%s", spec->memory_text);
		else
			format_size(cfg->memory_bytes, given, sizeof(given));
		snprintf(err, errlen, "%s: memory %s: must be " SERVER_MEMORY_RULE " (e.g. 512M)", cfg->name, given);
		return -EINVAL;
	}
	if (check_nics(cfg, err, errlen) < 0 || check_failover(cfg, err, errlen) < 0)
		return -EINVAL;
	return cfg->boot == SERVER_BOOT_DISK ? check_disk_boot(cfg, err, errlen) : check_kernel_boot(cfg, err, errlen);
}

int spec_key_doc(size_t i, struct spec_key_doc *doc)
{
	if (i >= sizeof(spec_keys) / sizeof(spec_keys[0]))
		return -ENOENT;
	*doc = (struct spec_key_doc){ spec_section_names[spec_keys[i].section], spec_keys[i].name,
				      spec_keys[i].expected, spec_keys[i].meaning };
	return 0;
}
