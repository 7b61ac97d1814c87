/*
 * Unit tests of the control socket's HTTP API: routing and body validation
 * (vmm/server/http_api.c), the Prometheus rendering (vmm/server/metrics.c),
 * and libmicrohttpd driven over a socketpair and on a real control socket
 * (vmm/server/control_http.c, control_server.c). No KVM: a fake ops table.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/lib/clock.h"
#include "vmm/server/control.h"
#include "vmm/server/control_http.h"
#include "vmm/server/http_api.h"
#include "vmm/server/metrics.h"

struct fake_vm {
	int shutdowns, poweroffs, paused, resumed;
	int fail_with;
};

static void fake_status(void *ctx, struct control_status *status)
{
	struct fake_vm *vm = ctx;

	strcpy(status->name, "web01");
	strcpy(status->state, vm->paused > vm->resumed ? "paused" : "running");
	status->pid = 4242;
	status->vmm_pid = 4243;
	status->cpus = 2;
	status->memory_bytes = 512 << 20;
	status->n_host_cpus = 2;
	status->host_cpu[0] = 2;
	status->host_cpu[1] = 4;
	status->numa_node = 0;
	status->vcpus[0] = (struct control_vcpu){ .tid = 4250, .exits = { 10, 20, 3, 0 } };
	status->vcpus[1] = (struct control_vcpu){ .tid = 4251, .exits = { 1, 2, 0, 0 } };
	status->dma_map_us = 1500000;
	status->checkpoints.ok = 2;
	status->migrations.failed = 1;
}

static void fake_config(void *ctx, struct server_config *cfg)
{
	(void)ctx;
	strcpy(cfg->name, "web01");
	cfg->cpus = 2;
	cfg->memory_bytes = 512 << 20;
	strcpy(cfg->kernel, "/images/vmlinuz");
	strcpy(cfg->cmdline, "console=ttyS0");
	cfg->numa_node = 0;
	cfg->n_nics = 1;
	strcpy(cfg->nics[0].name, "net0");
	strcpy(cfg->nics[0].bridge, "br0");
	strcpy(cfg->nics[0].tap, "sheer0");
	memcpy(cfg->nics[0].mac, (uint8_t[6]){ 0x02, 0x5e, 0, 0, 0x0a, 0x01 }, 6);
	cfg->n_devices = 1;
	strcpy(cfg->devices[0].pci, "0000:03:00.0");
}

static int fake_count(int *counter, struct fake_vm *vm)
{
	if (vm->fail_with)
		return vm->fail_with;
	(*counter)++;
	return 0;
}

static int fake_shutdown(void *ctx) { return fake_count(&((struct fake_vm *)ctx)->shutdowns, ctx); }
static int fake_poweroff(void *ctx) { return fake_count(&((struct fake_vm *)ctx)->poweroffs, ctx); }
static int fake_pause(void *ctx) { return fake_count(&((struct fake_vm *)ctx)->paused, ctx); }
static int fake_resume(void *ctx) { return fake_count(&((struct fake_vm *)ctx)->resumed, ctx); }

static const struct control_ops fake_ops = {
	.status = fake_status,
	.config = fake_config,
	.shutdown = fake_shutdown,
	.poweroff = fake_poweroff,
	.pause = fake_pause,
	.resume = fake_resume,
};

static struct http_reply reply;

static void handle(struct fake_vm *vm, const char *method, const char *path, const char *content_type,
		   const char *body)
{
	const struct http_request request = { method, path, content_type, body, strlen(body) };

	http_api_handle(&fake_ops, vm, &request, &reply);
}

static void assert_error(unsigned int status, const char *message)
{
	json_t *object = json_loadb(reply.body, reply.len, 0, NULL);

	ck_assert_uint_eq(reply.status, status);
	ck_assert_str_eq(reply.content_type, "application/json");
	ck_assert_ptr_nonnull(object);
	ck_assert_str_eq(json_string_value(json_object_get(object, "error")), message);
	json_decref(object);
	http_reply_free(&reply);
}

/* ---- routing ---- */

