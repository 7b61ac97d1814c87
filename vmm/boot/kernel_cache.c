#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "vmm/boot/kernel_cache.h"
#include "vmm/lib/fd_write.h"
#include "vmm/lib/host_dirs.h"
#include "vmm/lib/crc32c.h"

#define ENTRY_PREFIX		"vmlinux-"
#define HEADER_SIZE		4096	/* the ELF starts page aligned, so it maps in place */
#define HEADER_MAGIC		"SHEERVM2"	/* 2: the vmlinux's own checksum */
#define STALE_NEW_S		600	/* a .new- file this old is left from a store that was killed */
#define PAYLOAD_TAIL		4096
#define ENTRY_PATH_MAX		(PATH_MAX + NAME_MAX + 2)

struct cache_header {
	char magic[8];
	struct kernel_key key;
	uint32_t vmlinux_crc;		/* CRC-32C of the decompressed kernel: a corrupted middle is a miss */
	uint32_t header_crc;		/* of the fields above */
};

void kernel_cache_init(struct kernel_cache *cache, const char *setting, const char *dir)
{
	cache->max_entries = KERNEL_CACHE_MAX_ENTRIES;
	cache->dir[0] = '\0';
	if (setting && !strcmp(setting, "off"))
		return;
	snprintf(cache->dir, sizeof(cache->dir), "%s", dir && dir[0] ? dir : KERNEL_CACHE_DEFAULT_DIR);
}

int kernel_key_make(struct kernel_key *key, const char *kernel_path, const struct kernel_payload *payload)
{
	size_t tail = payload->size < PAYLOAD_TAIL ? payload->size : PAYLOAD_TAIL;
	struct stat st;

	if (stat(kernel_path, &st) < 0)
		return -errno;
	*key = (struct kernel_key){
		.dev = st.st_dev,
		.ino = st.st_ino,
		.size = st.st_size,
		.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec,
		.vmlinux_size = payload->vmlinux_size,
		.payload_tail_crc = crc32(0, payload->data + payload->size - tail, tail),
	};
	return 0;
}

static void entry_path(const struct kernel_cache *cache, const struct kernel_key *key, char *path, size_t len)
{
	snprintf(path, len, "%s/" ENTRY_PREFIX "%llx-%llx-%llx-%llx", cache->dir, (unsigned long long)key->dev,
		 (unsigned long long)key->ino, (unsigned long long)key->size, (unsigned long long)key->mtime_ns);
}

static uint32_t header_crc(const struct cache_header *header)
{
	return crc32(0, (const Bytef *)header, offsetof(struct cache_header, header_crc));
}

/* Another user able to write here could plant kernels for our servers. */
static int cache_dir_check(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

static int entry_check(int fd, const struct kernel_key *key, off_t *file_size)
{
	struct cache_header header;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (uint64_t)st.st_size != HEADER_SIZE + key->vmlinux_size)
		return -ESTALE;
	if (pread(fd, &header, sizeof(header), 0) != (ssize_t)sizeof(header))
		return -ESTALE;
	if (memcmp(header.magic, HEADER_MAGIC, sizeof(header.magic)) || header.header_crc != header_crc(&header) ||
	    memcmp(&header.key, key, sizeof(*key)))
		return -ESTALE;
	*file_size = st.st_size;
	return 0;
}

/* The kernel we would boot is the one that was stored, byte for byte. */
static bool entry_data_intact(int fd, const uint8_t *map, off_t size)
{
	struct cache_header header;

	if (pread(fd, &header, sizeof(header), 0) != (ssize_t)sizeof(header))
		return false;
	return crc32c(0, map + HEADER_SIZE, (size_t)size - HEADER_SIZE) == header.vmlinux_crc;
}

