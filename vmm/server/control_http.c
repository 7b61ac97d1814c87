#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/lib/clock.h"
#include "vmm/server/control_connection.h"
#include "vmm/server/control_http.h"
#include "vmm/server/http_api.h"

/* How much of a request line sheer looks at before libmicrohttpd parses it; past that it refuses it (414). */
#define REQUEST_LINE_PEEK 4096

static long long ms_until(uint64_t deadline_ns)
{
	uint64_t now = clock_monotonic_ns();

	return now >= deadline_ns ? 0 : (long long)((deadline_ns - now) / 1000000) + 1;
}

/* One request's body as it comes in, never more than HTTP_BODY_MAX of it kept. */
struct http_body {
	char *data;
	size_t len;
	bool too_large;
};

static enum MHD_Result queue_reply(struct MHD_Connection *connection, struct http_reply *reply)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(reply->len, reply->body ? reply->body : "", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_NO;

	/* One request per connection, as the JSON protocol: the control thread serves one connection at a time. */
	if (response && MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES &&
	    (!reply->content_type ||
	     MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type) == MHD_YES) &&
	    (!reply->allow || MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply->allow) == MHD_YES))
		ret = MHD_queue_response(connection, reply->status, response);
	if (response)
		MHD_destroy_response(response);
	http_reply_free(reply);
	return ret;
}

static enum MHD_Result queue_error(struct MHD_Connection *connection, unsigned int status, const char *message)
{
	struct http_reply reply;

	http_reply_error(&reply, status, message);
	return queue_reply(connection, &reply);
}

/* A declared body over the limit is refused before it is read (and before curl's 100-continue). */
static bool declares_too_much(struct MHD_Connection *connection)
{
	const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return length && strtoull(length, NULL, 10) > HTTP_BODY_MAX;
}

static void keep_body(struct http_body *body, const char *data, size_t len)
{
	char *grown;

	if (body->too_large || len > HTTP_BODY_MAX - body->len) {
		body->too_large = true;	/* the rest is read and dropped: a chunked body says its size only at its end */
		return;
	}
	grown = realloc(body->data, body->len + len + 1);
	if (!grown) {
		body->too_large = true;
		return;
	}
	memcpy(grown + body->len, data, len);
	body->data = grown;
	body->len += len;
	body->data[body->len] = '\0';
}

/* libmicrohttpd calls this for the headers, then for each piece of the body, then once more at its end. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct control_http *http = cls;
	struct http_body *body = *con_cls;
	struct http_reply reply;
	struct http_request request;

	(void)version;
	if (!body) {
		*con_cls = body = calloc(1, sizeof(*body));
		if (!body)
			return MHD_NO;
		return declares_too_much(connection) ? queue_error(connection, 413, "request body over 64 KiB") : MHD_YES;
	}
	if (*upload_data_size) {
		keep_body(body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (body->too_large)
		return queue_error(connection, 413, "request body over 64 KiB");
	request = (struct http_request){
		.method = method,
		.path = url,
		.content_type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
		.body = body->data ? body->data : "",
		.len = body->len,
	};
	http_api_handle(http->ops, http->ctx, &request, &reply);
	return queue_reply(connection, &reply);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_body *body = *con_cls;

	(void)cls;
	(void)connection;
	(void)toe;
	if (body)
		free(body->data);
	free(body);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct control_http *http = cls;

	(void)connection;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		http->closed = true;
}

int control_http_start(struct control_http *http, const struct control_ops *ops, void *ctx)
{
	*http = (struct control_http){ .ops = ops, .ctx = ctx, .deadline_ms = CONTROL_HTTP_DEADLINE_MS };
	/* External polling through epoll (no FD_SETSIZE limit, unlike select; poll is for internal threads only). */
	http->daemon = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL, 0, NULL, NULL, on_request, http,
					MHD_OPTION_CONNECTION_LIMIT, 1u,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONTROL_HTTP_MEMORY_LIMIT,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(CONTROL_HTTP_DEADLINE_MS / 1000),
					MHD_OPTION_STRICT_FOR_CLIENT, 1,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
					MHD_OPTION_NOTIFY_CONNECTION, on_connection, http,
					MHD_OPTION_END);
	return http->daemon ? 0 : -ENOMEM;
}

/* 1: the request line came and is well formed, or is too long to judge here (libmicrohttpd refuses it); 0: not. */
static int peek_request_line(int fd, uint64_t deadline)
{
	char line[REQUEST_LINE_PEEK];
	ssize_t seen = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
		long long left = ms_until(deadline);
		ssize_t got;
		char *lf;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return -ETIMEDOUT;
		got = recv(fd, line, sizeof(line), MSG_PEEK);
		if (got < 0 && errno != EINTR)
			return -errno;
		lf = got > 0 ? memchr(line, '\n', (size_t)got) : NULL;
		if (lf)
			return http_request_line_valid(line, (size_t)(lf - line));
		if (got == (ssize_t)sizeof(line))
			return 1;
		if (got == 0 || (got == seen && (pfd.revents & (POLLRDHUP | POLLHUP))))
			return 0;	/* the client stopped sending before the line ended */
		/* Peeking consumes nothing, so poll says readable at once: wait a little for the rest instead. */
		if (got == seen)
			nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000000 }, NULL);
		seen = got > 0 ? got : seen;
	}
}

/* The 400 that libmicrohttpd 0.9.75 does not send, written before it ever sees the connection. */
static void reply_bad_request_line(int fd)
{
	struct http_reply reply;
	char head[192];
	int len;

	http_reply_error(&reply, 400, "malformed request line: expected METHOD /PATH HTTP/1.1");
	len = snprintf(head, sizeof(head), "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: %s\r\n"
		       "Content-Length: %zu\r\n\r\n", reply.content_type ? reply.content_type : "text/plain", reply.len);
	control_conn_write_all(fd, head, (size_t)len);
	if (reply.body)
		control_conn_write_all(fd, reply.body, reply.len);
	http_reply_free(&reply);
	/* A unix socket closed with bytes unread resets its peer, who might then miss the reply: read what is there. */
	for (int i = 0; i < 16 && recv(fd, head, sizeof(head), MSG_DONTWAIT) > 0; i++)
		;
}

void control_http_serve(struct control_http *http, int fd)
{
	const struct sockaddr_un peer = { .sun_family = AF_UNIX };
	uint64_t deadline = clock_monotonic_ns() + http->deadline_ms * 1000000ull;
	long long left;
	int line = peek_request_line(fd, deadline);

	if (line <= 0) {
		if (line == 0)
			reply_bad_request_line(fd);
		close(fd);
		return;
	}
	http->closed = false;
	if (MHD_add_connection(http->daemon, fd, (const struct sockaddr *)&peer, sizeof(peer)) != MHD_YES)
		return;	/* it closed fd */
	while (!http->closed && (left = ms_until(deadline)) > 0)
		MHD_run_wait(http->daemon, (int32_t)left);
	if (http->closed)
		return;
	/*
	 * Past the deadline: until libmicrohttpd closes it, fd is still this
	 * connection's. (A client that sent less body than it announced and
	 * half-closed ends here too: with epoll's edges libmicrohttpd does not
	 * see that end of file.)
	 */
	shutdown(fd, SHUT_RDWR);
	for (int i = 0; i < 10 && !http->closed; i++)
		MHD_run_wait(http->daemon, 100);
}

void control_http_stop(struct control_http *http)
{
	if (http->daemon)
		MHD_stop_daemon(http->daemon);
	http->daemon = NULL;
}