START_TEST(get_server_has_status_config_and_threads)
{
	struct fake_vm vm = { 0 };
	json_t *object, *config, *nic;

	handle(&vm, "GET", "/v1/server", NULL, "");
	ck_assert_uint_eq(reply.status, 200);
	object = json_loadb(reply.body, reply.len, 0, NULL);
	ck_assert_ptr_nonnull(object);
	ck_assert_ptr_null(json_object_get(object, "ok"));	/* the JSON protocol's envelope, not the API's */
	ck_assert_str_eq(json_string_value(json_object_get(object, "state")), "running");
	ck_assert_int_eq(json_integer_value(json_object_get(object, "vmm_pid")), 4243);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(object, "vcpus"), 1), "tid")),
			 4251);
	config = json_object_get(object, "config");
	ck_assert_str_eq(json_string_value(json_object_get(config, "kernel")), "/images/vmlinuz");
	ck_assert(json_is_null(json_object_get(config, "initrd")));
	ck_assert_str_eq(json_string_value(json_object_get(config, "cmdline")), "console=ttyS0");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(config, "devices"), 0), "pci")),
			 "0000:03:00.0");
	nic = json_array_get(json_object_get(config, "nics"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(nic, "mac")), "02:5e:00:00:0a:01");
	ck_assert_str_eq(json_string_value(json_object_get(nic, "bridge")), "br0");
	ck_assert_str_eq(json_string_value(json_object_get(nic, "tap")), "sheer0");
	json_decref(object);
	http_reply_free(&reply);
}
END_TEST

START_TEST(power_actions_map_to_the_commands)
{
	struct fake_vm vm = { 0 };

	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"pause\"}");
	ck_assert_uint_eq(reply.status, 204);
	ck_assert_ptr_null(reply.body);
	handle(&vm, "PUT", "/v1/server/power", "application/json; charset=utf-8", "{\"action\":\"resume\"}");
	handle(&vm, "PUT", "/v1/server/power", NULL, "{\"action\":\"shutdown\"}");
	handle(&vm, "PUT", "/v1/server/power", "application/json", " {\"action\" : \"off\"} ");
	ck_assert_uint_eq(reply.status, 204);
	ck_assert_int_eq(vm.paused, 1);
	ck_assert_int_eq(vm.resumed, 1);
	ck_assert_int_eq(vm.shutdowns, 1);
	ck_assert_int_eq(vm.poweroffs, 1);
}
END_TEST

START_TEST(power_bodies_are_validated)
{
	struct fake_vm vm = { 0 };
	const char *shape = "the body must be {\"action\": \"shutdown|off|pause|resume\"}";

	handle(&vm, "PUT", "/v1/server/power", "application/json", "");
	assert_error(400, shape);
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"pause\"");
	assert_error(400, shape);
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"pause\",\"now\":true}");
	assert_error(400, shape);
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"pause\",\"action\":\"off\"}");
	assert_error(400, shape);
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":7}");
	assert_error(400, shape);
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"reboot\"}");
	assert_error(400, "unknown action 'reboot': use shutdown, off, pause or resume");
	handle(&vm, "PUT", "/v1/server/power", "text/plain", "{\"action\":\"pause\"}");
	assert_error(415, "the body must be sent as Content-Type: application/json");
	ck_assert_int_eq(vm.paused + vm.resumed + vm.shutdowns + vm.poweroffs, 0);
}
END_TEST

START_TEST(power_refusals_are_conflicts)
{
	struct fake_vm vm = { .paused = 1, .fail_with = -EINVAL };

	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"pause\"}");
	assert_error(409, "pause: refused: the server is paused");
	vm.fail_with = -EBUSY;
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"off\"}");
	assert_error(409, "off: refused: the server is paused");
	vm.fail_with = -EIO;
	handle(&vm, "PUT", "/v1/server/power", "application/json", "{\"action\":\"resume\"}");
	assert_error(500, "resume: Input/output error");
}
END_TEST

