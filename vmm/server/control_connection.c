/*
 * One client connection of the control socket: reading its request (and a
 * descriptor passed with it), and the channel a long request streams
 * through (progress lines, the checkpoint's commit). Used by the control
 * thread and by the worker that runs long requests.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/lib/clock.h"
#include "vmm/server/control_connection.h"

/* A client that connects and goes quiet must not stall the server for everyone else. */
#define CONTROL_CLIENT_TIMEOUT_S 2
/* Renaming a written checkpoint into place and syncing its directory. */
#define CONTROL_COMMIT_TIMEOUT_S 30

void control_conn_set_timeouts(int fd)
{
	struct timeval timeout = { .tv_sec = CONTROL_CLIENT_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

int control_conn_peek(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char first;
	ssize_t got;
	int ready;

	do
		ready = poll(&pfd, 1, CONTROL_CLIENT_TIMEOUT_S * 1000);
	while (ready < 0 && errno == EINTR);
	if (ready <= 0)
		return ready == 0 ? -ETIMEDOUT : -errno;
	/* Peeking leaves a passed descriptor with its byte for the real read. */
	got = recv(fd, &first, 1, MSG_PEEK);
	if (got < 0)
		return -errno;
	return got == 0 ? -ENODATA : first;
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
ssize_t control_conn_read_request(int fd, char *buf, size_t size, int *file_fd)
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

void control_conn_write_all(int fd, const char *data, size_t len)
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

	control_conn_write_all(fd, written, sizeof(written) - 1);
	if (poll(&pfd, 1, CONTROL_COMMIT_TIMEOUT_S * 1000) <= 0)
		return -ETIMEDOUT;
	got = receive_some(fd, answer, sizeof(answer) - 1, &file_fd);
	if (file_fd >= 0)
		close(file_fd);
	if (got != (ssize_t)sizeof(commit) - 1 || memcmp(answer, commit, sizeof(commit) - 1) != 0)
		return -ECONNABORTED;
	return 0;
}


static void send_migration(void *ctx, const struct control_migration *m)
{
	json_t *line = json_pack("{s:o}", "migration", control_migration_to_json(m));
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;

	if (text) {
		size_t len = strlen(text);

		text[len] = '\n';	/* json_dumps' terminator becomes the line's end */
		send(*(int *)ctx, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	free(text);
	json_decref(line);
}

struct control_channel control_conn_channel(int *fd)
{
	return (struct control_channel){ send_progress, await_commit, send_migration, fd };
}

void control_conn_reply(int fd, char *reply)
{
	if (!reply)
		return;
	control_conn_write_all(fd, reply, strlen(reply));
	control_conn_write_all(fd, "\n", 1);
	free(reply);
}
