#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/server/control.h"
#include "vmm/lib/parse.h"

/* Long enough for a busy VMM, short enough that a hung one does not hang the operator. */
#define CONTROL_CALL_TIMEOUT_S 10

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

static int send_request(int fd, const struct control_request *req)
{
	char *request = control_request_format(req);
	size_t len = request ? strlen(request) : 0;
	int ret = 0;

	if (!request)
		return -ENOMEM;
	if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	free(request);
	if (ret == 0)
		shutdown(fd, SHUT_WR);
	return ret;
}

static ssize_t receive_reply(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t got = read(fd, buf + len, size - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return (ssize_t)len;
		len += (size_t)got;
	}
	return -E2BIG;
}

int control_call(const char *path, enum control_command command, json_t **reply, char *err, size_t errlen)
{
	struct control_request request = { .command = command };

	return control_call_request(path, &request, CONTROL_CALL_TIMEOUT_S, reply, err, errlen);
}

int control_call_request(const char *path, const struct control_request *request, int timeout_s, json_t **reply,
			 char *err, size_t errlen)
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
	len = ret < 0 ? ret : receive_reply(fd, buf, sizeof(buf));
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
