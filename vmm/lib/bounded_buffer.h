/*
 * What a peer sends over HTTP, kept only up to a bound: a growing buffer and
 * a write callback of libcurl's shape (CURLOPT_WRITEFUNCTION, with the buffer
 * as CURLOPT_WRITEDATA). The etcd client and `sheer fleet status` read their
 * answers into one.
 */
#ifndef SHEER_VMM_LIB_BOUNDED_BUFFER_H
#define SHEER_VMM_LIB_BOUNDED_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

struct bounded_buffer {
	char *data;		/* malloc'd, NUL-terminated; NULL until something came */
	size_t len;
	size_t max;		/* the most kept */
	bool too_long;		/* more came: the transfer was failed */
};

/* Append size x nmemb bytes to buffer: that count, or 0 (curl then fails the transfer) past max or without memory. */
size_t bounded_buffer_write(char *ptr, size_t size, size_t nmemb, void *buffer);

#endif
