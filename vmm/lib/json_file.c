#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/json_file.h"

int json_file_load(const char *path, json_t **out)
{
	*out = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!*out)
		return access(path, F_OK) == 0 ? -EINVAL : -ENOENT;
	return 0;
}

int json_file_store(const char *path, json_t *object)
{
	char temp[PATH_MAX + 8];
	int ret;

	if ((size_t)snprintf(temp, sizeof(temp), "%s.new", path) >= sizeof(temp))
		return -ENAMETOOLONG;
	/* A reader, or a sheer started after a crash, never sees half a record. */
	ret = json_dump_file(object, temp, JSON_COMPACT) == 0 ? 0 : -EIO;
	if (ret == 0 && chmod(temp, 0600) < 0)
		ret = -errno;
	if (ret == 0 && rename(temp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(temp);
	return ret;
}
