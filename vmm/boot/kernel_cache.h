/*
 * A cache of decompressed kernels, so that a bzImage is decompressed once
 * per host rather than once per boot. One file per kernel: a header page
 * (the kernel file's identity and a content check) then the vmlinux ELF,
 * which is mapped straight from the file on a hit. Entries are written to
 * a temporary file and renamed, so a reader never sees a partial one; the
 * least recently used go beyond max_entries.
 */
#ifndef SHEER_VMM_BOOT_KERNEL_CACHE_H
#define SHEER_VMM_BOOT_KERNEL_CACHE_H

#include <limits.h>
#include <stdint.h>

#include "vmm/boot/kernel_image.h"

#define KERNEL_CACHE_DEFAULT_DIR	"/var/cache/sheer/kernels"
#define KERNEL_CACHE_MAX_ENTRIES	8

struct kernel_cache {
	char dir[PATH_MAX];		/* "" when the cache is off */
	unsigned int max_entries;
};

/*
 * Which kernel a cache entry is for: the stat identity of the file (cheap,
 * changes when the file is replaced) and a CRC32 of the payload's last
 * 4 KiB, which holds the compressed stream's own check of the whole
 * decompressed kernel (XZ block check and index, gzip CRC32 trailer).
 * No padding, so keys compare with memcmp.
 */
struct kernel_key {
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
	uint64_t mtime_ns;
	uint64_t vmlinux_size;
	uint32_t payload_tail_crc;
	uint32_t reserved;
};

/* From the settings of SHEER_KERNEL_CACHE ("off" turns it off) and SHEER_CACHE_DIR (NULL: unset). */
void kernel_cache_init(struct kernel_cache *cache, const char *setting, const char *dir);

int kernel_key_make(struct kernel_key *key, const char *kernel_path, const struct kernel_payload *payload);

/* Map the entry for key into *vmlinux; any error (-ENOENT: none) means a miss. */
int kernel_cache_find(const struct kernel_cache *cache, const struct kernel_key *key, struct vmlinux *vmlinux);

/* Add an entry (creating the directory, 0700), then drop the oldest beyond max_entries. */
int kernel_cache_store(const struct kernel_cache *cache, const struct kernel_key *key, const struct vmlinux *vmlinux,
		       char *why, size_t why_len);

#endif
