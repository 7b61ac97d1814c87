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
	[CONTROL_DEVICE_ATTACH] = "device-attach",
	[CONTROL_DEVICE_DETACH] = "device-detach",
	[CONTROL_DEVICE_DETACH_CANCEL] = "device-detach-cancel",
};

static bool is_device_command(enum control_command command)
{
	return command == CONTROL_DEVICE_ATTACH || command == CONTROL_DEVICE_DETACH ||
	       command == CONTROL_DEVICE_DETACH_CANCEL;
}

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
	if (object && is_device_command(request->command))
		json_object_set_new(object, "pci", json_string(request->pci));
	if (object && request->command == CONTROL_DEVICE_ATTACH) {
		json_object_set_new(object, "group", json_integer(request->group));
		json_object_set_new(object, "failover", json_string(request->failover));
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

/* device-*: "pci" (a PCI address), and for attach "group" (an IOMMU group number); nothing else. */
static int parse_device_args(json_t *object, struct control_request *request, char *err, size_t errlen)
{
	bool attach = request->command == CONTROL_DEVICE_ATTACH;
	json_t *pci = json_object_get(object, "pci"), *failover = json_object_get(object, "failover");
	unsigned int group = 0;

	if (!json_is_string(pci) || json_object_size(object) != (attach ? 4U : 2U) ||
	    (attach && !get_limit(object, "group", 1 << 20, &group)) ||
	    (attach && (!json_is_string(failover) ||
			(json_string_value(failover)[0] &&
			 parse_interface_name(json_string_value(failover), request->failover,
					      sizeof(request->failover)) < 0))) ||
	    parse_pci_address(json_string_value(pci), request->pci, sizeof(request->pci)) < 0)
		return decode_fail(err, errlen,
				   attach ? "device-attach takes \"pci\" (a PCI address), \"group\" and \"failover\""
					  : "device-detach takes \"pci\" (a PCI address)");
	request->group = (int)group;
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
	else if (is_device_command(request->command))
		ret = parse_device_args(object, request, err, errlen);
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

/* Each NIC, and for a failover pair's standby the passed-through partner it has here (null: none). */
static json_t *control_nics_to_json(const struct control_status *status)
{
	json_t *nics = json_array();

	for (unsigned int i = 0; nics && i < status->n_nics; i++) {
		const struct control_nic *nic = &status->nics[i];

		json_array_append_new(nics, json_pack("{s:s, s:s, s:b, s:o}", "name", nic->name, "mac", nic->mac,
						      "standby", nic->standby, "primary",
						      nic->primary[0] ? json_string(nic->primary) : json_null()));
	}
	return nics;
}

/* Absent from servers started before NICs existed. */
static int control_nics_from_json(json_t *array, struct control_status *status)
{
	size_t i;
	json_t *entry;

	if (!array)
		return 0;
	if (!json_is_array(array) || json_array_size(array) > SERVER_MAX_NICS)
		return -EPROTO;
	json_array_foreach(array, i, entry) {
		struct control_nic *nic = &status->nics[i];
		json_t *name = json_object_get(entry, "name"), *mac = json_object_get(entry, "mac");
		json_t *standby = json_object_get(entry, "standby"), *primary = json_object_get(entry, "primary");

		if (!json_is_string(name) || !json_is_string(mac) || !json_is_boolean(standby) ||
		    !(json_is_null(primary) || json_is_string(primary)) ||
		    copy_string(nic->name, sizeof(nic->name), json_string_value(name)) < 0 ||
		    copy_string(nic->mac, sizeof(nic->mac), json_string_value(mac)) < 0 ||
		    (json_is_string(primary) &&
		     copy_string(nic->primary, sizeof(nic->primary), json_string_value(primary)) < 0))
			return -EPROTO;
		nic->standby = json_is_true(standby);
	}
	status->n_nics = (unsigned int)json_array_size(array);
	return 0;
}

/* Each vCPU's thread and its exits by kind. */
static json_t *control_vcpus_to_json(const struct control_status *status)
{
	json_t *vcpus = json_array();

	for (unsigned int i = 0; vcpus && i < status->cpus && i < SERVER_MAX_CPUS; i++) {
		json_t *exits = json_object();

		for (unsigned int k = 0; exits && k < VCPU_EXIT_KINDS; k++)
			json_object_set_new(exits, vcpu_exit_kind_name(k), json_integer((json_int_t)status->vcpus[i].exits[k]));
		json_array_append_new(vcpus, json_pack("{s:i, s:I, s:o}", "id", (int)i, "tid",
						       (json_int_t)status->vcpus[i].tid, "exits", exits));
	}
	return vcpus;
}

static json_t *control_outcomes_to_json(const struct control_outcomes *o)
{
	return json_pack("{s:I, s:I}", "ok", (json_int_t)o->ok, "failed", (json_int_t)o->failed);
}

/* The monitoring fields, which status replies gained later than the rest. */
static void control_monitoring_to_json(const struct control_status *status, json_t *object)
{
	json_object_set_new(object, "vcpus", control_vcpus_to_json(status));
	json_object_set_new(object, "console_dropped_bytes", json_integer((json_int_t)status->console_dropped_bytes));
	json_object_set_new(object, "checkpoints", control_outcomes_to_json(&status->checkpoints));
	json_object_set_new(object, "migrations", control_outcomes_to_json(&status->migrations));
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
	if (object) {
		json_object_set_new(object, "nics", control_nics_to_json(status));
		control_monitoring_to_json(status, object);
	}
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

static int control_vcpus_from_json(json_t *array, struct control_status *status)
{
	size_t i;
	json_t *entry;

	if (!json_is_array(array) || json_array_size(array) > SERVER_MAX_CPUS)
		return -EPROTO;
	json_array_foreach(array, i, entry) {
		json_t *exits = json_object_get(entry, "exits");
		uint64_t tid;

		if (!get_uint(entry, "tid", INT32_MAX, &tid) || !json_is_object(exits))
			return -EPROTO;
		status->vcpus[i].tid = (long long)tid;
		for (unsigned int k = 0; k < VCPU_EXIT_KINDS; k++)
			if (!get_uint(exits, vcpu_exit_kind_name(k), UINT64_MAX, &status->vcpus[i].exits[k]))
				return -EPROTO;
	}
	return 0;
}

static int control_outcomes_from_json(json_t *object, struct control_outcomes *o)
{
	return get_uint(object, "ok", UINT64_MAX, &o->ok) && get_uint(object, "failed", UINT64_MAX, &o->failed)
		       ? 0 : -EPROTO;
}

/* Absent from servers started before status had them: all or nothing. */
static int control_monitoring_from_json(json_t *object, struct control_status *status)
{
	json_t *vcpus = json_object_get(object, "vcpus");

	if (!vcpus)
		return 0;
	if (control_vcpus_from_json(vcpus, status) < 0 ||
	    !get_uint(object, "console_dropped_bytes", UINT64_MAX, &status->console_dropped_bytes) ||
	    control_outcomes_from_json(json_object_get(object, "checkpoints"), &status->checkpoints) < 0 ||
	    control_outcomes_from_json(json_object_get(object, "migrations"), &status->migrations) < 0)
		return -EPROTO;
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
	if (devices_from_json(json_object_get(object, "devices"), status) < 0 ||
	    control_nics_from_json(json_object_get(object, "nics"), status) < 0 ||
	    control_monitoring_from_json(object, status) < 0)
		return -EPROTO;
	/* A migrating server's progress: what an exporter shows of it. */
	if (json_object_get(object, "migration")) {
		if (control_migration_from_json(json_object_get(object, "migration"), &status->migration) < 0)
			return -EPROTO;
		status->migrating = true;
	}
	/* A device's failover pair is the NIC that names it as its partner. */
	for (unsigned int n = 0; n < status->n_nics; n++)
		for (unsigned int d = 0; d < status->n_devices; d++)
			if (strcmp(status->nics[n].primary, status->devices[d]) == 0)
				copy_string(status->device_failover[d], sizeof(status->device_failover[d]),
					    status->nics[n].name);
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

int (*control_command_action(const struct control_ops *ops, enum control_command command))(void *ctx)
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
	case CONTROL_DEVICE_ATTACH:
	case CONTROL_DEVICE_DETACH:
	case CONTROL_DEVICE_DETACH_CANCEL:
		break;
	}
	return NULL;
}

/* A refused pause or resume in the operator's words (the state that refused it), not an errno's name. */
static const char *action_refusal(enum control_command command, int ret)
{
	if (command == CONTROL_PAUSE && ret == -EALREADY)
		return "already paused";
	if (command == CONTROL_PAUSE && ret == -EINVAL)
		return "not running";
	if (command == CONTROL_RESUME && ret == -EINVAL)
		return "not paused";
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
	if (is_device_command(command))
		return ops->device ? ops->device(ctx, request) : error_reply("devices: not supported");
	if (command == CONTROL_STATUS) {
		memset(&status, 0, sizeof(status));
		ops->status(ctx, &status);
		return control_status_to_json(&status);
	}
	ret = control_command_action(ops, command)(ctx);
	if (ret == 0)
		return json_pack("{s:b}", "ok", 1);
	if (action_refusal(command, ret))
		return error_reply(action_refusal(command, ret));
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