int kernel_cache_find(const struct kernel_cache *cache, const struct kernel_key *key, struct vmlinux *vmlinux)
{
	char path[ENTRY_PATH_MAX];
	off_t size = 0;
	void *map;
	int fd, ret;

	if (!cache->dir[0])
		return -ENOENT;
	ret = cache_dir_check(cache->dir);
	if (ret < 0)
		return ret;
	entry_path(cache, key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ret = entry_check(fd, key, &size);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	/* Entries are only ever replaced by rename, never truncated, so the mapping stays whole. */
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (!entry_data_intact(fd, map, size)) {
		munmap(map, size);
		close(fd);
		return -ESTALE;
	}
	futimens(fd, NULL);	/* recently used: pruned last */
	close(fd);
	*vmlinux = (struct vmlinux){
		.data = (const uint8_t *)map + HEADER_SIZE,
		.size = key->vmlinux_size,
		.map = map,
		.map_size = size,
	};
	return 0;
}

/* mkdir -p: missing parents as usual for /var/cache, the cache itself private to the user. */
static int cache_dir_create(const char *dir)
{
	int ret = dir_make_parents(dir, 0700);

	return ret < 0 ? ret : cache_dir_check(dir);
}

static int entry_write(int fd, const struct kernel_key *key, const struct vmlinux *vmlinux)
{
	static const uint8_t zeroes[HEADER_SIZE];
	struct cache_header header;
	int ret;

	memset(&header, 0, sizeof(header));
	memcpy(header.magic, HEADER_MAGIC, sizeof(header.magic));
	header.key = *key;
	header.vmlinux_crc = crc32c(0, vmlinux->data, vmlinux->size);
	header.header_crc = header_crc(&header);
	ret = fd_write_all(fd, &header, sizeof(header));
	if (ret == 0)
		ret = fd_write_all(fd, zeroes, HEADER_SIZE - sizeof(header));
	if (ret == 0)
		ret = fd_write_all(fd, vmlinux->data, vmlinux->size);
	return ret;
}

static int is_entry(const struct dirent *entry)
{
	return !strncmp(entry->d_name, ENTRY_PREFIX, strlen(ENTRY_PREFIX));
}

/* Least recently used first: a hit touches its entry. */
static int cache_remove_oldest(const struct kernel_cache *cache, struct dirent **entries, int n)
{
	char path[ENTRY_PATH_MAX], oldest_path[ENTRY_PATH_MAX] = "";
	struct timespec oldest = { 0 };
	struct stat st;

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache->dir, entries[i]->d_name);
		if (stat(path, &st) < 0)
			continue;	/* removed already */
		if (!oldest_path[0] || st.st_mtim.tv_sec < oldest.tv_sec ||
		    (st.st_mtim.tv_sec == oldest.tv_sec && st.st_mtim.tv_nsec < oldest.tv_nsec)) {
			oldest = st.st_mtim;
			snprintf(oldest_path, sizeof(oldest_path), "%s", path);
		}
	}
	if (!oldest_path[0])
		return -ENOENT;
	return unlink(oldest_path) < 0 ? -errno : 0;
}

static int is_new_file(const struct dirent *entry)
{
	return !strncmp(entry->d_name, ".new-", 5);
}

/* A store killed half way leaves its .new- file; one still being written by another sheer is younger. */
static void cache_remove_stale_new(const struct kernel_cache *cache)
{
	struct dirent **entries;
	char path[ENTRY_PATH_MAX];
	struct stat st;
	int n = scandir(cache->dir, &entries, is_new_file, NULL);

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache->dir, entries[i]->d_name);
		if (lstat(path, &st) == 0 && time(NULL) - st.st_mtime > STALE_NEW_S)
			unlink(path);
		free(entries[i]);
	}
	if (n >= 0)
		free(entries);
}

static void cache_prune(const struct kernel_cache *cache)
{
	struct dirent **entries;
	int n;

	cache_remove_stale_new(cache);
	n = scandir(cache->dir, &entries, is_entry, NULL);
	if (n < 0)
		return;
	for (int live = n; live > (int)cache->max_entries; live--)
		if (cache_remove_oldest(cache, entries, n) < 0)
			break;
	for (int i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
}

int kernel_cache_store(const struct kernel_cache *cache, const struct kernel_key *key, const struct vmlinux *vmlinux,
		       char *why, size_t why_len)
{
	char path[ENTRY_PATH_MAX], tmp[ENTRY_PATH_MAX];
	int fd, ret = cache_dir_create(cache->dir);

	if (ret < 0) {
		snprintf(why, why_len, "kernel cache %s: %s", cache->dir,
			 ret == -EPERM ? "not owned by this user or writable by others" : strerror(-ret));
		return ret;
	}
	snprintf(tmp, sizeof(tmp), "%s/.new-XXXXXX", cache->dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, why_len, "kernel cache %s: %s", cache->dir, strerror(-ret));
		return ret;
	}
	ret = entry_write(fd, key, vmlinux);
	/* On disk before it has the entry's name: a crash leaves the old entry or the whole new one. */
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	entry_path(cache, key, path, sizeof(path));
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		snprintf(why, why_len, "kernel cache %s: %s", cache->dir, strerror(-ret));
		return ret;
	}
	cache_prune(cache);
	return 0;
}
