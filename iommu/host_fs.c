#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu/host_fs.h"
#include "vmm/lib/parse.h"

int host_fs_init(struct host_fs *fs, const char *root)
{
	return copy_string(fs->root, sizeof(fs->root), root ? root : "");
}

bool host_fs_is_real(const struct host_fs *fs)
{
	return fs->root[0] == '\0';
}

static int host_fs_vpath(const struct host_fs *fs, char *out, size_t out_len, const char *fmt, va_list ap)
{
	size_t root_len = strlen(fs->root);
	int len;

	if (root_len >= out_len)
		return -ENAMETOOLONG;
	memcpy(out, fs->root, root_len);
	len = vsnprintf(out + root_len, out_len - root_len, fmt, ap);
	if (len < 0 || (size_t)len >= out_len - root_len)
		return -ENAMETOOLONG;
	return 0;
}

int host_fs_path(const struct host_fs *fs, char *out, size_t out_len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vpath(fs, out, out_len, fmt, ap);
	va_end(ap);
	return ret;
}

bool host_fs_exists(const struct host_fs *fs, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	return ret == 0 && access(path, F_OK) == 0;
}

static int read_small_file(const char *path, char *buf, size_t buf_len)
{
	ssize_t got;
	int fd;

	if (buf_len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, buf, buf_len - 1);
	if (got < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	close(fd);
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return 0;
}

int host_fs_read(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	return ret < 0 ? ret : read_small_file(path, buf, buf_len);
}

int host_fs_read_long(const struct host_fs *fs, long *value, const char *fmt, ...)
{
	char path[PATH_MAX], text[64], *end;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret == 0)
		ret = read_small_file(path, text, sizeof(text));
	if (ret < 0)
		return ret;
	errno = 0;
	*value = strtol(text, &end, 0);
	if (errno || end == text || *end != '\0')
		return -EINVAL;
	return 0;
}

int host_fs_write(const struct host_fs *fs, const char *value, const char *fmt, ...)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t written;
	va_list ap;
	int fd, ret;

	va_start(ap, fmt);
	ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	/* One write per open, as sysfs attributes want; O_TRUNC (as the shell's >) keeps plain files alike. */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return -errno;
	written = write(fd, value, len);
	ret = written < 0 ? -errno : (size_t)written == len ? 0 : -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

static int host_fs_vlink(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, va_list ap)
{
	char path[PATH_MAX];
	ssize_t len;
	int ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);

	if (ret < 0)
		return ret;
	len = readlink(path, buf, buf_len);
	if (len < 0)
		return -errno;
	if ((size_t)len >= buf_len)
		return -ENAMETOOLONG;
	buf[len] = '\0';
	return 0;
}

int host_fs_link(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vlink(fs, buf, buf_len, fmt, ap);
	va_end(ap);
	return ret;
}

int host_fs_link_name(const struct host_fs *fs, char *buf, size_t buf_len, const char *fmt, ...)
{
	char target[PATH_MAX];
	const char *slash;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vlink(fs, target, sizeof(target), fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	slash = strrchr(target, '/');
	return copy_string(buf, buf_len, slash ? slash + 1 : target);
}

FILE *host_fs_fopen(const struct host_fs *fs, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	return fopen(path, "re");
}

static int name_list_add(struct name_list *list, const char *name)
{
	char (*grown)[HOST_FS_NAME_MAX];

	if (strlen(name) >= HOST_FS_NAME_MAX)
		return -ENAMETOOLONG;
	grown = realloc(list->names, (list->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	list->names = grown;
	strcpy(list->names[list->count++], name);
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int host_fs_list(const struct host_fs *fs, struct name_list *list, const char *fmt, ...)
{
	char path[PATH_MAX];
	struct dirent *entry;
	va_list ap;
	DIR *dir;
	int ret;

	list->count = 0;
	list->names = NULL;
	va_start(ap, fmt);
	ret = host_fs_vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (ret == 0 && (entry = readdir(dir)))
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			ret = name_list_add(list, entry->d_name);
	closedir(dir);
	if (ret < 0) {
		name_list_free(list);
		return ret;
	}
	if (list->count)
		qsort(list->names, list->count, sizeof(list->names[0]), compare_names);
	return 0;
}

bool name_list_contains(const struct name_list *list, const char *name)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (strcmp(list->names[i], name) == 0)
			return true;
	return false;
}

void name_list_free(struct name_list *list)
{
	free(list->names);
	list->names = NULL;
	list->count = 0;
}
