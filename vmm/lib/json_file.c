#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/json_file.h"

int json_file_load(const char *path, json_t **out)
{
	*out = json_load_file(path, JSON_FILE_FLAGS, NULL);
	if (!*out)
		return access(path, F_OK) == 0 ? -EINVAL : -ENOENT;
	return 0;
}

/*
 * A reader, or a sheer started after a crash, never sees half a record: it
 * is written to a new file and renamed over. mkostemp makes that file with
 * O_EXCL at mode 0600, so whatever someone left under a predictable name (a
 * symlink to /etc/shadow) is never opened, let alone written.
 */
int json_file_store(const char *path, json_t *object)
{
	char temp[PATH_MAX + 16];
	int fd, ret;

	if ((size_t)snprintf(temp, sizeof(temp), "%s.new-XXXXXX", path) >= sizeof(temp))
		return -ENAMETOOLONG;
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = json_dumpfd(object, fd, JSON_COMPACT) == 0 ? 0 : -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(temp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(temp);
	return ret;
}
