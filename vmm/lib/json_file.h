/* Small JSON records on disk: the registry's entries and the device claims. */
#ifndef SHEER_VMM_LIB_JSON_FILE_H
#define SHEER_VMM_LIB_JSON_FILE_H

#include <jansson.h>

/* How a record is parsed: a key given twice makes it malformed (no "last one wins"). */
#define JSON_FILE_FLAGS JSON_REJECT_DUPLICATES

/* *out gets the parsed file: -ENOENT when it is absent, -EINVAL when it is there but not JSON. */
int json_file_load(const char *path, json_t **out);
/* Write object to path, mode 0600, as a whole or not at all (written aside, then renamed). */
int json_file_store(const char *path, json_t *object);

#endif
