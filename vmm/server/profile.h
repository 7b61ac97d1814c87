/*
 * The profile: an INI file an operator writes by hand to describe a server
 * ([server] keys and one [device] section per passed-through device; see
 * vmm/README-section.md). Anything unknown is an error naming file:line.
 */
#ifndef SHEER_VMM_SERVER_PROFILE_H
#define SHEER_VMM_SERVER_PROFILE_H

#include <stddef.h>
#include <stdio.h>

#include "vmm/lib/ini.h"
#include "vmm/server/spec.h"

#define PROFILE_LINE_MAX INI_LINE_MAX

/* Apply the profile at path on top of spec. On error err reads "path:line: reason". */
int profile_load(const char *path, struct server_spec *spec, char *err, size_t errlen);
/*
 * The same for a profile already open as file (what profile_load() calls
 * once it knows path is a regular file); path names it in messages, and
 * relative paths in it are relative to path's directory.
 */
int profile_read(FILE *file, const char *path, struct server_spec *spec, char *err, size_t errlen);

/*
 * The profile at path as `sheer define` keeps it: the same lines, but file
 * paths relative to its folder made absolute, so the copy finds them from
 * wherever it is kept. *text is malloc'd (free it). Check the profile with
 * profile_load() first: this only copies.
 */
int profile_export(const char *path, char **text, size_t *len, char *err, size_t errlen);

#endif
