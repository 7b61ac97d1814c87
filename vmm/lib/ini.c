#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/lib/file_kind.h"
#include "vmm/lib/ini.h"
#include "vmm/lib/line_reader.h"

#define INI_KEYS_MAX 32

struct ini_reader {
	const struct ini_handler *h;
	unsigned int line_no;
	bool in_section;
	/* Keys seen in the open section: a repeated key is a mistake, not an override. */
	char seen[INI_KEYS_MAX][32];
	unsigned int n_seen;
	struct ini_error e;
};

static int reader_fail(struct ini_reader *r, int ret, const char *reason)
{
	snprintf(r->e.reason, sizeof(r->e.reason), "%s", reason);
	r->e.line_no = r->line_no;
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

static char *unquote(char *value)
{
	size_t len = strlen(value);

	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value[len - 1] = '\0';
		return value + 1;
	}
	return value;
}

/* The handler's verdict; its reason at the line it named, or at this one. */
static int reader_ask(struct ini_reader *r, int ret)
{
	if (ret < 0 && !r->e.line_no)
		r->e.line_no = r->line_no;
	return ret;
}

static int reader_open_section(struct ini_reader *r, char *line)
{
	if (line[strlen(line) - 1] != ']')
		return reader_fail(r, -EINVAL, "section header without closing ']'");
	line[strlen(line) - 1] = '\0';
	r->n_seen = 0;
	r->in_section = true;
	return reader_ask(r, r->h->section(r->h->ctx, trim(line + 1), r->line_no, &r->e));
}

static int reader_note_key(struct ini_reader *r, const char *key)
{
	char reason[96];

	for (unsigned int i = 0; i < r->n_seen; i++) {
		if (strcmp(r->seen[i], key) == 0) {
			snprintf(reason, sizeof(reason), "key '%.40s' given twice in this section", key);
			return reader_fail(r, -EINVAL, reason);
		}
	}
	/* Longer keys or more keys than any section has cannot be valid; the handler refuses them. */
	if (r->n_seen < INI_KEYS_MAX && strlen(key) < sizeof(r->seen[0]))
		strcpy(r->seen[r->n_seen++], key);
	return 0;
}

static int reader_set_key(struct ini_reader *r, char *line)
{
	char *equals = strchr(line, '=');
	char reason[128];
	char *key;
	int ret;

	if (!equals)
		return reader_fail(r, -EINVAL, "expected 'key = value', '[section]' or a comment");
	*equals = '\0';
	key = trim(line);
	if (key[0] == '\0')
		return reader_fail(r, -EINVAL, "missing key before '='");
	if (!r->in_section) {
		snprintf(reason, sizeof(reason), "key '%.64s' before any section (start with %s)", key,
			 r->h->first_section);
		return reader_fail(r, -EINVAL, reason);
	}
	ret = reader_note_key(r, key);
	if (ret < 0)
		return ret;
	return reader_ask(r, r->h->key(r->h->ctx, key, unquote(trim(equals + 1)), &r->e));
}

static int reader_take_line(struct ini_reader *r, char *raw)
{
	char *line = trim(raw);

	if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
		return 0;
	if (line[0] == '[')
		return reader_open_section(r, line);
	return reader_set_key(r, line);
}

int ini_read(FILE *file, const char *path, const struct ini_handler *h, char *err, size_t errlen)
{
	struct ini_reader r = { .h = h };
	char line[INI_LINE_MAX + 2];	/* the line, its newline and the NUL */
	ssize_t len;
	int ret = 0;

	while (ret == 0 && (len = line_read(file, line, sizeof(line))) != 0) {
		r.line_no++;
		if (len == -E2BIG)
			ret = reader_fail(&r, -EINVAL, "line too long");
		else if (len < 0)
			ret = reader_fail(&r, (int)len, strerror((int)-len));
		else if (memchr(line, '\0', (size_t)len))
			ret = reader_fail(&r, -EINVAL, "NUL byte in line");
		else
			ret = reader_take_line(&r, line);
	}
	if (ret == 0)
		ret = reader_ask(&r, h->section(h->ctx, NULL, r.line_no, &r.e));
	if (ret < 0)
		snprintf(err, errlen, "%s:%u: %s", path, r.e.line_no, r.e.reason);
	return ret;
}

int ini_load(const char *path, const char *what, const struct ini_handler *h, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), ret;
	struct stat st;
	FILE *file;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		return ret;
	}
	if (file_kind_problem(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s %s: %s", what, path, file_kind_problem(st.st_mode));
		return -EINVAL;
	}
	file = fdopen(fd, "r");
	if (!file) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-ret));
		return ret;
	}
	ret = ini_read(file, path, h, err, errlen);
	fclose(file);
	return ret;
}
