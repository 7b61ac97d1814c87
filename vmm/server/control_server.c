#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/server/control.h"
#include "vmm/server/control_connection.h"
#include "vmm/server/control_http.h"
#include "vmm/lib/parse.h"
#include "vmm/lib/clock.h"

static bool is_long_request(const char *request, size_t len)
{
	struct control_request parsed;
	char ignored[64];

	return control_request_parse(request, len, &parsed, ignored, sizeof(ignored)) == 0 &&
	       (parsed.command == CONTROL_CHECKPOINT || parsed.command == CONTROL_MIGRATE);
}

/* Short requests are answered here; a long one goes to the worker, which then owns the connection. */
static bool serve_json_client(struct control_server *server, int fd)
{
	int file_fd = -1, channel_fd = fd;
	const struct control_channel channel = control_conn_channel(&channel_fd);
	char request[CONTROL_REQUEST_MAX];
	ssize_t len;
	char *reply = NULL;

	len = control_conn_read_request(fd, request, sizeof(request), &file_fd);
	sandbox_test_hook(server->sandbox, SANDBOX_CONTROL);
	if (len >= 0 && is_long_request(request, (size_t)len)) {
		if (control_worker_take(&server->worker, fd, file_fd, request, (size_t)len))
			return true;
		reply = strdup("{\"ok\":false,\"error\":\"busy: a checkpoint or migration of this server is "
			       "running\",\"refused\":true}");
	} else if (len == -E2BIG) {
		reply = strdup("{\"ok\":false,\"error\":\"request too large\"}");
	} else if (len >= 0) {
		reply = control_handle_stream(server->ops, server->ctx, request, (size_t)len, file_fd, &channel);
	}
	if (file_fd >= 0)
		close(file_fd);
	control_conn_reply(fd, reply);
	return false;
}

/*
 * Every HTTP method (GET, PUT, ...) starts with a capital letter; the CLI's
 * requests are JSON objects ('{'). Anything else, and a connection that
 * sends nothing, stays on the JSON protocol, which answers it as before.
 */
static bool serve_client(struct control_server *server, int fd)
{
	int first;

	control_conn_set_timeouts(fd);
	first = control_conn_peek(fd);
	if (first == -ETIMEDOUT)
		return false;
	if (first < 'A' || first > 'Z')
		return serve_json_client(server, fd);
	control_http_serve(&server->http, fd);
	return true;
}

static void *control_server_loop(void *arg)
{
	struct control_server *server = arg;
	struct pollfd fds[2] = {
		{ .fd = server->listen_fd, .events = POLLIN },
		{ .fd = server->wake_fds[0], .events = POLLIN },
	};

	for (;;) {
		int client;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		client = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (client < 0)
			continue;
		if (!serve_client(server, client))
			close(client);
	}
	return NULL;
}

int control_listen(const char *path)
{
	struct sockaddr_un addr;
	mode_t old_umask;
	int fd = control_socket(path, &addr), ret;

	if (fd < 0)
		return fd;
	/* Owner-only from the moment the file exists, not after a window. */
	old_umask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret == 0 && listen(fd, 16) < 0) {
		unlink(path);
		ret = -1;
	}
	if (ret < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int control_server_start_on(struct control_server *server, int listen_fd, const struct control_ops *ops, void *ctx,
			    const struct sandbox *sandbox)
{
	int ret;

	memset(server, 0, sizeof(*server));
	server->ops = ops;
	server->ctx = ctx;
	server->sandbox = sandbox;
	server->listen_fd = listen_fd;
	if (pipe2(server->wake_fds, O_CLOEXEC) < 0)
		return -errno;
	ret = control_http_start(&server->http, ops, ctx);
	if (ret == 0)
		ret = control_worker_start(&server->worker, ops, ctx, sandbox);
	if (ret == 0) {
		ret = sandbox_thread_start(sandbox, SANDBOX_CONTROL, &server->thread, control_server_loop, server, -1);
		if (ret < 0)
			control_worker_stop(&server->worker);
	}
	if (ret < 0)
		control_http_stop(&server->http);
	if (ret < 0) {
		close(server->wake_fds[0]);
		close(server->wake_fds[1]);
	}
	return ret;
}

int control_server_start(struct control_server *server, const char *path, const struct control_ops *ops, void *ctx)
{
	int fd = control_listen(path), ret;

	if (fd < 0)
		return fd;
	ret = control_server_start_on(server, fd, ops, ctx, NULL);
	if (ret == 0)
		ret = copy_string(server->path, sizeof(server->path), path);
	if (ret < 0) {
		close(fd);
		unlink(path);
	}
	return ret;
}

void control_server_stop(struct control_server *server)
{
	ssize_t ignored = write(server->wake_fds[1], "x", 1);

	(void)ignored;
	pthread_join(server->thread, NULL);
	control_worker_stop(&server->worker);
	control_http_stop(&server->http);
	/* Unlink before close: a client then sees "no such server", never a refused stale socket. */
	if (server->path[0])
		unlink(server->path);
	close(server->listen_fd);
	close(server->wake_fds[0]);
	close(server->wake_fds[1]);
}
