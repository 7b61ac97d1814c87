/*
 * A local client on a server's control socket: the bytes of its request and
 * a descriptor passed with them, read as the control thread reads them and
 * answered through the request handler. Checks: every reply is one JSON
 * object with a boolean "ok"; a passed descriptor is handed to the request
 * or closed, never kept.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/server/control.h"
#include "vmm/server/control_connection.h"

struct fake_server {
	int action_result;
};

static void fake_status(void *ctx, struct control_status *status)
{
	(void)ctx;
	memset(status, 0, sizeof(*status));
	strcpy(status->name, "fuzz");
	strcpy(status->state, "running");
	status->cpus = 1;
	status->n_host_cpus = 1;
	status->host_cpu[0] = -1;
}

static int fake_action(void *ctx)
{
	return ((struct fake_server *)ctx)->action_result;
}

static json_t *fake_long(void *ctx, const struct control_request *request, const struct control_channel *channel)
{
	(void)ctx;
	(void)channel;
	return json_pack("{s:b, s:b}", "ok", request->file_fd >= 0, "refused", request->file_fd < 0);
}

static const struct control_ops fake_ops = {
	.status = fake_status, .shutdown = fake_action, .poweroff = fake_action, .pause = fake_action,
	.resume = fake_action, .checkpoint = fake_long, .migrate = fake_long,
};

static void send_request(int fd, const uint8_t *data, size_t len, bool with_fd)
{
	int passed = with_fd ? memfd_create("fuzz", MFD_CLOEXEC) : -1;

	if (len)
		control_send_with_fd(fd, (const char *)data, len, passed);
	if (passed >= 0)
		close(passed);
}

static void check_reply(const char *reply)
{
	json_t *object;

	if (!reply)
		return;
	object = json_loads(reply, 0, NULL);
	if (!json_is_object(object) || !json_is_boolean(json_object_get(object, "ok")))
		abort();
	json_decref(object);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fake_server server = { 0 };
	char request[CONTROL_REQUEST_MAX], *reply;
	int pair[2], file_fd = -1;
	ssize_t got;

	if (len < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return 0;
	server.action_result = data[0] & 2 ? -EINVAL : 0;
	send_request(pair[1], data + 1, len - 1, data[0] & 1);
	close(pair[1]);
	got = control_conn_read_request(pair[0], request, sizeof(request), &file_fd);
	reply = got >= 0 ? control_handle_stream(&fake_ops, &server, request, (size_t)got, file_fd, NULL) : NULL;
	check_reply(reply);
	free(reply);
	if (file_fd >= 0)
		close(file_fd);
	close(pair[0]);
	return 0;
}
