#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vmm/server/control.h"
#include "vmm/lib/parse.h"

static const char *const command_names[] = {
	[CONTROL_STATUS] = "status",
	[CONTROL_SHUTDOWN] = "shutdown",
	[CONTROL_POWEROFF] = "poweroff",
	[CONTROL_PAUSE] = "pause",
	[CONTROL_RESUME] = "resume",
	[CONTROL_CHECKPOINT] = "checkpoint",
	[CONTROL_MIGRATE] = "migrate",
};

#define N_COMMANDS (sizeof(command_names) / sizeof(command_names[0]))

const char *control_command_name(enum control_command command)
{
	return (size_t)command < N_COMMANDS ? command_names[command] : "?";
}

char *control_request_encode(enum control_command command)
{
	struct control_request request = { .command = command };

	return control_request_format(&request);
}

char *control_request_format(const struct control_request *request)
{
	json_t *object = json_pack("{s:s}", "command", control_command_name(request->command));
	char *text;

	if (object && request->command == CONTROL_MIGRATE) {
		json_object_set_new(object, "to", json_string(request->to));
		json_object_set_new(object, "downtime_ms", json_integer(request->downtime_ms));
		json_object_set_new(object, "bandwidth_mib", json_integer(request->bandwidth_mib));
		json_object_set_new(object, "timeout_s", json_integer(request->timeout_s));
		json_object_set_new(object, "progress", json_boolean(request->progress));
	}
	if (object && request->command == CONTROL_CHECKPOINT) {
		json_object_set_new(object, "path", json_string(request->path));
		json_object_set_new(object, "leave_running", json_boolean(request->leave_running));
		json_object_set_new(object, "progress", json_boolean(request->progress));
	}
	text = object ? json_dumps(object, JSON_COMPACT) : NULL;
	json_decref(object);
	return text;
}

static int decode_fail(char *err, size_t errlen, const char *reason)
{
	snprintf(err, errlen, "%s", reason);
	return -EINVAL;
}

int control_request_decode(const char *text, size_t len, enum control_command *command, char *err, size_t errlen)
{
	struct control_request request;
	int ret = control_request_parse(text, len, &request, err, errlen);

	if (ret == 0)
		*command = request.command;
	return ret;
}

static int command_by_name(const char *name, enum control_command *command)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(name, command_names[i]) == 0) {
			*command = (enum control_command)i;
			return 0;
		}
	return -EINVAL;
}

/* checkpoint: an absolute "path", optional booleans "leave_running" and "progress", nothing else. */
static int parse_checkpoint_args(json_t *object, struct control_request *request, char *err, size_t errlen)
{
	json_t *path = json_object_get(object, "path"), *leave = json_object_get(object, "leave_running");
	json_t *progress = json_object_get(object, "progress");
	size_t keys = 2 + (leave != NULL) + (progress != NULL);

	if (!json_is_string(path) || (leave && !json_is_boolean(leave)) || (progress && !json_is_boolean(progress)) ||
	    json_object_size(object) != keys)
		return decode_fail(err, errlen,
				   "checkpoint takes \"path\" and optionally \"leave_running\" and \"progress\"");
	if (json_string_value(path)[0] != '/' ||
	    copy_string(request->path, sizeof(request->path), json_string_value(path)) < 0)
		return decode_fail(err, errlen, "checkpoint path must be absolute and shorter than PATH_MAX");
	request->leave_running = json_is_true(leave);
	request->progress = json_is_true(progress);
	return 0;
}

static bool get_limit(json_t *object, const char *key, unsigned int max, unsigned int *value)
{
	json_t *field = json_object_get(object, key);

	if (!json_is_integer(field) || json_integer_value(field) < 0 || json_integer_value(field) > max)
		return false;
	*value = (unsigned int)json_integer_value(field);
	return true;
}

/* migrate: "to", "downtime_ms", "bandwidth_mib", "timeout_s", "progress"; all of them, nothing else. */
static int parse_migrate_args(json_t *object, struct control_request *request, char *err, size_t errlen)
{
	json_t *to = json_object_get(object, "to"), *progress = json_object_get(object, "progress");

	if (!json_is_string(to) || !json_is_boolean(progress) || json_object_size(object) != 6 ||
	    !get_limit(object, "downtime_ms", 3600 * 1000, &request->downtime_ms) ||
	    !get_limit(object, "bandwidth_mib", 1 << 20, &request->bandwidth_mib) ||
	    !get_limit(object, "timeout_s", 7 * 24 * 3600, &request->timeout_s) ||
	    copy_string(request->to, sizeof(request->to), json_string_value(to)) < 0)
		return decode_fail(err, errlen, "migrate takes \"to\", \"downtime_ms\", \"bandwidth_mib\", "
				   "\"timeout_s\" and \"progress\"");
	request->progress = json_is_true(progress);
	return 0;
}

