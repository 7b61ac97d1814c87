/*
 * The HTTP API of a server's control socket (vmm/server/api/openapi.yaml):
 *   GET /v1/server        status and configuration, JSON
 *   PUT /v1/server/power  {"action":"shutdown|off|pause|resume"} -> 204
 *   GET /v1/metrics       Prometheus text (vmm/server/metrics.h)
 * Errors are {"error":"..."} with 400, 404, 405, 409, 413, 415 or 500. This is
 * the routing alone, on a request already read: control_http.c carries it
 * over the socket. It acts only through struct control_ops.
 */
#ifndef SHEER_VMM_SERVER_HTTP_API_H
#define SHEER_VMM_SERVER_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/server/control.h"

/* Request bodies past this are refused with 413: the API's bodies are a few dozen bytes. */
#define HTTP_BODY_MAX (64 * 1024)

struct http_request {
	const char *method;
	const char *path;		/* without the query */
	const char *content_type;	/* NULL: none given */
	const char *body;
	size_t len;
};

struct http_reply {
	unsigned int status;
	const char *content_type;	/* NULL with no body */
	char *body;			/* malloc'd; NULL: none */
	size_t len;
	const char *allow;		/* 405: the methods the path takes */
};

/*
 * Whether line (up to and without its LF) is an HTTP request line: METHOD SP
 * TARGET SP HTTP/D.D, a CR at its end allowed. libmicrohttpd 0.9.75 closes a
 * connection whose request line it cannot parse without a word; sheer
 * answers 400 itself instead.
 */
bool http_request_line_valid(const char *line, size_t len);
/* Answer request through ops; never fails (out of memory is a 500 without a body). Free with http_reply_free. */
void http_api_handle(const struct control_ops *ops, void *ctx, const struct http_request *request,
		     struct http_reply *reply);
/* An error reply {"error": message}. */
void http_reply_error(struct http_reply *reply, unsigned int status, const char *message);
void http_reply_free(struct http_reply *reply);

#endif
