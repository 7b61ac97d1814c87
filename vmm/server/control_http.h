/*
 * HTTP/1.1 on the control socket (control_http.c): libmicrohttpd parses, with
 * no listening socket and no thread of its own; the control thread hands it
 * each connection that does not start with '{' and drives it until the reply
 * is out. The routes are vmm/server/http_api.c's.
 */
#ifndef SHEER_VMM_SERVER_CONTROL_HTTP_H
#define SHEER_VMM_SERVER_CONTROL_HTTP_H

#include <stdbool.h>

/* A connection's whole life, from accept to the last byte of its reply: a client that trickles is cut off. */
#define CONTROL_HTTP_DEADLINE_MS 2000
/* What libmicrohttpd may hold for one connection: request line, headers and its buffers. */
#define CONTROL_HTTP_MEMORY_LIMIT (16 * 1024)

struct MHD_Daemon;
struct control_ops;

struct control_http {
	struct MHD_Daemon *daemon;
	const struct control_ops *ops;
	void *ctx;
	bool closed;	/* the connection being served has ended */
	unsigned int deadline_ms;	/* CONTROL_HTTP_DEADLINE_MS; shorter where clients never wait (the fuzzer) */
};

/* Before the control thread is confined: what libmicrohttpd sets up (its wake-up eventfd) needs calls it lacks. */
int control_http_start(struct control_http *http, const struct control_ops *ops, void *ctx);
/* Serve the HTTP connection on fd, which it takes, until it ends or deadline_ms pass; one at a time. */
void control_http_serve(struct control_http *http, int fd);
void control_http_stop(struct control_http *http);

#endif
