#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/lib/meminfo.h"

int meminfo_read(const char *key, uint64_t *bytes)
{
	size_t key_len = strlen(key);
	unsigned long long kib;
	char line[256];
	FILE *meminfo = fopen("/proc/meminfo", "re");
	int ret = -ENODATA;

	if (!meminfo)
		return -errno;
	while (ret < 0 && fgets(line, sizeof(line), meminfo))
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ':' &&
		    sscanf(line + key_len + 1, "%llu kB", &kib) == 1) {
			*bytes = (uint64_t)kib * 1024;
			ret = 0;
		}
	fclose(meminfo);
	return ret;
}
