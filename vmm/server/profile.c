/* A profile: [server] and [device] sections of an INI file (vmm/lib/ini.c reads it). */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/lib/ini.h"
#include "vmm/lib/line_reader.h"
#include "vmm/lib/parse.h"
#include "vmm/server/profile.h"

struct profile_reader {
	char base_dir[PATH_MAX];	/* relative paths in the profile are relative to it */
	unsigned int device_line;	/* where the current [device] or [nic] began */
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
	if (reader->section == SPEC_SECTION_NIC && !spec_nic_is_complete(reader->spec)) {
		e->line_no = reader->device_line;
		return profile_fail(e, -EINVAL, "[nic] needs exactly one of 'bridge =' and 'tap ='");
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
	} else if (strcmp(name, "nic") == 0) {
		reader->section = SPEC_SECTION_NIC;
		reader->device_line = line_no;
		ret = spec_add_nic(reader->spec, e->reason, sizeof(e->reason));
		if (ret < 0)
			return ret;
	} else {
		snprintf(e->reason, sizeof(e->reason), "unknown section [%.64s] (expected [server], [device] or [nic])",
			 name);
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

/* The spec section a header line opens ("[ nic ]" too); false for anything else. */
static bool header_section(const char *line, enum spec_section *section)
{
	static const char *const names[] = { [SPEC_SECTION_SERVER] = "server", [SPEC_SECTION_DEVICE] = "device",
					     [SPEC_SECTION_NIC] = "nic" };
	char name[16];

	if (sscanf(line, " [ %15[a-z] ]", name) != 1)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*section = (enum spec_section)i;
			return true;
		}
	return false;
}

/* "key = value" with a relative file path as value: the line again with the path made absolute from dir. */
static bool rewrite_path_line(const char *line, enum spec_section section, const char *dir, FILE *out)
{
	char key[64], value[PROFILE_LINE_MAX];
	int n;

	if (sscanf(line, " %63[a-z_] = %n", key, &n) != 1 || !spec_key_is_path(section, key))
		return false;
	snprintf(value, sizeof(value), "%s", line + n);
	value[strcspn(value, "\r\n")] = '\0';
	for (size_t len = strlen(value); len && isspace((unsigned char)value[len - 1]); len--)
		value[len - 1] = '\0';
	if (value[0] == '"' && strlen(value) >= 2 && value[strlen(value) - 1] == '"') {
		memmove(value, value + 1, strlen(value));
		value[strlen(value) - 1] = '\0';
	}
	if (value[0] == '/' || value[0] == '\0')
		return false;
	fprintf(out, "%s = %s/%s\n", key, dir, value);
	return true;
}

int profile_export(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	char copy[PATH_MAX], dir[PATH_MAX], line[PROFILE_LINE_MAX + 2];
	enum spec_section section = SPEC_SECTION_SERVER;
	FILE *in, *out;
	ssize_t n;

	if (copy_string(copy, sizeof(copy), path) < 0 || !realpath(dirname(copy), dir)) {
		snprintf(err, errlen, "%s: cannot resolve its folder: %s", path, strerror(errno ? errno : ENAMETOOLONG));
		return -EINVAL;
	}
	in = fopen(path, "re");
	if (!in) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	out = open_memstream(text, len);
	if (!out) {
		fclose(in);
		return -ENOMEM;
	}
	while ((n = line_read(in, line, sizeof(line))) > 0) {
		header_section(line, &section);
		if (!rewrite_path_line(line, section, dir, out))
			fputs(line, out);
	}
	fclose(in);
	if (fclose(out) != 0 || n < 0) {
		free(*text);
		*text = NULL;
		snprintf(err, errlen, "%s: read error", path);
		return -EIO;
	}
	return 0;
}
