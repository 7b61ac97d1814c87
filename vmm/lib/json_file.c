#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/file_store.h"
#include "vmm/lib/json_file.h"

int json_file_load(const char *path, json_t **out)
{
	*out = json_load_file(path, JSON_FILE_FLAGS, NULL);
	if (!*out)
		return access(path, F_OK) == 0 ? -EINVAL : -ENOENT;
	return 0;
}

static int write_json(int fd, void *object)
{
	return json_dumpfd(object, fd, JSON_COMPACT) == 0 ? 0 : -EIO;
}

int json_file_store(const char *path, json_t *object)
{
	return file_store(path, write_json, object);
}