START_TEST(unknown_paths_and_methods)
{
	struct fake_vm vm = { 0 };

	handle(&vm, "GET", "/v1/servers", NULL, "");
	assert_error(404, "/v1/servers: no such resource (see /v1/server, /v1/server/power, /v1/metrics)");
	handle(&vm, "GET", "/v1/server/", NULL, "");
	ck_assert_uint_eq(reply.status, 404);
	http_reply_free(&reply);
	handle(&vm, "DELETE", "/v1/server", NULL, "");
	ck_assert_str_eq(reply.allow, "GET, HEAD");
	assert_error(405, "DELETE /v1/server: method not allowed; use GET");
	handle(&vm, "GET", "/v1/server/power", NULL, "");
	ck_assert_str_eq(reply.allow, "PUT");
	assert_error(405, "GET /v1/server/power: method not allowed; use PUT");
	handle(&vm, "HEAD", "/v1/metrics", NULL, "");
	ck_assert_uint_eq(reply.status, 200);
	http_reply_free(&reply);
}
END_TEST

START_TEST(request_lines_are_checked)
{
	static const char *const good[] = { "GET / HTTP/1.1", "PUT /v1/server/power HTTP/1.0\r", "M-SEARCH * HTTP/1.1",
					    "GET /v1/metrics?x=1 HTTP/2.0" };
	static const char *const bad[] = { "", "GARBAGE", "GET", "GET /", "GET / HTTP/1.1 x", "GET  / HTTP/1.1",
					   "GET / HTTP/1", "GET / http/1.1", "GE(T / HTTP/1.1", "GET /a\tb HTTP/1.1",
					   "GET / HTTP/1.1\r\r" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(http_request_line_valid(good[i], strlen(good[i])), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!http_request_line_valid(bad[i], strlen(bad[i])), "%s", bad[i]);
}
END_TEST

/* ---- metrics ---- */

/*
 * Each line of the exposition format 0.0.4: a # HELP or # TYPE of a family
 * not seen before, or a sample of the family whose TYPE came last.
 */
static void assert_exposition(const char *text, unsigned int *samples)
{
	regex_t sample, help, type;
	char *copy = strdup(text), *save = NULL, family[128] = "", described[4096] = "|";
	regmatch_t m[2];

	ck_assert_int_eq(regcomp(&sample, "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
				 "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\")*\\})? "
				 "(-?[0-9.]+(e[-+]?[0-9]+)?|NaN|[-+]Inf)$", REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$", REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$",
				 REG_EXTENDED), 0);
	*samples = 0;
	ck_assert(text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], key[140];

		if (regexec(&help, line, 2, m, 0) == 0) {
			snprintf(name, sizeof(name), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
			snprintf(key, sizeof(key), "|%s|", name);
			ck_assert_msg(!strstr(described, key), "family %s described twice", name);
			strcat(described, key + 1);
		} else if (regexec(&type, line, 2, m, 0) == 0) {
			snprintf(family, sizeof(family), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
			ck_assert_msg(strstr(line, "counter") == NULL || strstr(family, "_total"), "%s", line);
		} else {
			ck_assert_msg(regexec(&sample, line, 2, m, 0) == 0, "not a sample line: %s", line);
			ck_assert_msg(strncmp(line, family, strlen(family)) == 0 && family[0] &&
				      (line[strlen(family)] == '{' || line[strlen(family)] == ' '),
				      "sample outside its family %s: %s", family, line);
			(*samples)++;
		}
	}
	regfree(&sample);
	regfree(&help);
	regfree(&type);
	free(copy);
}

/* Lines starting with prefix, or (anywhere) occurrences of it. */
static unsigned int count_in(const char *text, const char *prefix, bool anywhere)
{
	unsigned int n = 0;

	for (const char *p = text; (p = strstr(p, prefix)); p++)
		n += anywhere || p == text || p[-1] == '\n';
	return n;
}

static unsigned int count_lines(const char *text, const char *prefix)
{
	return count_in(text, prefix, false);
}

START_TEST(metrics_of_many_servers_share_each_family)
{
	struct server_metrics servers[3] = { 0 };
	struct control_status status = { 0 };
	struct fake_vm vm = { 0 };
	unsigned int samples;
	char *text;

	fake_status(&vm, &status);
	server_metrics_from_status(&servers[0], &status);
	/* What an exporter adds (schedstat); the other servers have no such samples. */
	servers[0].has_vcpu_seconds = true;
	servers[0].vcpu_seconds[1] = 1.5;
	strcpy(status.name, "db\"2");
	status.cpus = 1;
	status.migrating = true;
	status.migration = (struct control_migration){ .round = 3, .sent_bytes = 1 << 20, .throttle_pct = 20 };
	server_metrics_from_status(&servers[1], &status);
	strcpy(servers[2].name, "gone");	/* did not answer */

	text = metrics_render(servers, 3);
	ck_assert_ptr_nonnull(text);
	assert_exposition(text, &samples);
	ck_assert_uint_eq(count_lines(text, "# TYPE sheer_kvm_exits_total counter\n"), 1);
	ck_assert_uint_eq(count_lines(text, "# HELP sheer_up "), 1);
	ck_assert_ptr_nonnull(strstr(text, "sheer_up{server=\"web01\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_up{server=\"gone\"} 0\n"));
	ck_assert_uint_eq(count_in(text, "server=\"gone\"", true), 1);	/* only sheer_up: nothing made up */
	ck_assert_uint_eq(count_lines(text, "sheer_") + count_lines(text, "# "), samples + 2 * 20);
	ck_assert_ptr_nonnull(strstr(text, "sheer_vcpu_seconds_total{server=\"web01\",vcpu=\"1\"} 1.5\n"));
	ck_assert_uint_eq(count_lines(text, "sheer_vcpu_seconds_total{"), 2);
	ck_assert_ptr_nonnull(strstr(text, "sheer_kvm_exits_total{server=\"web01\",vcpu=\"1\",kind=\"mmio\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_kvm_exits_total{server=\"web01\",vcpu=\"0\",kind=\"intr\"} 3\n"));
	ck_assert_uint_eq(count_lines(text, "sheer_kvm_exits_total{server=\"db\\\"2\""), 4);	/* escaped, 1 vCPU */
	ck_assert_ptr_nonnull(strstr(text, "sheer_server_state{server=\"web01\",state=\"running\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_server_state{server=\"web01\",state=\"paused\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_dma_map_seconds{server=\"web01\"} 1.5\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_checkpoints_total{server=\"web01\",result=\"ok\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_migrations_total{server=\"web01\",result=\"failed\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_migration_round{server=\"db\\\"2\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_migration_throttle_ratio{server=\"db\\\"2\"} 0.2\n"));
	ck_assert_ptr_nonnull(strstr(text, "sheer_migration_round{server=\"web01\"} 0\n"));
	free(text);
}
END_TEST

START_TEST(metrics_status_survives_the_json_round_trip)
{
	struct control_status status = { 0 }, back;
	struct fake_vm vm = { 0 };
	json_t *object;

	fake_status(&vm, &status);
	status.migrating = true;
	status.migration.round = 4;
	object = control_status_to_json(&status);
	ck_assert_int_eq(control_status_from_json(object, &back), 0);
	ck_assert_int_eq(back.vcpus[1].tid, 4251);
	ck_assert_uint_eq(back.vcpus[0].exits[VCPU_EXIT_MMIO], 20);
	ck_assert_uint_eq(back.checkpoints.ok, 2);
	ck_assert_uint_eq(back.migrations.failed, 1);
	ck_assert(back.migrating);
	ck_assert_uint_eq(back.migration.round, 4);
	/* A server older than these fields still parses, with them zero. */
	json_object_del(object, "vcpus");
	ck_assert_int_eq(control_status_from_json(object, &back), 0);
	ck_assert_int_eq(back.vcpus[1].tid, 0);
	json_object_set_new(object, "vcpus", json_string("x"));
	ck_assert_int_eq(control_status_from_json(object, &back), -EPROTO);
	json_decref(object);
}
END_TEST

/* ---- libmicrohttpd over a socketpair ---- */

static struct control_http http;
static char answer[8192];

/* request into one end (then its end of file, unless trickle), served on the other; the whole answer back. */
static void exchange(struct fake_vm *vm, const char *request, size_t len, bool keep_open)
{
	int fds[2];
	size_t total = 0;
	ssize_t got;

	ck_assert_int_eq(control_http_start(&http, &fake_ops, vm), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	ck_assert_int_eq(send(fds[0], request, len, MSG_NOSIGNAL), (ssize_t)len);
	if (!keep_open)
		shutdown(fds[0], SHUT_WR);
	control_http_serve(&http, fds[1]);
	while ((got = recv(fds[0], answer + total, sizeof(answer) - 1 - total, MSG_DONTWAIT)) > 0)
		total += (size_t)got;
	answer[total] = '\0';
	close(fds[0]);
	control_http_stop(&http);
}

static void exchange_text(struct fake_vm *vm, const char *request)
{
	exchange(vm, request, strlen(request), false);
}

START_TEST(served_get_and_put)
{
	struct fake_vm vm = { 0 };

	exchange_text(&vm, "GET /v1/server HTTP/1.1\r\nHost: localhost\r\n\r\n");
	ck_assert_msg(strncmp(answer, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", answer);
	ck_assert_ptr_nonnull(strstr(answer, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(answer, "\"vmm_pid\":4243"));
	exchange_text(&vm, "PUT /v1/server/power HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			   "Content-Length: 18\r\n\r\n{\"action\":\"pause\"}");
	ck_assert_msg(strncmp(answer, "HTTP/1.1 204 No Content\r\n", 25) == 0, "%s", answer);
	ck_assert_int_eq(vm.paused, 1);
	/* A chunked body is gathered whole before it is judged. */
	exchange_text(&vm, "PUT /v1/server/power HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "a\r\n{\"action\":\r\n9\r\n\"resume\"}\r\n0\r\n\r\n");
	ck_assert_msg(strncmp(answer, "HTTP/1.1 204 ", 13) == 0, "%s", answer);
	ck_assert_int_eq(vm.resumed, 1);
	exchange_text(&vm, "GET /v1/metrics HTTP/1.0\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(answer, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(answer, "\r\n\r\n# HELP sheer_up "));
}
END_TEST

START_TEST(served_errors)
{
	static char big[HTTP_BODY_MAX + 4096];
	struct fake_vm vm = { 0 };
	int len;

	exchange_text(&vm, "GARBAGE\r\n\r\n");
	ck_assert_msg(strncmp(answer, "HTTP/1.1 400 Bad Request\r\n", 26) == 0, "%s", answer);
	ck_assert_ptr_nonnull(strstr(answer, "{\"error\":\"malformed request line: expected METHOD /PATH HTTP/1.1\"}"));
	exchange_text(&vm, "GET /v1/ser");	/* cut before the line's end */
	ck_assert_msg(strncmp(answer, "HTTP/1.1 400 ", 13) == 0, "%s", answer);
	exchange_text(&vm, "GET /v2 HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_msg(strncmp(answer, "HTTP/1.1 404 ", 13) == 0, "%s", answer);
	/* Refused on its declared length, before a byte of it is read. */
	exchange_text(&vm, "PUT /v1/server/power HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n"
			   "Expect: 100-continue\r\n\r\n");
	ck_assert_msg(strncmp(answer, "HTTP/1.1 413 ", 13) == 0, "%s", answer);
	ck_assert_ptr_null(strstr(answer, "100 Continue"));
	/* A chunked body tells its size only by coming: refused once past the limit. */
	len = snprintf(big, sizeof(big), "PUT /v1/server/power HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "%x\r\n", HTTP_BODY_MAX + 1);
	memset(big + len, ' ', HTTP_BODY_MAX + 1);
	len += HTTP_BODY_MAX + 1;
	len += snprintf(big + len, sizeof(big) - (size_t)len, "\r\n0\r\n\r\n");
	exchange(&vm, big, (size_t)len, false);
	ck_assert_msg(strncmp(answer, "HTTP/1.1 413 ", 13) == 0, "%s", answer);
	/* Headers past the connection's memory. */
	len = snprintf(big, sizeof(big), "GET /v1/server HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + len, 'a', CONTROL_HTTP_MEMORY_LIMIT);
	len += CONTROL_HTTP_MEMORY_LIMIT;
	len += snprintf(big + len, sizeof(big) - (size_t)len, "\r\n\r\n");
	exchange(&vm, big, (size_t)len, false);
	ck_assert_msg(strncmp(answer, "HTTP/1.1 431 ", 13) == 0, "%.200s", answer);
	ck_assert_int_eq(vm.paused + vm.resumed, 0);
}
END_TEST

START_TEST(served_connection_has_a_deadline)
{
	struct fake_vm vm = { 0 };
	uint64_t start = clock_monotonic_ns(), took;
	/* Headers that never end, on a connection that stays open. */
	const char *unfinished = "GET /v1/server HTTP/1.1\r\nHost: x\r\n";

	exchange(&vm, unfinished, strlen(unfinished), true);
	took = (clock_monotonic_ns() - start) / 1000000;
	ck_assert_str_eq(answer, "");
	ck_assert_uint_ge(took, CONTROL_HTTP_DEADLINE_MS - 100);
	ck_assert_uint_le(took, CONTROL_HTTP_DEADLINE_MS + 1500);
}
END_TEST

/* ---- one socket, both protocols ---- */

static void raw_exchange(const char *path, const char *request, char *out, size_t out_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t got, total = 0;

	strcpy(addr.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(send(fd, request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
	while ((got = read(fd, out + total, out_len - 1 - (size_t)total)) > 0)
		total += got;
	out[total] = '\0';
	close(fd);
}

START_TEST(control_socket_speaks_both)
{
	char dir[] = "/tmp/sheer-http-XXXXXX", path[64], err[256];
	struct control_server server;
	struct fake_vm vm = { 0 };
	json_t *reply;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web01.sock", dir);
	ck_assert_int_eq(control_server_start(&server, path, &fake_ops, &vm), 0);
	raw_exchange(path, "PUT /v1/server/power HTTP/1.1\r\nHost: x\r\nContent-Length: 18\r\n\r\n{\"action\":\"pause\"}",
		     answer, sizeof(answer));
	ck_assert_msg(strncmp(answer, "HTTP/1.1 204 ", 13) == 0, "%s", answer);
	/* The CLI's protocol, unchanged, on the same socket. */
	ck_assert_int_eq(control_call(path, CONTROL_STATUS, &reply, err, sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(reply, "state")), "paused");
	json_decref(reply);
	raw_exchange(path, "garbage\n", answer, sizeof(answer));
	ck_assert_str_eq(answer, "{\"ok\":false,\"error\":\"request is not JSON\"}\n");
	raw_exchange(path, "BAD\r\n\r\n", answer, sizeof(answer));
	ck_assert_msg(strncmp(answer, "HTTP/1.1 400 ", 13) == 0, "%s", answer);
	raw_exchange(path, "GET /v1/server HTTP/1.1\r\nHost: x\r\n\r\n", answer, sizeof(answer));
	ck_assert_ptr_nonnull(strstr(answer, "\"state\":\"paused\""));
	control_server_stop(&server);
	rmdir(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("http");
	TCase *routing = tcase_create("routing");
	TCase *metrics = tcase_create("metrics");
	TCase *served = tcase_create("served");

	tcase_add_test(routing, get_server_has_status_config_and_threads);
	tcase_add_test(routing, power_actions_map_to_the_commands);
	tcase_add_test(routing, power_bodies_are_validated);
	tcase_add_test(routing, power_refusals_are_conflicts);
	tcase_add_test(routing, unknown_paths_and_methods);
	tcase_add_test(routing, request_lines_are_checked);
	tcase_add_test(metrics, metrics_of_many_servers_share_each_family);
	tcase_add_test(metrics, metrics_status_survives_the_json_round_trip);
	tcase_set_timeout(served, 20);
	tcase_add_test(served, served_get_and_put);
	tcase_add_test(served, served_errors);
	tcase_add_test(served, served_connection_has_a_deadline);
	tcase_add_test(served, control_socket_speaks_both);
	suite_add_tcase(s, routing);
	suite_add_tcase(s, metrics);
	suite_add_tcase(s, served);
	return s;
}
