#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "iommu/host_use.h"

/* Is IFACE a network interface of the PCI function BDF? */
static bool iface_is_on_device(const struct host_fs *fs, const char *iface, const char *bdf)
{
	char device[HOST_FS_NAME_MAX];

	return host_fs_link_name(fs, device, sizeof(device), "/sys/class/net/%s/device", iface) == 0 &&
	       strcmp(device, bdf) == 0;
}

/* The interfaces of the default routes, IPv4 (/proc/net/route) then IPv6. */
static bool default_route_iface(const struct host_fs *fs, const char *bdf, char *iface, size_t iface_len)
{
	char line[512], name[64], dest[40];
	unsigned int mask, prefix;
	bool found = false;
	FILE *file = host_fs_fopen(fs, "/proc/net/route");

	while (file && !found && fgets(line, sizeof(line), file))
		found = sscanf(line, "%63s %39s %*s %*s %*s %*s %*s %x", name, dest, &mask) == 3 &&
			strcmp(dest, "00000000") == 0 && mask == 0 && iface_is_on_device(fs, name, bdf);
	if (file)
		fclose(file);
	file = host_fs_fopen(fs, "/proc/net/ipv6_route");
	while (file && !found && fgets(line, sizeof(line), file))
		found = sscanf(line, "%39s %x %*s %*s %*s %*s %*s %*s %*s %63s", dest, &prefix, name) == 3 &&
			prefix == 0 && strspn(dest, "0") == 32 && iface_is_on_device(fs, name, bdf);
	if (file)
		fclose(file);
	if (found)
		snprintf(iface, iface_len, "%s", name);
	return found;
}

/* Is the block device NAME (major:minor DEV) mounted? Then where. */
static bool block_mounted(const struct host_fs *fs, const char *name, const char *dev, char *where,
			  size_t where_len)
{
	char line[4096], majmin[32], mountpoint[1024], source[1024], source_dev[HOST_FS_NAME_MAX + 8];
	bool found = false;
	FILE *file = host_fs_fopen(fs, "/proc/self/mountinfo");

	snprintf(source_dev, sizeof(source_dev), "/dev/%s", name);
	while (file && !found && fgets(line, sizeof(line), file)) {
		const char *tail = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %31s %*s %1023s", majmin, mountpoint) != 2)
			continue;
		found = strcmp(majmin, dev) == 0 ||
			(tail && sscanf(tail, " - %*s %1023s", source) == 1 && strcmp(source, source_dev) == 0);
	}
	if (file)
		fclose(file);
	if (found)
		snprintf(where, where_len, "%s", mountpoint);
	return found;
}

static bool block_is_swap(const struct host_fs *fs, const char *name)
{
	char line[1024], path[1024], wanted[HOST_FS_NAME_MAX + 8];
	bool found = false;
	FILE *file = host_fs_fopen(fs, "/proc/swaps");

	snprintf(wanted, sizeof(wanted), "/dev/%s", name);
	while (file && !found && fgets(line, sizeof(line), file))
		found = sscanf(line, "%1023s", path) == 1 && strcmp(path, wanted) == 0;
	if (file)
		fclose(file);
	return found;
}

/* md and dm devices stacked on the disk or partition at SYSPATH (below /sys/block). */
static bool block_holder(const struct host_fs *fs, const char *syspath, char *holder, size_t holder_len)
{
	struct name_list holders;
	bool found;

	if (host_fs_list(fs, &holders, "/sys/block/%s/holders", syspath) < 0)
		return false;
	found = holders.count > 0;
	if (found)
		snprintf(holder, holder_len, "%s", holders.names[0]);
	name_list_free(&holders);
	return found;
}

/* Is one block device (disk or partition) in use? SYSPATH is "nvme0n1" or "nvme0n1/nvme0n1p1". */
static bool block_in_use(const struct host_fs *fs, const char *syspath, char *reason, size_t reason_len)
{
	const char *name = strrchr(syspath, '/') ? strrchr(syspath, '/') + 1 : syspath;
	char dev[32], detail[1024];

	if (host_fs_read(fs, dev, sizeof(dev), "/sys/block/%s/dev", syspath) < 0)
		return false;
	if (block_mounted(fs, name, dev, detail, sizeof(detail)))
		snprintf(reason, reason_len, "%s is mounted on %.900s", name, detail);
	else if (block_is_swap(fs, name))
		snprintf(reason, reason_len, "%s is active swap", name);
	else if (block_holder(fs, syspath, detail, sizeof(detail)))
		snprintf(reason, reason_len, "%s is held by %.200s", name, detail);
	else
		return false;
	return true;
}

/* The disk itself, then each partition (subdirectories named after the disk). */
static bool disk_in_use(const struct host_fs *fs, const char *disk, char *reason, size_t reason_len)
{
	char syspath[2 * HOST_FS_NAME_MAX + 2];
	struct name_list entries;
	bool used = block_in_use(fs, disk, reason, reason_len);

	if (used || host_fs_list(fs, &entries, "/sys/block/%s", disk) < 0)
		return used;
	for (unsigned int i = 0; !used && i < entries.count; i++) {
		if (strncmp(entries.names[i], disk, strlen(disk)) != 0)
			continue;
		snprintf(syspath, sizeof(syspath), "%s/%s", disk, entries.names[i]);
		used = block_in_use(fs, syspath, reason, reason_len);
	}
	name_list_free(&entries);
	return used;
}

/* Block devices sit below their controller in sysfs: .../0000:00:06.0/nvme/nvme0/nvme0n1. */
static bool disk_is_on_device(const struct host_fs *fs, const char *disk, const char *bdf)
{
	char target[PATH_MAX], component[64];

	snprintf(component, sizeof(component), "/%s/", bdf);
	return host_fs_link(fs, target, sizeof(target), "/sys/block/%s", disk) == 0 && strstr(target, component);
}

static bool disks_in_use(const struct host_fs *fs, const char *bdf, char *reason, size_t reason_len)
{
	struct name_list disks;
	bool used = false;

	if (host_fs_list(fs, &disks, "/sys/block") < 0)
		return false;
	for (unsigned int i = 0; !used && i < disks.count; i++)
		used = disk_is_on_device(fs, disks.names[i], bdf) &&
		       disk_in_use(fs, disks.names[i], reason, reason_len);
	name_list_free(&disks);
	return used;
}

int host_use_of_device(const struct host_fs *fs, const char *bdf, char *reason, size_t reason_len)
{
	char iface[64];

	if (default_route_iface(fs, bdf, iface, sizeof(iface))) {
		snprintf(reason, reason_len, "carries the host's default route (%s)", iface);
		return 1;
	}
	return disks_in_use(fs, bdf, reason, reason_len) ? 1 : 0;
}
