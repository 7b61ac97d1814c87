#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/lib/host_dirs.h"
#include "vmm/lib/parse.h"
#include "vmm/server/console_relay.h"

struct viewer {
	int fd;
	bool writer;
};

/* The relay process's whole state. */
struct relay_loop {
	const char *name;
	int output_fd;			/* read: what the supervisor and the VMM print */
	int input_fd;			/* write: the guest's serial input */
	int listen_fd;
	int log_fd;
	uint64_t log_bytes;
	const char *log_path;
	struct viewer viewers[CONSOLE_MAX_VIEWERS];
	unsigned int n_viewers;
	size_t ring_start, ring_len;
	uint8_t ring[CONSOLE_RING_SIZE];
};

int console_relay_socket_path(const char *run_dir, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s.console", run_dir, name);

	if (outlen > sizeof(((struct sockaddr_un *)0)->sun_path))
		outlen = sizeof(((struct sockaddr_un *)0)->sun_path);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int console_relay_log_path(const char *name, char *out, size_t outlen)
{
	char dir[PATH_MAX];
	int ret = log_dir_path(dir, sizeof(dir)), n;

	if (ret < 0)
		return ret;
	n = snprintf(out, outlen, "%s/%s.log", dir, name);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static void ring_put(struct relay_loop *loop, const uint8_t *data, size_t len)
{
	if (len >= CONSOLE_RING_SIZE) {
		data += len - CONSOLE_RING_SIZE;
		len = CONSOLE_RING_SIZE;
	}
	for (size_t i = 0; i < len; i++) {
		size_t end = (loop->ring_start + loop->ring_len) % CONSOLE_RING_SIZE;

		loop->ring[end] = data[i];
		if (loop->ring_len < CONSOLE_RING_SIZE)
			loop->ring_len++;
		else
			loop->ring_start = (loop->ring_start + 1) % CONSOLE_RING_SIZE;
	}
}

static int log_open(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
}

/* Past CONSOLE_LOG_MAX: NAME.log becomes NAME.log.1 (the one before goes) and a new NAME.log starts. */
static void log_append(struct relay_loop *loop, const uint8_t *data, size_t len)
{
	char older[PATH_MAX + 4];

	if (loop->log_bytes + len > CONSOLE_LOG_MAX) {
		snprintf(older, sizeof(older), "%s.1", loop->log_path);
		close(loop->log_fd);
		rename(loop->log_path, older);
		loop->log_fd = log_open(loop->log_path);
		loop->log_bytes = 0;
	}
	if (loop->log_fd >= 0 && write(loop->log_fd, data, len) == (ssize_t)len)
		loop->log_bytes += len;
}

/* Closed now, removed from the list by viewers_compact() once this poll round is over (its indexes hold till then). */
static void viewer_drop(struct relay_loop *loop, unsigned int i)
{
	if (loop->viewers[i].fd >= 0)
		close(loop->viewers[i].fd);
	loop->viewers[i].fd = -1;
	loop->viewers[i].writer = false;
}

static void viewers_compact(struct relay_loop *loop)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < loop->n_viewers; i++)
		if (loop->viewers[i].fd >= 0)
			loop->viewers[kept++] = loop->viewers[i];
	loop->n_viewers = kept;
}

/* A viewer's keys: the writer's reach the guest (what the pipe cannot take now is lost, as on a serial line). */
static bool viewer_keys(struct relay_loop *loop, unsigned int i, const uint8_t *keys, size_t len)
{
	return !loop->viewers[i].writer || write(loop->input_fd, keys, len) >= 0 || errno == EAGAIN;
}

/* All a viewer sent so far; one that closed or failed is dropped. */
static void relay_input(struct relay_loop *loop, unsigned int i)
{
	uint8_t buf[4096];

	while (loop->viewers[i].fd >= 0) {
		ssize_t n = recv(loop->viewers[i].fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || !viewer_keys(loop, i, buf, (size_t)n))
			viewer_drop(loop, i);
	}
}

/*
 * A viewer that cannot be sent to has gone: what it typed before it went
 * still reaches the guest (a script's "busy\n" and Ctrl-] while the guest
 * prints), then it is dropped.
 */
static void viewer_gone(struct relay_loop *loop, unsigned int i)
{
	relay_input(loop, i);
	viewer_drop(loop, i);
}

