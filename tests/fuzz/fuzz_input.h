/* Reading a fuzzer's input as a stream of fixed-size fields; past the end, zeros. */
#ifndef SHEER_FUZZ_INPUT_H
#define SHEER_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *data;
	size_t len;
};

static inline uint64_t fuzz_take(struct fuzz_input *in, size_t bytes)
{
	uint64_t value = 0;
	size_t n = bytes < in->len ? bytes : in->len;

	memcpy(&value, in->data, n);
	in->data += n;
	in->len -= n;
	return value;
}

static inline size_t fuzz_left(const struct fuzz_input *in)
{
	return in->len;
}

/* An access size the hardware allows: 1, 2, 4 or 8 (limit: 4 or 8). */
static inline unsigned int fuzz_access_size(struct fuzz_input *in, unsigned int limit)
{
	unsigned int size = 1u << (fuzz_take(in, 1) & 3);

	return size > limit ? limit : size;
}

/* The input as a file for a reader, or NULL when it is empty (nothing to read) or memory is short. */
static inline FILE *fuzz_file(const uint8_t *data, size_t len)
{
	return len ? fmemopen((void *)data, len, "r") : NULL;
}

/* Whether a reader's refusal names the file it read as path, then the line: "path:LINE: reason". */
static inline bool fuzz_names_file(const char *err, const char *path)
{
	size_t len = strlen(path);

	return strncmp(err, path, len) == 0 && err[len] == ':';
}

#endif
