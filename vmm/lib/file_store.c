#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmm/lib/fd_write.h"
#include "vmm/lib/file_store.h"

/*
 * A reader, or a sheer started after a crash, never sees half a file: it
 * is written to a new file and renamed over. mkostemp makes that file with
 * O_EXCL at mode 0600, so whatever someone left under a predictable name (a
 * symlink to /etc/shadow) is never opened, let alone written.
 */
int file_store(const char *path, int (*write_body)(int fd, void *ctx), void *ctx)
{
	char temp[PATH_MAX + 16];
	int fd, ret;

	if ((size_t)snprintf(temp, sizeof(temp), "%s.new-XXXXXX", path) >= sizeof(temp))
		return -ENAMETOOLONG;
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write_body(fd, ctx);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(temp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(temp);
	return ret;
}

struct text {
	const char *bytes;
	size_t len;
};

static int write_text(int fd, void *ctx)
{
	const struct text *text = ctx;
	int ret = fd_write_all(fd, text->bytes, text->len);

	return ret < 0 ? ret : fsync(fd) < 0 ? -errno : 0;
}

int file_store_text(const char *path, const char *text, size_t len)
{
	struct text body = { text, len };

	return file_store(path, write_text, &body);
}