/* Live bytes to every viewer; one that cannot take them now misses them (a console must not stall the guest). */
static void viewers_send(struct relay_loop *loop, const uint8_t *data, size_t len)
{
	for (unsigned int i = 0; i < loop->n_viewers; i++) {
		ssize_t n = loop->viewers[i].fd < 0 ? 0 : send(loop->viewers[i].fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			viewer_gone(loop, i);
	}
}

/* 0: the output ended (the supervisor and the VMM are gone). */
static ssize_t relay_output(struct relay_loop *loop)
{
	uint8_t buf[16384];
	ssize_t n = read(loop->output_fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n > 0) {
		ring_put(loop, buf, (size_t)n);
		log_append(loop, buf, (size_t)n);
		viewers_send(loop, buf, (size_t)n);
	}
	return n;
}

static bool send_whole(int fd, const void *data, size_t len)
{
	return len == 0 || send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

/*
 * The header line, then what the ring holds, oldest first, as far as the
 * viewer takes it now: false only if not even the header went. A viewer
 * that left already (a script's keys and Ctrl-] right after the header) is
 * still read, so its keys reach the guest; one that takes the replay slowly
 * misses its end, as it would live output.
 */
static bool viewer_greet(struct relay_loop *loop, const struct viewer *viewer)
{
	size_t first = loop->ring_len;
	char header[128];

	if (loop->ring_start + first > CONSOLE_RING_SIZE)
		first = CONSOLE_RING_SIZE - loop->ring_start;
	snprintf(header, sizeof(header), "sheer-console %s %s\n", loop->name, viewer->writer ? "writer" : "reader");
	if (!send_whole(viewer->fd, header, strlen(header)))
		return false;
	if (send_whole(viewer->fd, loop->ring + loop->ring_start, first))
		send_whole(viewer->fd, loop->ring, loop->ring_len - first);
	return true;
}

static bool has_writer(const struct relay_loop *loop)
{
	for (unsigned int i = 0; i < loop->n_viewers; i++)
		if (loop->viewers[i].writer)
			return true;
	return false;
}

static void relay_accept(struct relay_loop *loop)
{
	const struct timeval timeout = { .tv_sec = CONSOLE_HELLO_TIMEOUT_MS / 1000,
					 .tv_usec = CONSOLE_HELLO_TIMEOUT_MS % 1000 * 1000 };
	struct viewer viewer = { accept4(loop->listen_fd, NULL, NULL, SOCK_CLOEXEC), false };
	int send_buffer = CONSOLE_RING_SIZE + 4096;
	char hello;

	if (viewer.fd < 0)
		return;
	/*
	 * Bounded: a viewer that says nothing costs the output at most the hello's
	 * wait; the greeting fits its send buffer whole (the relay may force that
	 * size), so a viewer that reads slowly never holds the relay up.
	 */
	setsockopt(viewer.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	if (setsockopt(viewer.fd, SOL_SOCKET, SO_SNDBUFFORCE, &send_buffer, sizeof(send_buffer)) < 0)
		setsockopt(viewer.fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));
	if (loop->n_viewers == CONSOLE_MAX_VIEWERS || recv(viewer.fd, &hello, 1, 0) != 1) {
		send_whole(viewer.fd, "sheer-console busy\n", 19);
		close(viewer.fd);
		return;
	}
	/*
	 * The keyboard goes to this viewer if nobody holds it: a viewer that already
	 * left (a script's, just before this one) is seen out first, its last keys
	 * passed on, or it would keep the keyboard from its successor.
	 */
	for (unsigned int i = 0; i < loop->n_viewers; i++)
		relay_input(loop, i);
	viewers_compact(loop);
	viewer.writer = hello == 'w' && !has_writer(loop);
	if (!viewer_greet(loop, &viewer)) {
		close(viewer.fd);
		return;
	}
	loop->viewers[loop->n_viewers++] = viewer;
}

static void relay_run(struct relay_loop *loop)
{
	struct pollfd fds[2 + CONSOLE_MAX_VIEWERS];

	for (;;) {
		unsigned int n_viewers = loop->n_viewers;

		fds[0] = (struct pollfd){ .fd = loop->output_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = loop->listen_fd, .events = POLLIN };
		for (unsigned int i = 0; i < n_viewers; i++)
			fds[2 + i] = (struct pollfd){ .fd = loop->viewers[i].fd, .events = POLLIN };
		if (poll(fds, 2 + n_viewers, -1) < 0 && errno != EINTR)
			return;
		if (fds[0].revents && relay_output(loop) == 0)
			return;
		for (unsigned int i = 0; i < n_viewers; i++)
			if (fds[2 + i].revents)
				relay_input(loop, i);
		viewers_compact(loop);
		if (fds[1].revents)
			relay_accept(loop);
	}
}

/* Every descriptor but keep's (n of them): what the supervisor held stays the supervisor's. */
static void close_all_but(const int *keep, size_t n)
{
	unsigned int from = 0;

	for (;;) {
		unsigned int next = ~0u;

		for (size_t i = 0; i < n; i++)
			if (keep[i] >= 0 && (unsigned int)keep[i] >= from && (unsigned int)keep[i] < next)
				next = (unsigned int)keep[i];
		if (next > from)
			close_range(from, next == ~0u ? ~0u : next - 1, 0);
		if (next == ~0u)
			return;
		from = next + 1;
	}
}

/* In the relay process: nothing of the caller's (its terminal included) is kept open here. */
static void relay_main(struct relay_loop *loop, const char *pending_path)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	sigset_t none;

	prctl(PR_SET_NAME, "sheer-console", 0, 0, 0);
	/* The supervisor blocked its stop signals for its signalfd: the relay answers SIGTERM as any process. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int fd = 0; fd < 3 && null_fd >= 0; fd++)
		dup2(null_fd, fd);
	close_all_but((int[]){ 0, 1, 2, loop->output_fd, loop->input_fd, loop->listen_fd, loop->log_fd }, 7);
	fcntl(loop->input_fd, F_SETFL, O_NONBLOCK);
	relay_run(loop);
	for (unsigned int i = 0; i < loop->n_viewers; i++)
		close(loop->viewers[i].fd);
	unlink(pending_path);
	_exit(0);
}

static int listen_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (copy_string(addr.sun_path, sizeof(addr.sun_path), path) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, CONSOLE_MAX_VIEWERS) < 0) {
		int ret = -errno;

		close(fd);
		unlink(path);
		return ret;
	}
	return fd;
}

int console_relay_log_open(const char *name, char *path, size_t pathlen, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int ret = console_relay_log_path(name, path, pathlen), fd;

	if (ret == 0)
		ret = log_dir_path(dir, sizeof(dir));
	if (ret == 0)
		ret = dir_make_parents(dir, 0750);
	fd = ret < 0 ? ret : log_open(path);
	if (fd < 0) {
		ret = ret < 0 ? ret : -errno;
		snprintf(err, errlen, "console log %.300s: %s", path, strerror(-ret));
	}
	return fd;
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int console_relay_spawn(struct console_relay *relay, const char *run_dir, const char *name, char *err,
			size_t errlen)
{
	struct relay_loop *loop;
	int output[2] = { -1, -1 }, input[2] = { -1, -1 }, log_fd, listen_fd;
	pid_t pid;

	if (console_relay_socket_path(run_dir, name, relay->socket_path, sizeof(relay->socket_path)) < 0 ||
	    (size_t)snprintf(relay->pending_path, sizeof(relay->pending_path), "%s.%d", relay->socket_path,
			     (int)getpid()) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "%s: console socket: the run directory's path is too long", name);
		return -ENAMETOOLONG;
	}
	log_fd = console_relay_log_open(name, relay->log_path, sizeof(relay->log_path), err, errlen);
	if (log_fd < 0)
		return log_fd;
	listen_fd = listen_at(relay->pending_path);
	if (listen_fd < 0 || pipe2(output, O_CLOEXEC) < 0 || pipe2(input, O_CLOEXEC) < 0) {
		int ret = listen_fd < 0 ? listen_fd : -errno;

		snprintf(err, errlen, "console of %s: %s", name, strerror(-ret));
		close_all((int[]){ log_fd, listen_fd, output[0], output[1], input[0], input[1] }, 6);
		unlink(relay->pending_path);
		return ret;
	}
	pid = fork();
	if (pid == 0) {
		close(output[1]);
		close(input[0]);
		loop = calloc(1, sizeof(*loop));
		if (!loop)
			_exit(1);
		*loop = (struct relay_loop){ .name = name, .output_fd = output[0], .input_fd = input[1],
					     .listen_fd = listen_fd, .log_fd = log_fd, .log_path = relay->log_path };
		loop->log_bytes = (uint64_t)lseek(log_fd, 0, SEEK_END);
		relay_main(loop, relay->pending_path);
	}
	close_all((int[]){ log_fd, listen_fd, output[0], input[1] }, 4);
	if (pid < 0) {
		int ret = -errno;

		close_all((int[]){ output[1], input[0] }, 2);
		unlink(relay->pending_path);
		snprintf(err, errlen, "console of %s: %s", name, strerror(-ret));
		return ret;
	}
	relay->pid = pid;
	/* From here on everything this process and the VMM print goes to the console's log and viewers. */
	dup2(input[0], STDIN_FILENO);
	dup2(output[1], STDOUT_FILENO);
	dup2(output[1], STDERR_FILENO);
	close_all((int[]){ output[1], input[0] }, 2);
	return 0;
}

int console_relay_publish(struct console_relay *relay)
{
	return rename(relay->pending_path, relay->socket_path) < 0 ? -errno : 0;
}
