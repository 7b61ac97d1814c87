/* PlanetLab-style traces: one file per logical server, one CPU percentage per 5 minutes. */
#ifndef SHEER_POWER_SIM_TRACE_H
#define SHEER_POWER_SIM_TRACE_H

#include <stddef.h>
#include <stdio.h>

#define TRACE_SAMPLES 288	/* 24 h of 300 s samples */

struct trace_day {
	char name[256];		/* the folder's base name, e.g. 20110303 */
	int n_servers;
	char (*files)[256];
	double (*util)[TRACE_SAMPLES + 1];	/* fractions; the last sample repeated at the end */
};

struct trace_set {
	struct trace_day *days;
	int n_days;
};

/*
 * Load DIR: either one day's files or one folder per day (names sorted, so runs
 * are reproducible on any file system). On error, returns a negative errno and
 * leaves one line in `why` naming the file and line.
 */
int trace_set_load(const char *dir, struct trace_set *set, char *why, size_t why_len);
void trace_set_free(struct trace_set *set);
/*
 * One server's trace from f (named path in messages) into util
 * (TRACE_SAMPLES + 1 values): what trace_set_load() does with each file.
 */
int trace_file_read(FILE *f, const char *path, double *util, char *why, size_t why_len);
/* Utilisation at time t (seconds) by linear interpolation between samples. */
double trace_day_util_at(const struct trace_day *d, int server, double t);

#endif
