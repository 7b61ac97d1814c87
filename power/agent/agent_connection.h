/*
 * One connection to the agent, on a thread of its own: the TLS handshake
 * (a refused peer is logged once), then request lines and their answers
 * until the peer closes, falls silent or breaks the bounds of
 * agent_server.h. A request that does not parse gets an error answer and
 * the connection stays usable.
 */
#ifndef SHEER_POWER_AGENT_AGENT_CONNECTION_H
#define SHEER_POWER_AGENT_AGENT_CONNECTION_H

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "power/agent/agent_ops.h"

#define AGENT_PEER_MAX 128

struct agent_connection;

/* One line "sheer: agent: ..." on stderr, written at once (the connections log from their own threads). */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "10.0.0.9:51234", "[::1]:51234": who connected, for the log. */
void agent_peer_name(const struct sockaddr_storage *peer, socklen_t len, char *out, size_t outlen);
/*
 * The connection on fd from who; it holds one of count, given back (and fd
 * closed) by agent_connection_free. NULL when out of memory.
 */
struct agent_connection *agent_connection_new(int fd, const char *who, SSL_CTX *ctx, struct agent_ops *ops,
					      atomic_uint *count);
void agent_connection_free(struct agent_connection *conn);
/* The thread: serve the connection, then free it. */
void *agent_connection_main(void *conn);

#endif
