#include <errno.h>
#include <netdb.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power/agent/agent_connection.h"
#include "power/agent/agent_exec.h"
#include "power/agent/agent_response.h"
#include "power/agent/agent_server.h"
#include "power/agent/agent_tls_io.h"
#include "vmm/lib/clock.h"
#include "vmm/lib/tls_mutual.h"

#define NS_PER_S 1000000000ull

struct agent_connection {
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
	struct agent_ops *ops;
	atomic_uint *count;
	char who[AGENT_PEER_MAX];	/* address, and the certificate's CN once known */
	size_t len;			/* bytes in buf not yet part of a line answered */
	char buf[AGENT_REQUEST_MAX];
	struct agent_request req;
};

enum line_status { LINE_READ, LINE_TOO_LONG, LINE_CLOSED, LINE_IDLE, LINE_SLOW, LINE_BROKEN };

void agent_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sheer: agent: %s\n", line);
}

void agent_peer_name(const struct sockaddr_storage *peer, socklen_t len, char *out, size_t outlen)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";

	getnameinfo((const struct sockaddr *)peer, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(out, outlen, peer->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

struct agent_connection *agent_connection_new(int fd, const char *who, SSL_CTX *ctx, struct agent_ops *ops,
					      atomic_uint *count)
{
	struct agent_connection *conn = calloc(1, sizeof(*conn));

	if (!conn)
		return NULL;
	*conn = (struct agent_connection){ .fd = fd, .ctx = ctx, .ops = ops, .count = count };
	snprintf(conn->who, sizeof(conn->who), "%s", who);
	return conn;
}

void agent_connection_free(struct agent_connection *conn)
{
	if (!conn)
		return;
	SSL_free(conn->ssl);
	close(conn->fd);
	atomic_fetch_sub(conn->count, 1);
	free(conn);
}

/* Drop the first n bytes of buf: a line answered. */
static void conn_consume(struct agent_connection *conn, size_t n)
{
	memmove(conn->buf, conn->buf + n, conn->len - n);
	conn->len -= n;
}

/*
 * The next line into buf[0, *line_len) (its newline after it). A line past
 * AGENT_REQUEST_MAX is read to its end and dropped: LINE_TOO_LONG. The time
 * to wait runs from its first byte (AGENT_READ_TIMEOUT_S), or before that
 * from the last answer (AGENT_IDLE_TIMEOUT_S).
 */
static enum line_status conn_read_line(struct agent_connection *conn, size_t *line_len)
{
	uint64_t deadline = conn->len ? clock_monotonic_ns() + AGENT_READ_TIMEOUT_S * NS_PER_S : 0;
	bool too_long = false;

	for (;;) {
		char *newline = memchr(conn->buf, '\n', conn->len);
		uint64_t wait_until;
		int n;

		if (newline && too_long) {
			conn_consume(conn, (size_t)(newline - conn->buf) + 1);
			return LINE_TOO_LONG;
		}
		if (newline) {
			*line_len = (size_t)(newline - conn->buf);
			return LINE_READ;
		}
		if (conn->len == sizeof(conn->buf)) {
			too_long = true;
			conn->len = 0;
		}
		wait_until = deadline ? deadline : clock_monotonic_ns() + AGENT_IDLE_TIMEOUT_S * NS_PER_S;
		n = agent_tls_read(conn->ssl, conn->fd, conn->buf + conn->len, sizeof(conn->buf) - conn->len, wait_until,
				   NULL, 0);
		if (n == 0)
			return LINE_CLOSED;
		if (n == -ETIMEDOUT)
			return deadline ? LINE_SLOW : LINE_IDLE;
		if (n < 0)
			return LINE_BROKEN;
		if (!deadline)
			deadline = clock_monotonic_ns() + AGENT_READ_TIMEOUT_S * NS_PER_S;
		conn->len += (size_t)n;
	}
}

/* The answer as one line with its newline (malloc'd); one over AGENT_RESPONSE_MAX becomes an error. NULL: no memory. */
static char *answer_line(json_t *answer)
{
	char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL, *line;
	size_t len = text ? strlen(text) : 0;

	if (text && len + 1 >= AGENT_RESPONSE_MAX) {
		json_t *error = agent_response_error(json_string_value(json_object_get(answer, "op")), false,
						     "the answer is over %d bytes", AGENT_RESPONSE_MAX - 1);

		free(text);
		text = error ? json_dumps(error, JSON_COMPACT) : NULL;
		len = text ? strlen(text) : 0;
		json_decref(error);
	}
	line = text ? realloc(text, len + 2) : NULL;
	if (!line) {
		free(text);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

static int conn_send(struct agent_connection *conn, json_t *answer)
{
	static const char out_of_memory[] = "{\"ok\":false,\"error\":\"the agent is out of memory\"}\n";
	char *line = answer_line(answer);
	const char *send = line ? line : out_of_memory;
	int ret = agent_tls_write(conn->ssl, conn->fd, send, strlen(send), AGENT_SEND_TIMEOUT_S);

	free(line);
	return ret;
}

/* Whoever presented the certificate: its CN, for the log. */
static void conn_name_peer(struct agent_connection *conn)
{
	X509 *cert = SSL_get1_peer_certificate(conn->ssl);
	char cn[64] = "";

	if (cert)
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	X509_free(cert);
	agent_exec_clean(cn, false);
	if (cn[0])
		snprintf(conn->who + strlen(conn->who), sizeof(conn->who) - strlen(conn->who), " (%s)", cn);
}

/* What the log keeps of an op that changes something: who asked for what, and how it went. */
static void conn_log_change(const struct agent_connection *conn, json_t *answer)
{
	const char *op = agent_op_name(conn->req.op), *error = json_string_value(json_object_get(answer, "error"));

	if (conn->req.op == AGENT_PING || conn->req.op == AGENT_HOST || conn->req.op == AGENT_DEFINITION)
		return;
	if (json_is_true(json_object_get(answer, "ok")))
		agent_log("%s: %s %s: done", conn->who, op, conn->req.name);
	else
		agent_log("%s: %s %s: %s", conn->who, op, conn->req.name, error ? error : "failed");
}

static json_t *conn_answer(struct agent_connection *conn, size_t line_len)
{
	char err[512];
	json_t *answer;

	if (agent_request_parse(conn->buf, line_len, &conn->req, err, sizeof(err)) < 0) {
		agent_log("%s: refused a request: %s", conn->who, err);
		return agent_response_error(NULL, true, "bad request: %s", err);
	}
	answer = agent_ops_answer(conn->ops, &conn->req);
	conn_log_change(conn, answer);
	return answer;
}

static void conn_serve(struct agent_connection *conn)
{
	for (;;) {
		size_t line_len = 0;
		enum line_status status = conn_read_line(conn, &line_len);
		json_t *answer;

		if (status == LINE_SLOW)
			agent_log("%s: a request not whole within %d s; closed", conn->who, AGENT_READ_TIMEOUT_S);
		if (status != LINE_READ && status != LINE_TOO_LONG)
			return;
		if (status == LINE_TOO_LONG) {
			agent_log("%s: refused a request over %d bytes", conn->who, AGENT_REQUEST_MAX - 1);
			answer = agent_response_error(NULL, true, "bad request: longer than %d bytes", AGENT_REQUEST_MAX - 1);
		} else {
			answer = conn_answer(conn, line_len);
			conn_consume(conn, line_len + 1);
		}
		status = conn_send(conn, answer) < 0 ? LINE_BROKEN : LINE_READ;
		json_decref(answer);
		if (status == LINE_BROKEN)
			return;
	}
}

void *agent_connection_main(void *arg)
{
	struct agent_connection *conn = arg;
	char err[512];

	conn->ssl = tls_mutual_handshake(conn->ctx, conn->fd, true, AGENT_HANDSHAKE_TIMEOUT_S, err, sizeof(err));
	if (!conn->ssl) {
		agent_log("%s: refused at the handshake: %s", conn->who, err);
	} else {
		conn_name_peer(conn);
		conn_serve(conn);
		agent_tls_close(conn->ssl, conn->fd);
	}
	agent_connection_free(conn);
	return NULL;
}
