/*
 * The INI files operators write by hand (server profiles, the inventory of
 * physical servers): "[section]" headers, "key = value" lines (a value may be
 * quoted), whole-line comments starting with '#' or ';' (both are common
 * inside values such as kernel command lines). The reader bounds each line,
 * refuses NUL bytes, keys outside a section and a key given twice in one
 * section, and hands each section and key to its owner, who knows which are
 * valid. Any error reads "path:line: reason".
 */
#ifndef SHEER_VMM_LIB_INI_H
#define SHEER_VMM_LIB_INI_H

#include <stddef.h>
#include <stdio.h>

#define INI_LINE_MAX 4096
#define INI_REASON_MAX 256

/* Where a handler's reason is reported: the current line unless it names another. */
struct ini_error {
	char reason[INI_REASON_MAX];
	unsigned int line_no;
};

struct ini_handler {
	/* A section opens at line_no (name trimmed), or the file ends (name NULL): 0 or -errno. */
	int (*section)(void *ctx, const char *name, unsigned int line_no, struct ini_error *e);
	/* A key of the open section: 0 or -errno. */
	int (*key)(void *ctx, const char *key, const char *value, struct ini_error *e);
	/* The section a file starts with, for "key 'k' before any section (start with [server])". */
	const char *first_section;
	void *ctx;
};

/* Read file (path names it in messages) through h. */
int ini_read(FILE *file, const char *path, const struct ini_handler *h, char *err, size_t errlen);
/* Open path, a regular file only (a FIFO or a device is refused before anything is read), and read it. */
int ini_load(const char *path, const char *what, const struct ini_handler *h, char *err, size_t errlen);

#endif
