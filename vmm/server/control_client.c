#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/lib/clock.h"
#include "vmm/server/control.h"
#include "vmm/lib/parse.h"

/* Long enough for a busy VMM, short enough that a hung one does not hang the operator. */
#define CONTROL_CALL_TIMEOUT_S 10
#define CONTROL_STOP_POLL_MS 100

static int connect_to(const char *path, int timeout_s)
{
	struct sockaddr_un addr;
	struct timeval timeout = { .tv_sec = timeout_s };
	int fd = control_socket(path, &addr), ret;

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		close(fd);
		return ret == -ENOTSOCK ? -ECONNREFUSED : ret;
	}
	return fd;
}

int control_send_with_fd(int fd, const char *data, size_t len, int file_fd)
{
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (file_fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.space;
		msg.msg_controllen = sizeof(control.space);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &file_fd, sizeof(int));
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : (errno ? -errno : -EIO);
}

static int send_request(int fd, const struct control_request *req)
{
	char *request = control_request_format(req), *line;
	int ret;

	if (!request || asprintf(&line, "%s\n", request) < 0) {
		free(request);
		return -ENOMEM;
	}
	free(request);
	ret = control_send_with_fd(fd, line, strlen(line), req->file_fd);
	free(line);
	/* A request that passes a file may still have to say "commit"; the newline ends the request. */
	if (ret == 0 && req->file_fd < 0)
		shutdown(fd, SHUT_WR);
	return ret;
}

/* {"written":true}: the client puts the file in place and commits, or stays silent so the server resumes. */
static void answer_written(int fd, const struct control_progress *progress)
{
	if (progress && progress->written && progress->written(progress->ctx) == 0)
		send(fd, "commit\n", 7, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
}

static void take_migration_line(json_t *object, const struct control_progress *progress)
{
	struct control_migration m;

	if (progress && progress->migration && control_migration_from_json(object, &m) == 0)
		progress->migration(progress->ctx, &m);
}

/* A complete line {"progress":{...}} or {"written":true} is handled and taken out of buf; returns the bytes consumed. */
static size_t take_stream_line(int fd, char *buf, size_t len, const struct control_progress *progress)
{
	char *newline = memchr(buf, '\n', len);
	json_t *line, *p;

	if (!newline)
		return 0;
	line = json_loadb(buf, (size_t)(newline - buf), 0, NULL);
	p = json_object_get(line, "progress");
	/* The reply is the line with "ok"; a migrating server's status also carries a "migration" object. */
	if (!json_is_object(line) || json_object_get(line, "ok")) {
		json_decref(line);
		return 0;
	}
	if (json_is_true(json_object_get(line, "written"))) {
		answer_written(fd, progress);
	} else if (json_is_object(json_object_get(line, "migration"))) {
		take_migration_line(json_object_get(line, "migration"), progress);
	} else if (json_is_object(p) && progress) {
		progress->update(progress->ctx, (uint64_t)json_integer_value(json_object_get(p, "done")),
				 (uint64_t)json_integer_value(json_object_get(p, "total")));
	} else {
		json_decref(line);
		return 0;
	}
	json_decref(line);
	return (size_t)(newline - buf) + 1;
}

/* Everything until the server closes, stream lines handled as they come; the rest is the reply. */
static ssize_t receive_reply(int fd, char *buf, size_t size, const struct control_progress *progress)
{
	size_t len = 0, taken;

	while (len < size) {
		ssize_t got = read(fd, buf + len, size - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return (ssize_t)len;
		len += (size_t)got;
		while ((taken = take_stream_line(fd, buf, len, progress)) > 0) {
			memmove(buf, buf + taken, len - taken);
			len -= taken;
		}
	}
	return -E2BIG;
}

int control_call(const char *path, enum control_command command, json_t **reply, char *err, size_t errlen)
{
	struct control_request request = { .command = command, .file_fd = -1 };

	return control_call_request(path, &request, CONTROL_CALL_TIMEOUT_S, NULL, reply, err, errlen);
}

int control_call_request(const char *path, const struct control_request *request, int timeout_s,
			 const struct control_progress *progress, json_t **reply, char *err, size_t errlen)
{
	enum control_command command = request->command;
	char buf[CONTROL_REPLY_MAX];
	ssize_t len;
	int fd, ret;

	*reply = NULL;
	fd = connect_to(path, timeout_s);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-fd));
		return fd;
	}
	ret = send_request(fd, request);
	len = ret < 0 ? ret : receive_reply(fd, buf, sizeof(buf), progress);
	close(fd);
	if (len < 0) {
		snprintf(err, errlen, "%s: %s", control_command_name(command),
			 len == -EAGAIN ? "no reply from the server" : strerror((int)-len));
		return (int)len;
	}
	*reply = json_loadb(buf, (size_t)len, 0, NULL);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		snprintf(err, errlen, "%s: malformed reply from the server", control_command_name(command));
		return -EPROTO;
	}
	return 0;
}

/* The socket goes first; the server has stopped only when its supervisor (which gives the devices back) is gone too. */
bool control_server_stopped(const char *path, long long pid)
{
	json_t *reply = NULL;
	char err[256];
	int ret = control_call(path, CONTROL_STATUS, &reply, err, sizeof(err));

	json_decref(reply);
	if (ret != -ENOENT && ret != -ECONNREFUSED)
		return false;
	return pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

bool control_wait_stopped(const char *path, long long pid, unsigned int timeout_s)
{
	for (unsigned int waited_ms = 0; !control_server_stopped(path, pid); waited_ms += CONTROL_STOP_POLL_MS) {
		if (waited_ms >= timeout_s * 1000u)
			return false;
		clock_sleep_ms(CONTROL_STOP_POLL_MS);
	}
	return true;
}
