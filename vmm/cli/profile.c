/* A profile: [server] and [device] sections of an INI file (vmm/lib/ini.c reads it). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli/profile.h"
#include "vmm/lib/ini.h"
#include "vmm/lib/parse.h"

struct profile_reader {
	char base_dir[PATH_MAX];	/* relative paths in the profile are relative to it */
	unsigned int device_line;	/* where the current [device] began */
	enum spec_section section;	/* SPEC_SECTION_DEVICE only once a [device] opened */
	bool server_seen;
	struct server_spec *spec;
};

static int profile_fail(struct ini_error *e, int ret, const char *reason)
{
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	return ret;
}

static int reader_finish_device(struct profile_reader *reader, struct ini_error *e)
{
	if (reader->section == SPEC_SECTION_DEVICE && !spec_device_is_complete(reader->spec)) {
		e->line_no = reader->device_line;
		return profile_fail(e, -EINVAL, "[device] without a 'pci =' key");
	}
	return 0;
}

/* A section opens (name), or the profile ends (NULL). */
static int profile_section(void *ctx, const char *name, unsigned int line_no, struct ini_error *e)
{
	struct profile_reader *reader = ctx;
	int ret = reader_finish_device(reader, e);

	if (ret < 0 || !name)
		return ret;
	if (strcmp(name, "server") == 0) {
		if (reader->server_seen)
			return profile_fail(e, -EINVAL, "[server] appears twice");
		reader->server_seen = true;
		reader->section = SPEC_SECTION_SERVER;
	} else if (strcmp(name, "device") == 0) {
		reader->section = SPEC_SECTION_DEVICE;
		reader->device_line = line_no;
		ret = spec_add_device(reader->spec, e->reason, sizeof(e->reason));
		if (ret < 0)
			return ret;
	} else {
		snprintf(e->reason, sizeof(e->reason), "unknown section [%.64s] (expected [server] or [device])", name);
		return -EINVAL;
	}
	return 0;
}

static int profile_key(void *ctx, const char *key, const char *value, struct ini_error *e)
{
	struct profile_reader *reader = ctx;
	int ret = spec_set(reader->spec, reader->section, key, value, reader->base_dir, e->reason, sizeof(e->reason));

	return ret == -ENOENT ? -EINVAL : ret;
}

static int profile_handler(const char *path, struct server_spec *spec, struct profile_reader *reader,
			   struct ini_handler *h, char *err, size_t errlen)
{
	char copy[PATH_MAX];

	memset(reader, 0, sizeof(*reader));
	reader->spec = spec;
	*h = (struct ini_handler){ profile_section, profile_key, "[server]", reader };
	if (copy_string(copy, sizeof(copy), path) < 0) {
		snprintf(err, errlen, "profile path too long");
		return -ENAMETOOLONG;
	}
	return copy_string(reader->base_dir, sizeof(reader->base_dir), dirname(copy));
}

int profile_read(FILE *file, const char *path, struct server_spec *spec, char *err, size_t errlen)
{
	struct profile_reader reader;
	struct ini_handler h;
	int ret = profile_handler(path, spec, &reader, &h, err, errlen);

	return ret < 0 ? ret : ini_read(file, path, &h, err, errlen);
}

int profile_load(const char *path, struct server_spec *spec, char *err, size_t errlen)
{
	struct profile_reader reader;
	struct ini_handler h;
	int ret = profile_handler(path, spec, &reader, &h, err, errlen);

	return ret < 0 ? ret : ini_load(path, "profile", &h, err, errlen);
}
