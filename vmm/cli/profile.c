#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/lib/parse.h"
#include "vmm/cli/profile.h"
#include "vmm/lib/line_reader.h"

#define PROFILE_KEYS_MAX 32

struct profile_reader {
	const char *path;
	char base_dir[PATH_MAX];	/* relative paths in the profile are relative to it */
	unsigned int line_no;
	unsigned int device_line;	/* where the current [device] began */
	enum spec_section section;
	bool in_section;
	bool server_seen;
	/* Keys seen in the current section: a repeated key is a mistake, not an override. */
	char seen[PROFILE_KEYS_MAX][32];
	unsigned int n_seen;
	struct server_spec *spec;
	char *err;
	size_t errlen;
};

static int reader_fail(struct profile_reader *reader, int ret, unsigned int line_no, const char *reason)
{
	snprintf(reader->err, reader->errlen, "%s:%u: %s", reader->path, line_no, reason);
	return ret;
}

static char *trim(char *text)
{
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return text;
}

static int reader_finish_device(struct profile_reader *reader)
{
	if (reader->in_section && reader->section == SPEC_SECTION_DEVICE &&
	    !spec_device_is_complete(reader->spec))
		return reader_fail(reader, -EINVAL, reader->device_line, "[device] without a 'pci =' key");
	return 0;
}

static int reader_open_section(struct profile_reader *reader, char *line)
{
	char reason[128];
	char *name;
	int ret;

	if (line[strlen(line) - 1] != ']')
		return reader_fail(reader, -EINVAL, reader->line_no, "section header without closing ']'");
	line[strlen(line) - 1] = '\0';
	name = trim(line + 1);
	ret = reader_finish_device(reader);
	if (ret < 0)
		return ret;
	reader->n_seen = 0;
	if (strcmp(name, "server") == 0) {
		if (reader->server_seen)
			return reader_fail(reader, -EINVAL, reader->line_no, "[server] appears twice");
		reader->server_seen = true;
		reader->section = SPEC_SECTION_SERVER;
	} else if (strcmp(name, "device") == 0) {
		reader->section = SPEC_SECTION_DEVICE;
		reader->device_line = reader->line_no;
		ret = spec_add_device(reader->spec, reason, sizeof(reason));
		if (ret < 0)
			return reader_fail(reader, ret, reader->line_no, reason);
	} else {
		snprintf(reason, sizeof(reason), "unknown section [%.64s] (expected [server] or [device])", name);
		return reader_fail(reader, -EINVAL, reader->line_no, reason);
	}
	reader->in_section = true;
	return 0;
}

static int reader_note_key(struct profile_reader *reader, const char *key)
{
	char reason[96];

	for (unsigned int i = 0; i < reader->n_seen; i++) {
		if (strcmp(reader->seen[i], key) == 0) {
			snprintf(reason, sizeof(reason), "key '%s' given twice in this section", key);
			return reader_fail(reader, -EINVAL, reader->line_no, reason);
		}
	}
	/* Longer keys or more keys than exist cannot be valid; spec_set rejects them. */
	if (reader->n_seen < PROFILE_KEYS_MAX && strlen(key) < sizeof(reader->seen[0]))
		strcpy(reader->seen[reader->n_seen++], key);
	return 0;
}

static char *unquote(char *value)
{
	size_t len = strlen(value);

	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value[len - 1] = '\0';
		return value + 1;
	}
	return value;
}

static int reader_set_key(struct profile_reader *reader, char *line)
{
	char *equals = strchr(line, '=');
	char reason[256];
	char *key, *value;
	int ret;

	if (!equals)
		return reader_fail(reader, -EINVAL, reader->line_no, "expected 'key = value', '[section]' or a comment");
	*equals = '\0';
	key = trim(line);
	value = unquote(trim(equals + 1));
	if (key[0] == '\0')
		return reader_fail(reader, -EINVAL, reader->line_no, "missing key before '='");
	if (!reader->in_section) {
		snprintf(reason, sizeof(reason), "key '%.64s' before any section (start with [server])", key);
		return reader_fail(reader, -EINVAL, reader->line_no, reason);
	}
	ret = reader_note_key(reader, key);
	if (ret < 0)
		return ret;
	ret = spec_set(reader->spec, reader->section, key, value, reader->base_dir, reason, sizeof(reason));
	return ret < 0 ? reader_fail(reader, ret == -ENOENT ? -EINVAL : ret, reader->line_no, reason) : 0;
}

static int reader_take_line(struct profile_reader *reader, char *raw)
{
	char *line = trim(raw);

	/* Comments are whole lines only: '#' and ';' are common inside kernel command lines. */
	if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
		return 0;
	if (line[0] == '[')
		return reader_open_section(reader, line);
	return reader_set_key(reader, line);
}

static int reader_init(struct profile_reader *reader, const char *path, struct server_spec *spec,
		       char *err, size_t errlen)
{
	char copy[PATH_MAX];

	memset(reader, 0, sizeof(*reader));
	reader->path = path;
	reader->spec = spec;
	reader->err = err;
	reader->errlen = errlen;
	if (copy_string(copy, sizeof(copy), path) < 0) {
		snprintf(err, errlen, "profile path too long");
		return -ENAMETOOLONG;
	}
	return copy_string(reader->base_dir, sizeof(reader->base_dir), dirname(copy));
}

static int reader_run(struct profile_reader *reader, FILE *file)
{
	char line[PROFILE_LINE_MAX + 2];	/* the line, its newline and the NUL */
	ssize_t len;
	int ret = 0;

	while (ret == 0 && (len = line_read(file, line, sizeof(line))) != 0) {
		reader->line_no++;
		if (len == -E2BIG)
			ret = reader_fail(reader, -EINVAL, reader->line_no, "line too long");
		else if (len < 0)
			ret = reader_fail(reader, -EIO, reader->line_no, "read error");
		else if (memchr(line, '\0', (size_t)len))
			ret = reader_fail(reader, -EINVAL, reader->line_no, "NUL byte in line");
		else
			ret = reader_take_line(reader, line);
	}
	if (ret == 0)
		ret = reader_finish_device(reader);
	return ret;
}

int profile_read(FILE *file, const char *path, struct server_spec *spec, char *err, size_t errlen)
{
	struct profile_reader reader;
	int ret = reader_init(&reader, path, spec, err, errlen);

	return ret < 0 ? ret : reader_run(&reader, file);
}

int profile_load(const char *path, struct server_spec *spec, char *err, size_t errlen)
{
	struct stat st;
	FILE *file;
	int ret;

	file = fopen(path, "re");
	if (!file) {
		ret = -errno;
		snprintf(err, errlen, "profile %s: %s", path, strerror(errno));
		return ret;
	}
	/* A device or a FIFO (/dev/zero) is no profile: refused before anything is read. */
	if (fstat(fileno(file), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(file);
		snprintf(err, errlen, "profile %s: not a regular file", path);
		return -EINVAL;
	}
	ret = profile_read(file, path, spec, err, errlen);
	fclose(file);
	return ret;
}
