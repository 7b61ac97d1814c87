/*
 * A local HTTP client on a server's control socket: its bytes are one
 * connection (the first byte picks whether the server's actions succeed or
 * are refused), written into one end of a socketpair and served on the
 * other by control_http_serve, as the control thread serves a connection
 * that starts with a capital letter: sheer's request-line check,
 * libmicrohttpd's parsing within its limits, the body gathering and the
 * routes (http_api.c) with fake ops. Checks: the answer is nothing or one
 * HTTP/1.1 status line with a 3-digit code; a JSON answer with an error code
 * is {"error": "..."}; a 2xx to a PUT really acted.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/server/control.h"
#include "vmm/server/control_http.h"

struct fake_server {
	int action_result;
	unsigned int actions;
};

static void fake_status(void *ctx, struct control_status *status)
{
	(void)ctx;
	memset(status, 0, sizeof(*status));
	strcpy(status->name, "fuzz");
	strcpy(status->state, "running");
	status->cpus = 2;
	status->n_host_cpus = 2;
	status->host_cpu[0] = status->host_cpu[1] = -1;
	status->vcpus[1].exits[VCPU_EXIT_IO] = 7;
}

static void fake_config(void *ctx, struct server_config *cfg)
{
	(void)ctx;
	strcpy(cfg->name, "fuzz");
	cfg->cpus = 2;
	strcpy(cfg->kernel, "/k");
}

static int fake_action(void *ctx)
{
	struct fake_server *server = ctx;

	server->actions += server->action_result == 0;
	return server->action_result;
}

static const struct control_ops fake_ops = {
	.status = fake_status, .config = fake_config, .shutdown = fake_action, .poweroff = fake_action,
	.pause = fake_action, .resume = fake_action,
};

/* Everything the server sent, NUL-terminated (at most size - 1 bytes). */
static size_t read_answer(int fd, char *answer, size_t size)
{
	size_t total = 0;
	ssize_t got;

	while (total < size - 1 && (got = recv(fd, answer + total, size - 1 - total, MSG_DONTWAIT)) > 0)
		total += (size_t)got;
	answer[total] = '\0';
	return total;
}

static void check_error_body(const char *answer)
{
	const char *body = strstr(answer, "\r\n\r\n");
	json_t *object;

	if (!strstr(answer, "Content-Type: application/json\r\n") || !body)
		return;
	object = json_loads(body + 4, 0, NULL);
	if (!json_is_string(json_object_get(object, "error")))
		abort();
	json_decref(object);
}

static void check_answer(const char *answer, size_t len, const struct fake_server *server, bool put)
{
	unsigned int status;

	if (len == 0)
		return;
	if (len < 13 || strncmp(answer, "HTTP/1.1 ", 9) != 0 || answer[12] != ' ' ||
	    answer[9] < '1' || answer[9] > '5' || answer[10] < '0' || answer[10] > '9' || answer[11] < '0' ||
	    answer[11] > '9')
		abort();
	status = (unsigned int)strtoul(answer + 9, NULL, 10);
	if (status >= 400)
		check_error_body(answer);
	if (put && status == 204 && server->actions != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char answer[256 * 1024];
	struct fake_server server = { 0 };
	struct control_http http;
	int pair[2];
	size_t got;

	if (len < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return 0;
	server.action_result = data[0] & 1 ? -EINVAL : data[0] & 2 ? -EIO : 0;
	if (len > 1 && send(pair[0], data + 1, len - 1, MSG_NOSIGNAL) < 0) {
		close(pair[0]);
		close(pair[1]);
		return 0;
	}
	shutdown(pair[0], SHUT_WR);
	if (control_http_start(&http, &fake_ops, &server) < 0)
		abort();
	/* Everything came at once: a connection libmicrohttpd still waits on after that never gets more. */
	http.deadline_ms = 20;
	control_http_serve(&http, pair[1]);
	control_http_stop(&http);
	got = read_answer(pair[0], answer, sizeof(answer));
	check_answer(answer, got, &server, len > 4 && memcmp(data + 1, "PUT ", 4) == 0);
	close(pair[0]);
	return 0;
}
