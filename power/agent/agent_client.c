#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2v/migrate/address.h"
#include "power/agent/agent_client.h"
#include "power/agent/agent_response.h"
#include "power/agent/agent_tls_io.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/tls_mutual.h"

#define NS_PER_S 1000000000ull

static int client_fail(const struct agent_client *client, int ret, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int client_fail(const struct agent_client *client, int ret, char *err, size_t errlen, const char *fmt, ...)
{
	char why[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "agent %s: %s", client->addr, why);
	return ret;
}

static int client_socket(struct agent_client *client, const char *addr, char *err, size_t errlen)
{
	struct migrate_address target;
	char text[sizeof(client->addr) + 8], why[512];
	int fd;

	snprintf(text, sizeof(text), "tcp:%s", addr);
	if (migrate_address_parse(text, &target, why, sizeof(why)) < 0)
		return client_fail(client, -EINVAL, err, errlen, "not HOST:PORT (a host name or address, [IPv6]:PORT)");
	fd = migrate_connect(&target, AGENT_CONNECT_TIMEOUT_S, why, sizeof(why));
	if (fd == -ECONNREFUSED)
		return client_fail(client, fd, err, errlen, "connection refused (is 'sheer agent' running there?)");
	if (fd == -ETIMEDOUT)
		return client_fail(client, fd, err, errlen, "no connection within %d s", AGENT_CONNECT_TIMEOUT_S);
	if (fd < 0)
		return client_fail(client, fd, err, errlen, "cannot connect: %s", why);
	return fd;
}

int agent_client_connect(struct agent_client *client, const char *addr, const char *tls_dir, char *err,
			 size_t errlen)
{
	char why[512];

	memset(client, 0, sizeof(*client));
	client->fd = -1;
	signal(SIGPIPE, SIG_IGN);
	snprintf(client->addr, sizeof(client->addr), "%s", addr);
	client->ctx = tls_mutual_context(tls_dir, false, why, sizeof(why));
	if (!client->ctx)
		return client_fail(client, -EINVAL, err, errlen, "--tls %.200s: %s", tls_dir, why);
	client->fd = client_socket(client, addr, err, errlen);
	if (client->fd < 0) {
		int ret = client->fd;

		agent_client_close(client);
		return ret;
	}
	client->ssl = tls_mutual_handshake(client->ctx, client->fd, false, AGENT_CONNECT_TIMEOUT_S, why, sizeof(why));
	if (!client->ssl) {
		/* Only a refused certificate is a question of CAs; a peer that hung up or does not speak TLS is not. */
		bool refused = errno == EACCES;

		agent_client_close(client);
		if (!refused)
			return client_fail(client, -EPROTO, err, errlen, "%s", why);
		return client_fail(client, -EPROTO, err, errlen, "%s (is its certificate signed by %.200s/ca.pem?)", why,
				   tls_dir);
	}
	return 0;
}

/* The next line, at most AGENT_RESPONSE_MAX bytes, within deadline: its length, or a negative errno with err. */
static int client_read_line(struct agent_client *client, uint64_t deadline, unsigned int timeout_s, char *err,
			    size_t errlen)
{
	char why[256] = "";

	for (;;) {
		char *newline = client->buf ? memchr(client->buf, '\n', client->len) : NULL;
		int n;

		if (newline)
			return (int)(newline - client->buf);
		if (client->len + 1 >= AGENT_RESPONSE_MAX)
			return client_fail(client, -EBADMSG, err, errlen, "bad answer: longer than %d bytes",
					   AGENT_RESPONSE_MAX - 1);
		n = agent_tls_read(client->ssl, client->fd, client->buf + client->len, AGENT_RESPONSE_MAX - client->len,
				   deadline, why, sizeof(why));
		if (n == -ETIMEDOUT)
			return client_fail(client, n, err, errlen, "no answer within %u s", timeout_s);
		/* TLS 1.3 tells a client its certificate was refused only after the handshake, at the first read. */
		if (n == -EPROTO)
			return client_fail(client, n, err, errlen, "TLS: %s (did the agent refuse this host's certificate?)",
					   why);
		if (n == 0)
			return client_fail(client, -EIO, err, errlen, "the agent closed the connection without an answer");
		client->len += (size_t)n;
	}
}

/*
 * A send that failed: an agent that refused this host's certificate says so
 * in an alert after the handshake, which a short read may still find.
 */
static int client_broken(struct agent_client *client, char *err, size_t errlen)
{
	char byte, why[256] = "";

	if (agent_tls_read(client->ssl, client->fd, &byte, 1, clock_monotonic_ns() + NS_PER_S, why, sizeof(why)) ==
	    -EPROTO)
		return client_fail(client, -EPROTO, err, errlen, "TLS: %s (did the agent refuse this host's certificate?)",
				   why);
	return client_fail(client, -EIO, err, errlen, "the connection broke while sending");
}

static int client_send(struct agent_client *client, const struct agent_request *req, char *err, size_t errlen)
{
	json_t *object = agent_request_to_json(req);
	char *text = object ? json_dumps(object, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0;
	int ret = -ENOMEM;

	json_decref(object);
	if (text && len + 1 < AGENT_REQUEST_MAX) {
		char *line = realloc(text, len + 2);

		if (line) {
			text = line;
			text[len] = '\n';
			ret = agent_tls_write(client->ssl, client->fd, text, len + 1, AGENT_CONNECT_TIMEOUT_S);
		}
	}
	free(text);
	if (ret == -ENOMEM)
		return client_fail(client, ret, err, errlen, "%s: out of memory", agent_op_name(req->op));
	return ret < 0 ? client_broken(client, err, errlen) : 0;
}

int agent_client_call(struct agent_client *client, const struct agent_request *req, unsigned int timeout_s,
		      json_t **answer, char *err, size_t errlen)
{
	json_error_t error;
	char why[512];
	int len, ret;

	*answer = NULL;
	if (!timeout_s)
		timeout_s = agent_request_deadline_s(req) + AGENT_CLIENT_MARGIN_S;
	if (!client->buf && !(client->buf = malloc(AGENT_RESPONSE_MAX)))
		return client_fail(client, -ENOMEM, err, errlen, "out of memory");
	ret = client_send(client, req, err, errlen);
	len = ret < 0 ? ret
		      : client_read_line(client, clock_monotonic_ns() + timeout_s * NS_PER_S, timeout_s, err, errlen);
	if (len < 0)
		return len;
	*answer = json_loadb(client->buf, (size_t)len, JSON_REJECT_DUPLICATES, &error);
	memmove(client->buf, client->buf + len + 1, client->len - (size_t)len - 1);
	client->len -= (size_t)len + 1;
	if (!*answer)
		return client_fail(client, -EBADMSG, err, errlen, "bad answer: not JSON: %s", error.text);
	if (agent_response_check(req, *answer, why, sizeof(why)) < 0) {
		json_decref(*answer);
		*answer = NULL;
		return client_fail(client, -EBADMSG, err, errlen, "bad answer to %s: %s", agent_op_name(req->op), why);
	}
	return 0;
}

void agent_client_close(struct agent_client *client)
{
	if (client->ssl)
		agent_tls_close(client->ssl, client->fd);
	SSL_free(client->ssl);
	SSL_CTX_free(client->ctx);
	if (client->fd >= 0)
		close(client->fd);
	free(client->buf);
	client->ssl = NULL;
	client->ctx = NULL;
	client->fd = -1;
	client->buf = NULL;
	client->len = 0;
}
