/*
 * Defined servers: the profiles `sheer define` kept, one file NAME.ini in
 * CONFIG/servers (CONFIG is /etc/sheer or $SHEER_CONFIG_DIR). A defined
 * server exists whether it runs or not; `sheer start NAME` runs it from
 * there. Reading never creates the folder; storing writes a whole file or
 * nothing (written aside, then renamed).
 */
#ifndef SHEER_VMM_SERVER_DEFINITIONS_H
#define SHEER_VMM_SERVER_DEFINITIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/server/registry.h"
#include "vmm/server/spec.h"

struct definitions {
	char dir[PATH_MAX];
};

int definitions_open(struct definitions *defs);
/* Where NAME's profile is (or would be); -EINVAL for a name no server can have. */
int definitions_path(const struct definitions *defs, const char *name, char *out, size_t outlen);
/* NAME's profile as a spec, without the checks of a start (a kernel moved away still loads). */
int definitions_load(const struct definitions *defs, const char *name, struct server_spec *spec);
bool definitions_exist(const struct definitions *defs, const char *name);
/* Every defined server, sorted by name; none when the folder is missing. Free with registry_names_free. */
int definitions_list(const struct definitions *defs, struct registry_names *names);
/* Keep text as NAME's profile (mode 0600, replacing any earlier one). */
int definitions_store(const struct definitions *defs, const char *name, const char *text, size_t len);
/* -ENOENT when NAME is not defined. */
int definitions_remove(const struct definitions *defs, const char *name);

#endif
