/*
 * `sheer agent`: the controller's channel to this host. It listens on
 * HOST:PORT for TLS 1.3 connections whose peer presents a certificate from
 * the CA of its --tls directory (vmm/lib/tls_mutual.h): a peer without one,
 * or with one from another CA, is refused at the handshake, logged once,
 * and the agent goes on serving the others. On a connection, one request
 * per line and one answer per line, as many as the peer likes, in order.
 *
 * Bounds: AGENT_MAX_CONNECTIONS at once (one more is closed at once, and
 * logged); a handshake within AGENT_HANDSHAKE_TIMEOUT_S; a request line of
 * at most AGENT_REQUEST_MAX bytes (a longer one is read to its end and
 * answered with an error), whole within AGENT_READ_TIMEOUT_S of its first
 * byte; AGENT_IDLE_TIMEOUT_S between requests; each op's own deadline
 * (agent_request_deadline_s).
 */
#ifndef SHEER_POWER_AGENT_AGENT_SERVER_H
#define SHEER_POWER_AGENT_AGENT_SERVER_H

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stddef.h>

#include "power/agent/agent_ops.h"

#define AGENT_MAX_CONNECTIONS 8
#define AGENT_HANDSHAKE_TIMEOUT_S 10
#define AGENT_READ_TIMEOUT_S 10
#define AGENT_IDLE_TIMEOUT_S 300
#define AGENT_SEND_TIMEOUT_S 10

struct agent_server {
	int listen_fd;
	SSL_CTX *ctx;
	char listen[80];		/* HOST:PORT as given */
	char listen_host[64];		/* numeric, an IPv6 address in brackets */
	struct agent_ops ops;
	atomic_uint connections;
};

/*
 * Load DIR's certificates, then listen on HOST:PORT. -EINVAL for bad input
 * (not HOST:PORT, certificates missing, unreadable or not matching), another
 * negative errno when the host refuses (the port in use); err says which.
 */
int agent_server_open(struct agent_server *server, const char *listen, const char *tls_dir, char *err,
		      size_t errlen);
/*
 * Serve until SIGINT or SIGTERM, then return 0 at once: connections are
 * not waited for (a command an op runs goes on by itself).
 */
int agent_server_run(struct agent_server *server);

#endif