int control_request_parse(const char *text, size_t len, struct control_request *request, char *err, size_t errlen)
{
	json_t *object = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *name = json_object_get(object, "command");
	int ret;

	memset(request, 0, sizeof(*request));
	request->file_fd = -1;
	if (!object)
		return decode_fail(err, errlen, "request is not JSON");
	if (!json_is_object(object) || !json_is_string(name)) {
		json_decref(object);
		return decode_fail(err, errlen, "request must be {\"command\": \"NAME\"}");
	}
	ret = command_by_name(json_string_value(name), &request->command);
	if (ret < 0)
		snprintf(err, errlen, "unknown command '%.32s'", json_string_value(name));
	else if (request->command == CONTROL_CHECKPOINT)
		ret = parse_checkpoint_args(object, request, err, errlen);
	else if (request->command == CONTROL_MIGRATE)
		ret = parse_migrate_args(object, request, err, errlen);
	else if (json_object_size(object) != 1)
		ret = decode_fail(err, errlen, "request must be {\"command\": \"NAME\"}");
	json_decref(object);
	return ret;
}

int control_socket(const char *path, struct sockaddr_un *addr)
{
	int fd;

	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (copy_string(addr->sun_path, sizeof(addr->sun_path), path) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

json_t *control_migration_to_json(const struct control_migration *m)
{
	return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:i}", "round", (int)m->round, "sent_bytes",
			 (json_int_t)m->sent_bytes, "ram_bytes", (json_int_t)m->ram_bytes, "dirty_bytes",
			 (json_int_t)m->dirty_bytes, "rate", (json_int_t)m->rate, "expected_downtime_ms",
			 (json_int_t)m->expected_downtime_ms, "throttle_pct", (int)m->throttle_pct);
}

static bool get_uint(json_t *object, const char *key, uint64_t max, uint64_t *value);

int control_migration_from_json(json_t *object, struct control_migration *m)
{
	uint64_t round, throttle;

	memset(m, 0, sizeof(*m));
	if (!get_uint(object, "round", 1u << 20, &round) || !get_uint(object, "sent_bytes", UINT64_MAX, &m->sent_bytes) ||
	    !get_uint(object, "ram_bytes", UINT64_MAX, &m->ram_bytes) ||
	    !get_uint(object, "dirty_bytes", UINT64_MAX, &m->dirty_bytes) ||
	    !get_uint(object, "rate", UINT64_MAX, &m->rate) ||
	    !get_uint(object, "expected_downtime_ms", UINT64_MAX, &m->expected_downtime_ms) ||
	    !get_uint(object, "throttle_pct", 100, &throttle))
		return -EPROTO;
	m->round = (unsigned int)round;
	m->throttle_pct = (unsigned int)throttle;
	return 0;
}

json_t *control_status_to_json(const struct control_status *status)
{
	json_t *cpus = json_array(), *devices = json_array(), *object;

	for (unsigned int i = 0; cpus && i < status->n_host_cpus; i++)
		json_array_append_new(cpus, json_integer(status->host_cpu[i]));
	for (unsigned int i = 0; devices && i < status->n_devices; i++)
		json_array_append_new(devices, json_string(status->devices[i]));
	object = json_pack("{s:b, s:s, s:s, s:I, s:I, s:i, s:I, s:I, s:i, s:o, s:o, s:I, s:I, s:I}",
			 "ok", 1, "name", status->name, "state", status->state, "pid", (json_int_t)status->pid,
			 "vmm_pid", (json_int_t)status->vmm_pid,
			 "cpus", (int)status->cpus, "memory", (json_int_t)status->memory_bytes,
			 "uptime_s", (json_int_t)status->uptime_s, "numa_node", status->numa_node,
			 "host_cpus", cpus, "devices", devices, "exits", (json_int_t)status->exits,
			 "unhandled_accesses", (json_int_t)status->unhandled_accesses,
			 "dma_map_us", (json_int_t)status->dma_map_us);
	if (object && status->migrating)
		json_object_set_new(object, "migration", control_migration_to_json(&status->migration));
	return object;
}

static bool get_uint(json_t *object, const char *key, uint64_t max, uint64_t *value)
{
	json_t *field = json_object_get(object, key);

	if (!json_is_integer(field) || json_integer_value(field) < 0 || (uint64_t)json_integer_value(field) > max)
		return false;
	*value = (uint64_t)json_integer_value(field);
	return true;
}

static int host_cpus_from_json(json_t *array, struct control_status *status)
{
	size_t i;
	json_t *cpu;

	if (!json_is_array(array) || json_array_size(array) > SERVER_MAX_CPUS)
		return -EPROTO;
	status->n_host_cpus = 0;
	json_array_foreach(array, i, cpu) {
		if (!json_is_integer(cpu) || json_integer_value(cpu) < -1 || json_integer_value(cpu) > INT32_MAX)
			return -EPROTO;
		status->host_cpu[status->n_host_cpus++] = (int)json_integer_value(cpu);
	}
	return 0;
}

