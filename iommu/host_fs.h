/*
 * The host's kernel interfaces (/sys, /proc, /dev, /lib/modules) seen through
 * one root directory. On a real host the root is empty; unit tests point it at
 * a fake tree so the parsers can be tested on a machine with no IOMMU.
 */
#ifndef SHEER_IOMMU_HOST_FS_H
#define SHEER_IOMMU_HOST_FS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define HOST_FS_NAME_MAX 256

struct host_fs {
	char root[PATH_MAX];	/* "" for the real host */
};

/* Sorted file names of one directory, without "." and "..". */
struct name_list {
	unsigned int count;
	char (*names)[HOST_FS_NAME_MAX];
};

/* root NULL or "": the real host. */
int host_fs_init(struct host_fs *fs, const char *root);
bool host_fs_is_real(const struct host_fs *fs);

#define HOST_FS_FORMAT(n) __attribute__((format(printf, n, n + 1)))

int host_fs_path(const struct host_fs *fs, char *out, size_t out_len, const char *fmt, ...) HOST_FS_FORMAT(4);
bool host_fs_exists(const struct host_fs *fs, const char *fmt, ...) HOST_FS_FORMAT(2);
/* A small attribute file, without its trailing newline. */
int host_fs_read(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, ...) HOST_FS_FORMAT(4);
/* A number in an attribute file ("0x8086", "-1", "4"): base 0 rules. */
int host_fs_read_long(const struct host_fs *fs, long *value, const char *fmt, ...) HOST_FS_FORMAT(3);
int host_fs_write(const struct host_fs *fs, const char *value, const char *fmt, ...) HOST_FS_FORMAT(3);
/* The target of a symlink, and its last component (a driver's or a group's name). */
int host_fs_link(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, ...) HOST_FS_FORMAT(4);
int host_fs_link_name(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, ...) HOST_FS_FORMAT(4);
FILE *host_fs_fopen(const struct host_fs *fs, const char *fmt, ...) HOST_FS_FORMAT(2);
/* -ENOENT when the directory does not exist. */
int host_fs_list(const struct host_fs *fs, struct name_list *list, const char *fmt, ...) HOST_FS_FORMAT(3);

bool name_list_contains(const struct name_list *list, const char *name);
void name_list_free(struct name_list *list);

#endif
