#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/physical/inventory.h"
#include "vmm/lib/host_dirs.h"
#include "vmm/lib/ini.h"

int physical_dir(char *out, size_t outlen)
{
	return config_dir_path("physical", out, outlen);
}

struct inventory_reader {
	struct physical_server *ps;
	char dir[PATH_MAX];	/* relative paths in the file are relative to it */
	bool seen_section;
	unsigned int section_line;
};

static bool mac_is_valid(const char *mac)
{
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			return false;
	return mac[17] == '\0';
}

static int take_macs(struct physical_server *ps, const char *value, struct ini_error *e)
{
	char copy[INI_LINE_MAX + 1], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", value);
	for (char *mac = strtok_r(copy, ", ", &save); mac; mac = strtok_r(NULL, ", ", &save)) {
		if (!mac_is_valid(mac) || ps->n_macs == PHYSICAL_MACS_MAX) {
			snprintf(e->reason, sizeof(e->reason), "macs: '%.20s' is not a MAC address (aa:bb:cc:dd:ee:ff), "
				 "or more than %d were given", mac, PHYSICAL_MACS_MAX);
			return -EINVAL;
		}
		snprintf(ps->macs[ps->n_macs++], sizeof(ps->macs[0]), "%s", mac);
	}
	return 0;
}

/* "nvme-serial:S", "nvme-nqn:N", "scsi-wwn:W": which disk the physical server boots. */
static bool disk_is_valid(const char *disk)
{
	static const char *const kinds[] = { "nvme-serial:", "nvme-nqn:", "scsi-wwn:", NULL };

	for (const char *const *k = kinds; *k; k++) {
		size_t len = strlen(*k);

		if (strncmp(disk, *k, len) == 0 && disk[len] && strlen(disk) < BMC_FIELD_MAX) {
			for (const char *p = disk + len; *p; p++)
				if (!isgraph((unsigned char)*p))
					return false;
			return true;
		}
	}
	return false;
}

int physical_ready_parse(const char *ready, char *host, size_t host_len, unsigned int *port)
{
	const char *colon = strrchr(ready, ':');

	if (strncmp(ready, "tcp:", 4) != 0 || !colon || colon <= ready + 4 || strlen(ready) >= BMC_FIELD_MAX ||
	    (size_t)(colon - ready - 4) >= host_len || parse_uint(colon + 1, 65535, port) < 0 || *port == 0)
		return -EINVAL;
	snprintf(host, host_len, "%.*s", (int)(colon - ready - 4), ready + 4);
	return 0;
}

static bool ready_is_valid(const char *ready)
{
	char host[BMC_FIELD_MAX];
	unsigned int port;

	return physical_ready_parse(ready, host, sizeof(host), &port) == 0;
}

static bool inventory_take(struct physical_server *ps, const char *key, const char *value)
{
	if (strcmp(key, "boot") == 0)
		return bmc_boot_device_parse(value, &ps->boot) == 0;
	if (strcmp(key, "disk") == 0)
		return disk_is_valid(value) && copy_string(ps->disk, sizeof(ps->disk), value) == 0;
	return ready_is_valid(value) && copy_string(ps->ready, sizeof(ps->ready), value) == 0;	/* ready */
}

static int inventory_key(void *ctx, const char *key, const char *value, struct ini_error *e)
{
	static const char *const known[] = { "boot", "disk", "ready", NULL };
	struct inventory_reader *r = ctx;
	int ret = bmc_entry_take(&r->ps->bmc, r->dir, key, value, e->reason, sizeof(e->reason));

	if (ret != -ENOENT)
		return ret;
	if (strcmp(key, "macs") == 0)
		return take_macs(r->ps, value, e);
	for (const char *const *k = known; *k; k++) {
		if (strcmp(key, *k) != 0)
			continue;
		if (inventory_take(r->ps, key, value))
			return 0;
		snprintf(e->reason, sizeof(e->reason), "%s: '%.80s' is not valid here (README, \"Physical servers\", "
			 "gives the format)", key, value);
		return -EINVAL;
	}
	snprintf(e->reason, sizeof(e->reason), "unknown key '%.40s' (" BMC_ENTRY_KEYS ", boot, disk, macs, ready)",
		 key);
	return -EINVAL;
}

static int inventory_section(void *ctx, const char *name, unsigned int line_no, struct ini_error *e)
{
	struct inventory_reader *r = ctx;

	if (name && (r->seen_section || strcmp(name, "physical") != 0)) {
		snprintf(e->reason, sizeof(e->reason), "%s (a file describes one server: [physical])",
			 r->seen_section ? "a second section" : "unknown section");
		return -EINVAL;
	}
	if (name) {
		r->seen_section = true;
		r->section_line = line_no;
		return 0;
	}
	if (bmc_entry_missing(&r->ps->bmc)) {
		snprintf(e->reason, sizeof(e->reason), "[physical] needs %s", bmc_entry_missing(&r->ps->bmc));
		e->line_no = r->section_line ? r->section_line : 1;
		return -EINVAL;
	}
	return 0;
}

int physical_load(const char *name, struct physical_server *ps, char *err, size_t errlen)
{
	struct inventory_reader r = { .ps = ps };
	struct ini_handler h = { inventory_section, inventory_key, "[physical]", &r };
	char dir[PATH_MAX];
	int ret;

	memset(ps, 0, sizeof(*ps));
	bmc_entry_init(&ps->bmc);
	ps->boot = BMC_BOOT_DISK;
	if (!server_name_is_valid(name)) {
		snprintf(err, errlen, "'%.64s' is not a server name", name);
		return -EINVAL;
	}
	ret = physical_dir(dir, sizeof(dir));
	if (ret == 0 && snprintf(ps->path, sizeof(ps->path), "%s/%s.ini", dir, name) >= (int)sizeof(ps->path))
		ret = -ENAMETOOLONG;
	if (ret < 0) {
		snprintf(err, errlen, "the inventory's path is too long");
		return ret;
	}
	snprintf(ps->name, sizeof(ps->name), "%s", name);
	snprintf(r.dir, sizeof(r.dir), "%s", dir);
	ret = ini_load(ps->path, "physical server", &h, err, errlen);
	if (ret == -ENOENT)
		snprintf(err, errlen, "unknown physical server '%s' (no %s)", name, ps->path);
	return ret;
}

static int name_order(const void *a, const void *b)
{
	return strcmp(a, b);
}

int physical_names(char (*names)[SERVER_NAME_MAX], unsigned int max, unsigned int *n, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *listing;
	int ret = physical_dir(dir, sizeof(dir));

	*n = 0;
	listing = ret == 0 ? opendir(dir) : NULL;
	if (!listing) {
		ret = ret < 0 ? ret : -errno;
		if (ret == -ENOENT)
			return 0;	/* no inventory yet: no physical servers */
		snprintf(err, errlen, "the inventory %s: %s", dir, strerror(-ret));
		return ret;
	}
	while ((d = readdir(listing)) && *n < max) {
		size_t len = strlen(d->d_name);

		if (len > 4 && strcmp(d->d_name + len - 4, ".ini") == 0 && len - 4 < SERVER_NAME_MAX) {
			snprintf(names[*n], SERVER_NAME_MAX, "%.*s", (int)(len - 4), d->d_name);
			if (server_name_is_valid(names[*n]))
				(*n)++;
		}
	}
	closedir(listing);
	qsort(names, *n, SERVER_NAME_MAX, name_order);
	return 0;
}
