/* Loading and checking trace folders. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <math.h>

#include "power/sim/trace.h"
#include "vmm/lib/line_reader.h"

struct name_list {
	char **names;
	int n, cap;
};

static void name_list_free(struct name_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of `dir` that are directories (want_dirs) or regular files, sorted. */
static int list_entries(const char *dir, bool want_dirs, struct name_list *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	memset(out, 0, sizeof(*out));
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
			continue;
		if (out->n == out->cap) {
			int cap = out->cap ? 2 * out->cap : 256;
			char **grown = realloc(out->names, cap * sizeof(char *));

			if (!grown)
				goto nomem;
			out->names = grown;
			out->cap = cap;
		}
		out->names[out->n] = strdup(e->d_name);
		if (!out->names[out->n])
			goto nomem;
		out->n++;
	}
	closedir(d);
	if (out->n)
		qsort(out->names, out->n, sizeof(char *), cmp_name);
	return 0;
nomem:
	closedir(d);
	name_list_free(out);
	return -ENOMEM;
}

static int parse_sample(const char *line, int *value)
{
	char *end;
	long v;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '\n' || *line == '\r')
		return -EINVAL;
	errno = 0;
	v = strtol(line, &end, 10);
	if (errno || end == line)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (v < 0 || v > 100)
		return -ERANGE;
	*value = (int)v;
	return 0;
}

int trace_file_read(FILE *f, const char *path, double *util, char *why, size_t why_len)
{
	char line[256];
	int n = 0, lineno = 0;

	for (;;) {
		ssize_t len = line_read(f, line, sizeof(line));
		int v, err;

		if (len == 0)
			break;
		lineno++;
		if (len < 0) {
			snprintf(why, why_len, "%s:%d: %s", path, lineno, len == -E2BIG ? "line too long" : "read error");
			return -EINVAL;
		}
		/* The sample is parsed as a C string: "5\0" "0" must not pass for 5. */
		if (memchr(line, '\0', (size_t)len)) {
			snprintf(why, why_len, "%s:%d: NUL byte in line", path, lineno);
			return -EINVAL;
		}
		if (n == TRACE_SAMPLES) {
			if (strspn(line, " \t\r\n") == strlen(line))
				continue;
			snprintf(why, why_len, "%s:%d: more than %d samples", path, lineno, TRACE_SAMPLES);
			return -EINVAL;
		}
		err = parse_sample(line, &v);
		if (err) {
			line[strcspn(line, "\r\n")] = '\0';
			snprintf(why, why_len, "%s:%d: %s '%.40s'", path, lineno,
				 err == -ERANGE ? "CPU percentage outside 0-100:" : "not an integer percentage:",
				 line);
			return err == -ERANGE ? -EINVAL : err;
		}
		util[n++] = v / 100.0;
	}
	if (n < TRACE_SAMPLES) {
		snprintf(why, why_len, "%s:%d: %d samples, need %d (one per 5 minutes over 24 h)",
			 path, lineno + 1, n, TRACE_SAMPLES);
		return -EINVAL;
	}
	util[TRACE_SAMPLES] = util[TRACE_SAMPLES - 1];
	return 0;
}

static int load_file(const char *path, double *util, char *why, size_t why_len)
{
	FILE *f = fopen(path, "r");
	int err;

	if (!f) {
		err = -errno;
		snprintf(why, why_len, "%s: %s", path, strerror(-err));
		return err;
	}
	err = trace_file_read(f, path, util, why, why_len);
	fclose(f);
	return err;
}

static int load_day(const char *dir, const char *name, struct trace_day *day, char *why, size_t why_len)
{
	struct name_list files;
	int err = list_entries(dir, false, &files);

	memset(day, 0, sizeof(*day));
	snprintf(day->name, sizeof(day->name), "%s", name);
	if (err) {
		snprintf(why, why_len, "%s: %s", dir, strerror(-err));
		return err;
	}
	if (files.n == 0) {
		snprintf(why, why_len, "%s: no trace files (expected one file per server)", dir);
		name_list_free(&files);
		return -ENOENT;
	}
	day->files = calloc(files.n, sizeof(*day->files));
	day->util = calloc(files.n, sizeof(*day->util));
	if (!day->files || !day->util) {
		name_list_free(&files);
		return -ENOMEM;
	}
	for (int i = 0; i < files.n && !err; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, files.names[i]);
		snprintf(day->files[i], sizeof(day->files[i]), "%s", files.names[i]);
		err = load_file(path, day->util[i], why, why_len);
		day->n_servers = i + 1;
	}
	name_list_free(&files);
	return err;
}

static const char *base_name(const char *path)
{
	static const char root[] = "/";
	size_t len = strlen(path);
	const char *slash;

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 1 && path[0] == '/')
		return root;
	slash = memrchr(path, '/', len);
	return slash ? slash + 1 : path;
}

int trace_set_load(const char *dir, struct trace_set *set, char *why, size_t why_len)
{
	struct name_list days;
	int err;

	memset(set, 0, sizeof(*set));
	err = list_entries(dir, true, &days);
	if (err) {
		snprintf(why, why_len, "%s: %s", dir, strerror(-err));
		return err;
	}
	set->n_days = days.n ? days.n : 1;
	set->days = calloc(set->n_days, sizeof(*set->days));
	if (!set->days) {
		name_list_free(&days);
		return -ENOMEM;
	}
	if (days.n == 0) {
		char name[256];

		snprintf(name, sizeof(name), "%s", base_name(dir));
		name[strcspn(name, "/")] = '\0';
		err = load_day(dir, name, &set->days[0], why, why_len);
	}
	for (int i = 0; i < days.n && !err; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, days.names[i]);
		err = load_day(path, days.names[i], &set->days[i], why, why_len);
	}
	name_list_free(&days);
	if (err)
		trace_set_free(set);
	return err;
}

void trace_set_free(struct trace_set *set)
{
	for (int i = 0; set->days && i < set->n_days; i++) {
		free(set->days[i].files);
		free(set->days[i].util);
	}
	free(set->days);
	memset(set, 0, sizeof(*set));
}

double trace_day_util_at(const struct trace_day *d, int server, double t)
{
	double pos = t / 300.0;
	int lo = (int)floor(pos);
	double frac = pos - lo;
	const double *u = d->util[server];

	if (lo < 0)
		return u[0];
	if (lo >= TRACE_SAMPLES)
		return u[TRACE_SAMPLES];
	return u[lo] + (u[lo + 1] - u[lo]) * frac;
}
