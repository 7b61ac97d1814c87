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
#include "vmm/lib/clock.h"

/* A client that connects and goes quiet must not stall the server for everyone else. */
#define CONTROL_CLIENT_TIMEOUT_S 2
/* Renaming a written checkpoint into place and syncing its directory. */
#define CONTROL_COMMIT_TIMEOUT_S 30

static void set_timeouts(int fd)
{
	struct timeval timeout = { .tv_sec = CONTROL_CLIENT_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

/* A descriptor passed with the request; any beyond the first is closed at once. */
static void take_passed_fds(struct msghdr *msg, int *file_fd)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (*file_fd < 0)
				*file_fd = fds[i];
			else
				close(fds[i]);
		}
	}
}

static ssize_t receive_some(int fd, char *buf, size_t size, int *file_fd)
{
	union {
		char space[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { buf, size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
			      .msg_controllen = sizeof(control.space) };
	ssize_t got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

	if (got >= 0)
		take_passed_fds(&msg, file_fd);
	return got < 0 ? -errno : got;
}

/*
 * Read until EOF or a newline (so `nc -U` works too); -E2BIG past the limit.
 * The whole request must come within CONTROL_CLIENT_TIMEOUT_S: a client that
 * trickles a byte now and then must not hold the server. A descriptor the
 * client passes (a checkpoint's file) lands in *file_fd.
 */
static ssize_t read_request(int fd, char *buf, size_t size, int *file_fd)
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
		got = receive_some(fd, buf + len, size - len, file_fd);
		if (got == -EINTR)
			continue;
		if (got < 0)
			return got;
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

/* The file is on disk: the client puts it in place and says "commit", within CONTROL_COMMIT_TIMEOUT_S. */
static int await_commit(void *ctx)
{
	static const char written[] = "{\"written\":true}\n", commit[] = "commit\n";
	int fd = *(int *)ctx, file_fd = -1;
	char answer[sizeof(commit)];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t got;

	write_all(fd, written, sizeof(written) - 1);
	if (poll(&pfd, 1, CONTROL_COMMIT_TIMEOUT_S * 1000) <= 0)
		return -ETIMEDOUT;
	got = receive_some(fd, answer, sizeof(answer) - 1, &file_fd);
	if (file_fd >= 0)
		close(file_fd);
	if (got != (ssize_t)sizeof(commit) - 1 || memcmp(answer, commit, sizeof(commit) - 1) != 0)
		return -ECONNABORTED;
	return 0;
}

static void serve_client(struct control_server *server, int fd)
{
	const struct control_channel channel = { send_progress, await_commit, &fd };
	char request[CONTROL_REQUEST_MAX];
	int file_fd = -1;
	ssize_t len;
	char *reply;

	set_timeouts(fd);
	len = read_request(fd, request, sizeof(request), &file_fd);
	sandbox_test_hook(server->sandbox, SANDBOX_CONTROL);
	if (len == -E2BIG)
		reply = strdup("{\"ok\":false,\"error\":\"request too large\"}");
	else if (len < 0)
		reply = NULL;
	else
		reply = control_handle_stream(server->ops, server->ctx, request, (size_t)len, file_fd, &channel);
	if (file_fd >= 0)
		close(file_fd);
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
	ret = sandbox_thread_start(sandbox, SANDBOX_CONTROL, &server->thread, control_server_loop, server, -1);
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
	/* Unlink before close: a client then sees "no such server", never a refused stale socket. */
	if (server->path[0])
		unlink(server->path);
	close(server->listen_fd);
	close(server->wake_fds[0]);
	close(server->wake_fds[1]);
}
