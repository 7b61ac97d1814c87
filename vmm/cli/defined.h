/* What the commands on defined servers share (vmm/cli/defined.c): define, edit, start, list --all. */
#ifndef SHEER_VMM_CLI_DEFINED_H
#define SHEER_VMM_CLI_DEFINED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/server/definitions.h"
#include "vmm/server/spec.h"

/* Load the profile at path and check it as `sheer run` would; err says why not. */
int defined_check(const char *path, struct server_spec *spec, char *err, size_t errlen);
/* The definitions' folder; reported when it cannot be. */
int defined_open(struct definitions *defs);
/* NAME's profile path; a bad name or one not defined is reported (the caller exits 2). */
int defined_find(const struct definitions *defs, const char *name, char *path, size_t pathlen);
/* 1 when NAME runs on this host, 0 when not, <0 (reported) when that cannot be told. */
int defined_is_running(const char *name);
/* 1 when NAME is defined with autostart = yes, 0 when not (or not defined). */
int defined_autostart(const struct definitions *defs, const char *name);
/* One row of `sheer list --all`: every defined server and every running one. */
struct defined_row {
	const char *name;
	const char *state;
	unsigned int cpus;
	unsigned long long memory_bytes;
	unsigned int n_devices, n_nics;
	int autostart;			/* -1: not defined */
	long long pid;			/* 0: not running */
	unsigned long long uptime_s;
};

void defined_print_header(void);
void defined_print_row(const struct defined_row *row);
/* A row (or, with json, an object in array) for each defined server that is not in running. */
void defined_list_stopped(const struct definitions *defs, const struct registry_names *running, bool json,
			  json_t *array);

#endif