/* Absent from servers started before status listed them. */
static int devices_from_json(json_t *array, struct control_status *status)
{
	size_t i;
	json_t *device;

	if (!array)
		return 0;
	if (!json_is_array(array) || json_array_size(array) > SERVER_MAX_DEVICES)
		return -EPROTO;
	json_array_foreach(array, i, device) {
		if (!json_is_string(device) ||
		    copy_string(status->devices[i], sizeof(status->devices[i]), json_string_value(device)) < 0)
			return -EPROTO;
	}
	status->n_devices = (unsigned int)json_array_size(array);
	return 0;
}

int control_status_from_json(json_t *object, struct control_status *status)
{
	json_t *name = json_object_get(object, "name"), *state = json_object_get(object, "state");
	json_t *node = json_object_get(object, "numa_node");
	uint64_t pid, vmm_pid = 0, cpus;

	memset(status, 0, sizeof(*status));
	if (!json_is_string(name) || !json_is_string(state) || !json_is_integer(node) ||
	    copy_string(status->name, sizeof(status->name), json_string_value(name)) < 0 ||
	    copy_string(status->state, sizeof(status->state), json_string_value(state)) < 0 ||
	    !get_uint(object, "pid", INT32_MAX, &pid) || !get_uint(object, "cpus", SERVER_MAX_CPUS, &cpus) ||
	    !get_uint(object, "memory", UINT64_MAX, &status->memory_bytes) ||
	    !get_uint(object, "uptime_s", UINT64_MAX, &status->uptime_s) ||
	    !get_uint(object, "exits", UINT64_MAX, &status->exits) ||
	    !get_uint(object, "unhandled_accesses", UINT64_MAX, &status->unhandled_accesses) ||
	    !get_uint(object, "dma_map_us", UINT64_MAX, &status->dma_map_us))
		return -EPROTO;
	/* Absent from servers started before the VMM had a process of its own. */
	if (json_object_get(object, "vmm_pid") && !get_uint(object, "vmm_pid", INT32_MAX, &vmm_pid))
		return -EPROTO;
	status->pid = (long long)pid;
	status->vmm_pid = (long long)vmm_pid;
	status->cpus = (unsigned int)cpus;
	status->numa_node = (int)json_integer_value(node);
	if (devices_from_json(json_object_get(object, "devices"), status) < 0)
		return -EPROTO;
	return host_cpus_from_json(json_object_get(object, "host_cpus"), status);
}

int control_reply_check(json_t *reply, char *err, size_t errlen)
{
	json_t *ok = json_object_get(reply, "ok");
	json_t *error = json_object_get(reply, "error");

	if (!json_is_boolean(ok)) {
		snprintf(err, errlen, "malformed reply from the server");
		return -EPROTO;
	}
	if (json_is_true(ok))
		return 0;
	snprintf(err, errlen, "%.200s", json_is_string(error) ? json_string_value(error) : "request refused");
	return -EREMOTEIO;
}

static json_t *error_reply(const char *message)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", message);
}

static int (*command_action(const struct control_ops *ops, enum control_command command))(void *)
{
	switch (command) {
	case CONTROL_SHUTDOWN:
		return ops->shutdown;
	case CONTROL_POWEROFF:
		return ops->poweroff;
	case CONTROL_PAUSE:
		return ops->pause;
	case CONTROL_RESUME:
		return ops->resume;
	case CONTROL_STATUS:
	case CONTROL_CHECKPOINT:
	case CONTROL_MIGRATE:
		break;
	}
	return NULL;
}

static json_t *run_command(const struct control_ops *ops, void *ctx, const struct control_request *request,
			   const struct control_channel *channel)
{
	enum control_command command = request->command;
	struct control_status status;
	char message[128];
	int ret;

	if (command == CONTROL_CHECKPOINT)
		return ops->checkpoint ? ops->checkpoint(ctx, request, channel) : error_reply("checkpoint: not supported");
	if (command == CONTROL_MIGRATE)
		return ops->migrate ? ops->migrate(ctx, request, channel) : error_reply("migrate: not supported");
	if (command == CONTROL_STATUS) {
		memset(&status, 0, sizeof(status));
		ops->status(ctx, &status);
		return control_status_to_json(&status);
	}
	ret = command_action(ops, command)(ctx);
	if (ret == 0)
		return json_pack("{s:b}", "ok", 1);
	snprintf(message, sizeof(message), "%s: %s", control_command_name(command), strerror(-ret));
	return error_reply(message);
}

char *control_handle(const struct control_ops *ops, void *ctx, const char *request, size_t len)
{
	return control_handle_stream(ops, ctx, request, len, -1, NULL);
}

char *control_handle_stream(const struct control_ops *ops, void *ctx, const char *request, size_t len, int file_fd,
			    const struct control_channel *channel)
{
	struct control_request parsed;
	char message[160];
	json_t *reply;
	char *text;

	if (control_request_parse(request, len, &parsed, message, sizeof(message)) < 0) {
		reply = error_reply(message);
	} else {
		parsed.file_fd = file_fd;
		reply = run_command(ops, ctx, &parsed, channel);
	}
	text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	return text;
}
