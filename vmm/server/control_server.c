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
#include "vmm/lib/parse.h"
#include "vmm/lib/thread.h"
#include "vmm/lib/clock.h"

/* A client that connects and goes quiet must not stall the server for everyone else. */
#define CONTROL_CLIENT_TIMEOUT_S 2

static void set_timeouts(int fd)
{
	struct timeval timeout = { .tv_sec = CONTROL_CLIENT_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

/*
 * Read until EOF or a newline (so `nc -U` works too); -E2BIG past the limit.
 * The whole request must come within CONTROL_CLIENT_TIMEOUT_S: a client that
 * trickles a byte now and then must not hold the server.
 */
static ssize_t read_request(int fd, char *buf, size_t size)
{
	long long deadline = (long long)(clock_monotonic_ns() / 1000000) + CONTROL_CLIENT_TIMEOUT_S * 1000LL;
	size_t len = 0;

	while (len < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - (long long)(clock_monotonic_ns() / 1000000);
		ssize_t got;
		char *newline;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return -ETIMEDOUT;
		got = read(fd, buf + len, size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		newline = memchr(buf + len, '\n', (size_t)got);
		if (newline)
			return newline - buf;
		if (got == 0)
			return (ssize_t)len;
		len += (size_t)got;
	}
	return -E2BIG;
}

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t put = send(fd, data, len, MSG_NOSIGNAL);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return;
		data += put;
		len -= (size_t)put;
	}
}

/* A progress line to the client; a client gone or slow only loses the line. */
static void send_progress(void *ctx, uint64_t done, uint64_t total)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "{\"progress\":{\"done\":%llu,\"total\":%llu}}\n",
			   (unsigned long long)done, (unsigned long long)total);

	send(*(int *)ctx, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void serve_client(struct control_server *server, int fd)
{
	const struct control_progress progress = { send_progress, &fd };
	char request[CONTROL_REQUEST_MAX];
	ssize_t len;
	char *reply;

	set_timeouts(fd);
	len = read_request(fd, request, sizeof(request));
	if (len == -E2BIG)
		reply = strdup("{\"ok\":false,\"error\":\"request too large\"}");
	else if (len < 0)
		return;
	else
		reply = control_handle_stream(server->ops, server->ctx, request, (size_t)len, &progress);
	if (!reply)
		return;
	write_all(fd, reply, strlen(reply));
	write_all(fd, "\n", 1);
	free(reply);
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
		serve_client(server, client);
		close(client);
	}
	return NULL;
}

static int listen_on(const char *path)
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

int control_server_start(struct control_server *server, const char *path, const struct control_ops *ops, void *ctx)
{
	int ret;

	memset(server, 0, sizeof(*server));
	server->ops = ops;
	server->ctx = ctx;
	ret = copy_string(server->path, sizeof(server->path), path);
	if (ret < 0)
		return ret;
	if (pipe2(server->wake_fds, O_CLOEXEC) < 0)
		return -errno;
	server->listen_fd = listen_on(path);
	if (server->listen_fd < 0) {
		ret = server->listen_fd;
		goto err_pipe;
	}
	ret = thread_start(&server->thread, control_server_loop, server, -1);
	if (ret < 0)
		goto err_listen;
	return 0;

err_listen:
	close(server->listen_fd);
	unlink(path);
err_pipe:
	close(server->wake_fds[0]);
	close(server->wake_fds[1]);
	return ret;
}

void control_server_stop(struct control_server *server)
{
	ssize_t ignored = write(server->wake_fds[1], "x", 1);

	(void)ignored;
	pthread_join(server->thread, NULL);
	/* Unlink before close: a client then sees "no such server", never a refused stale socket. */
	unlink(server->path);
	close(server->listen_fd);
	close(server->wake_fds[0]);
	close(server->wake_fds[1]);
}
