/*
 * The controller's end of the channel to a host's agent: connect with this
 * host's certificate, send checked requests, and take back answers only
 * once they are checked too (agent_response.h). Every failure comes back
 * as a negative errno with a message that names the agent's address and
 * the cause: -ECONNREFUSED (no agent there), -ETIMEDOUT (no connection or
 * no answer in time), -EPROTO (TLS: the agent's certificate is not from our
 * CA, or it refused ours), -EBADMSG (an answer that is not what the op
 * promises), -EIO (the connection broke).
 */
#ifndef SHEER_POWER_AGENT_AGENT_CLIENT_H
#define SHEER_POWER_AGENT_AGENT_CLIENT_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stddef.h>

#include "power/agent/agent_request.h"

/* Seconds to connect and shake hands with an agent. */
#define AGENT_CONNECT_TIMEOUT_S 10
/* What a client waits beyond the op's own bound (agent_request_deadline_s): the way there and back. */
#define AGENT_CLIENT_MARGIN_S 15

struct agent_client {
	char addr[AGENT_HOST_MAX + 16];	/* HOST:PORT as given, for messages */
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char *buf;			/* what came after the last answer */
	size_t len;
};

/*
 * Connect to HOST:PORT (a name, an IPv4 address, or [IPv6]) with the
 * certificates of tls_dir. It sets SIGPIPE to be ignored in the whole
 * process: a write to an agent that hung up is an error to report, not the
 * end of the controller.
 */
int agent_client_connect(struct agent_client *client, const char *addr, const char *tls_dir, char *err,
			 size_t errlen);
/*
 * Send req and wait for its answer at most timeout_s (0: the op's bound
 * plus AGENT_CLIENT_MARGIN_S). *answer is the checked answer, which may
 * still say "ok": false: the op failed there, and its "error" says why.
 */
int agent_client_call(struct agent_client *client, const struct agent_request *req, unsigned int timeout_s,
		      json_t **answer, char *err, size_t errlen);
void agent_client_close(struct agent_client *client);

#endif
