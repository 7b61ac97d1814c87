#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/lib/host_dirs.h"

static int env_or_default_path(const char *variable, const char *fallback, const char *sub, char *out, size_t outlen)
{
	const char *base = getenv(variable);
	int n;

	if (!base || !*base)
		base = fallback;
	n = sub ? snprintf(out, outlen, "%s/%s", base, sub) : snprintf(out, outlen, "%s", base);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int config_dir_path(const char *sub, char *out, size_t outlen)
{
	return env_or_default_path("SHEER_CONFIG_DIR", SHEER_CONFIG_DIR, sub, out, outlen);
}

int log_dir_path(char *out, size_t outlen)
{
	return env_or_default_path("SHEER_LOG_DIR", SHEER_LOG_DIR, NULL, out, outlen);
}

int dir_make_parents(const char *dir, unsigned int mode)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
