#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/lib/file_store.h"
#include "vmm/lib/host_dirs.h"
#include "vmm/lib/parse.h"
#include "vmm/server/definitions.h"
#include "vmm/server/profile.h"

int definitions_open(struct definitions *defs)
{
	return config_dir_path("servers", defs->dir, sizeof(defs->dir));
}

int definitions_path(const struct definitions *defs, const char *name, char *out, size_t outlen)
{
	int n;

	if (!server_name_is_valid(name))
		return -EINVAL;
	n = snprintf(out, outlen, "%s/%s.ini", defs->dir, name);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int definitions_load(const struct definitions *defs, const char *name, struct server_spec *spec)
{
	char path[PATH_MAX], err[512];

	spec_init(spec);
	if (definitions_path(defs, name, path, sizeof(path)) < 0)
		return -EINVAL;
	return profile_load(path, spec, err, sizeof(err));
}

bool definitions_exist(const struct definitions *defs, const char *name)
{
	char path[PATH_MAX];

	return definitions_path(defs, name, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

int definitions_list(const struct definitions *defs, struct registry_names *names)
{
	static const char *const suffixes[] = { ".ini", NULL };

	names->count = 0;
	names->names = NULL;
	return registry_names_scan(defs->dir, suffixes, names);
}

int definitions_store(const struct definitions *defs, const char *name, const char *text, size_t len)
{
	char path[PATH_MAX];
	int ret = definitions_path(defs, name, path, sizeof(path));

	if (ret == 0)
		ret = dir_make_parents(defs->dir, 0755);
	return ret < 0 ? ret : file_store_text(path, text, len);
}

int definitions_remove(const struct definitions *defs, const char *name)
{
	char path[PATH_MAX];
	int ret = definitions_path(defs, name, path, sizeof(path));

	if (ret == 0 && unlink(path) < 0)
		ret = -errno;
	return ret;
}
