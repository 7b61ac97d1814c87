/*
 * Does the host itself depend on a PCI device? Handing it to a guest would
 * cut the host off its network or pull a disk from under a mounted
 * filesystem, swap or a RAID/LVM stack.
 */
#ifndef SHEER_IOMMU_HOST_USE_H
#define SHEER_IOMMU_HOST_USE_H

#include <stddef.h>

#include "iommu/host_fs.h"

/* 1 with the reason ("carries the host's default route (eth0)"), 0 when unused, or a negative errno. */
int host_use_of_device(const struct host_fs *fs, const char *bdf, char *reason, size_t reason_len);

#endif
