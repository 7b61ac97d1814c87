#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "power/agent/agent_request.h"
#include "vmm/lib/ini.h"
#include "vmm/server/spec.h"

/* How a field's value is checked and where it goes in struct agent_request. */
enum field_kind { FIELD_NAME, FIELD_TEXT, FIELD_BOOL, FIELD_UINT, FIELD_HOST };

struct field {
	const char *key;
	enum field_kind kind;
	size_t offset;
	unsigned int min, max;	/* FIELD_UINT */
};

#define FIELD(key, kind, member, min, max) { key, kind, offsetof(struct agent_request, member), min, max }

static const struct field fields[] = {
	FIELD("name", FIELD_NAME, name, 0, 0),
	FIELD("text", FIELD_TEXT, text, 0, 0),
	FIELD("replace", FIELD_BOOL, replace, 0, 0),
	FIELD("force", FIELD_BOOL, force, 0, 0),
	FIELD("timeout", FIELD_UINT, timeout_s, 0, AGENT_STOP_TIMEOUT_MAX_S),
	FIELD("port", FIELD_UINT, port, 1, 65535),
	FIELD("shared_cores", FIELD_BOOL, shared_cores, 0, 0),
	FIELD("to", FIELD_HOST, to, 0, 0),
	FIELD("deadline", FIELD_UINT, deadline_s, 1, AGENT_MIGRATE_DEADLINE_MAX_S),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define BIT(i) (1u << (i))
enum { F_NAME = BIT(0), F_TEXT = BIT(1), F_REPLACE = BIT(2), F_FORCE = BIT(3), F_TIMEOUT = BIT(4), F_PORT = BIT(5),
       F_SHARED_CORES = BIT(6), F_TO = BIT(7), F_DEADLINE = BIT(8) };

/*
 * What each op takes, and how long the agent may take to answer it: its
 * own seconds, plus the request's stop timeout or migration deadline, which
 * bound the command it runs.
 */
static const struct op_spec {
	const char *name;
	unsigned int required, optional;
	unsigned int answer_s;
} ops[AGENT_OPS] = {
	[AGENT_PING] = { "ping", 0, 0, 5 },
	[AGENT_HOST] = { "host", 0, 0, 60 },
	[AGENT_DEFINITION] = { "definition", F_NAME, 0, 5 },
	[AGENT_DEFINE] = { "define", F_NAME | F_TEXT, F_REPLACE, 30 },
	[AGENT_START] = { "start", F_NAME, 0, 300 },
	[AGENT_STOP] = { "stop", F_NAME, F_FORCE | F_TIMEOUT, 30 },
	[AGENT_RECEIVE] = { "receive", F_NAME | F_PORT, F_SHARED_CORES, 30 },
	[AGENT_MIGRATE] = { "migrate", F_NAME | F_TO | F_PORT, F_DEADLINE, 60 },
	[AGENT_UNDEFINE] = { "undefine", F_NAME, 0, 30 },
};

const char *agent_op_name(enum agent_op op)
{
	return (unsigned int)op < AGENT_OPS ? ops[op].name : NULL;
}

const char *agent_op_list(void)
{
	return "ping, host, definition, define, start, stop, receive, migrate, undefine";
}

static int op_find(const char *name)
{
	for (unsigned int i = 0; i < AGENT_OPS; i++)
		if (strcmp(ops[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int field_find(const char *key)
{
	for (unsigned int i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* A string value with no NUL inside and at most max bytes. */
static const char *field_string(json_t *value, size_t max)
{
	const char *text = json_string_value(value);

	return text && strlen(text) == json_string_length(value) && json_string_length(value) <= max ? text : NULL;
}

static int field_parse(const struct field *f, json_t *value, struct agent_request *req, char *err, size_t errlen)
{
	char *at = (char *)req + f->offset;
	const char *text;
	json_int_t number;

	switch (f->kind) {
	case FIELD_NAME:
		text = field_string(value, SERVER_NAME_MAX - 1);
		if (!text || !server_name_is_valid(text))
			return snprintf(err, errlen, "name: not a server name (letters, digits, '-', '_', '.', starting "
				       "with a letter or digit, at most %d)", SERVER_NAME_MAX - 1), -EINVAL;
		memcpy(at, text, strlen(text) + 1);
		return 0;
	case FIELD_TEXT:
		text = field_string(value, AGENT_DEFINITION_MAX);
		if (!text)
			return snprintf(err, errlen, "text: a string of at most %d bytes without NUL",
					AGENT_DEFINITION_MAX), -EINVAL;
		memcpy(at, text, strlen(text) + 1);
		return 0;
	case FIELD_BOOL:
		if (!json_is_boolean(value))
			return snprintf(err, errlen, "%s: true or false", f->key), -EINVAL;
		*(bool *)at = json_is_true(value);
		return 0;
	case FIELD_UINT:
		number = json_integer_value(value);
		if (!json_is_integer(value) || number < f->min || number > f->max)
			return snprintf(err, errlen, "%s: a whole number from %u to %u", f->key, f->min, f->max), -EINVAL;
		*(unsigned int *)at = (unsigned int)number;
		return 0;
	case FIELD_HOST:
		text = field_string(value, AGENT_HOST_MAX);
		if (!text || !net_host_is_valid(text))
			return snprintf(err, errlen, "%s: a host name or a numeric IPv4 or IPv6 address", f->key), -EINVAL;
		memcpy(at, text, strlen(text) + 1);
		return 0;
	}
	return -EINVAL;
}

/* What the define check gathers from the profile's text. */
struct define_scan {
	enum spec_section section;
	bool known_section;
	char name[SERVER_NAME_MAX];
	bool named;
};

static int scan_section(void *ctx, const char *name, unsigned int line_no, struct ini_error *e)
{
	struct define_scan *scan = ctx;

	(void)line_no, (void)e;
	scan->known_section = name && (strcmp(name, "server") == 0 || strcmp(name, "device") == 0 ||
				       strcmp(name, "nic") == 0);
	if (scan->known_section)
		scan->section = name[0] == 's' ? SPEC_SECTION_SERVER : name[0] == 'd' ? SPEC_SECTION_DEVICE
										      : SPEC_SECTION_NIC;
	return 0;
}

static int scan_key(void *ctx, const char *key, const char *value, struct ini_error *e)
{
	struct define_scan *scan = ctx;

	if (!scan->known_section)
		return 0;
	if (scan->section == SPEC_SECTION_SERVER && strcmp(key, "name") == 0) {
		snprintf(scan->name, sizeof(scan->name), "%s", value);
		scan->named = strlen(value) < sizeof(scan->name);
	}
	/* The copy `sheer define` reads lies in a folder of the agent's: a relative path would point into it. */
	if (spec_key_is_path(scan->section, key) && value[0] != '/') {
		snprintf(e->reason, sizeof(e->reason), "%s = %.100s: a relative path; give it whole (from /)", key, value);
		return -EINVAL;
	}
	return 0;
}

/* The profile names the server the request names, and every file by its whole path. */
static int define_check(const struct agent_request *req, char *err, size_t errlen)
{
	struct define_scan scan = { 0 };
	const struct ini_handler handler = { scan_section, scan_key, "server", &scan };
	FILE *file = req->text[0] ? fmemopen((void *)req->text, strlen(req->text), "r") : NULL;
	int ret = 0;

	if (file) {
		ret = ini_read(file, "text", &handler, err, errlen);
		fclose(file);
	}
	if (ret < 0)
		return -EINVAL;
	if (!scan.named || strcmp(scan.name, req->name) != 0)
		return snprintf(err, errlen, "text: its [server] name is not '%s'", req->name), -EINVAL;
	return 0;
}

/* Defaults of the optional fields, before the request's own. */
static void request_defaults(struct agent_request *req, enum agent_op op)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->timeout_s = AGENT_STOP_TIMEOUT_DEFAULT_S;
	req->deadline_s = AGENT_MIGRATE_DEADLINE_DEFAULT_S;
}

static int request_fields(json_t *object, struct agent_request *req, char *err, size_t errlen)
{
	const struct op_spec *spec = &ops[req->op];
	unsigned int seen = 0;
	const char *key;
	json_t *value;
	int ret;

	json_object_foreach(object, key, value) {
		int i = strcmp(key, "op") == 0 ? -2 : field_find(key);

		if (i == -2)
			continue;
		if (i < 0 || !((spec->required | spec->optional) & BIT(i)))
			return snprintf(err, errlen, "%s takes no field '%.64s'", spec->name, key), -EINVAL;
		ret = field_parse(&fields[i], value, req, err, errlen);
		if (ret < 0)
			return ret;
		seen |= BIT(i);
	}
	for (unsigned int i = 0; i < NFIELDS; i++)
		if ((spec->required & BIT(i)) && !(seen & BIT(i)))
			return snprintf(err, errlen, "%s needs the field '%s'", spec->name, fields[i].key), -EINVAL;
	return req->op == AGENT_DEFINE ? define_check(req, err, errlen) : 0;
}

int agent_request_from_json(json_t *object, struct agent_request *req, char *err, size_t errlen)
{
	const char *op_name = json_string_value(json_object_get(object, "op"));
	int op;

	if (!json_is_object(object))
		return snprintf(err, errlen, "a request is a JSON object"), -EINVAL;
	if (!op_name)
		return snprintf(err, errlen, "no \"op\" (one of %s)", agent_op_list()), -EINVAL;
	op = op_find(op_name);
	if (op < 0)
		return snprintf(err, errlen, "unknown op '%.32s' (one of %s)", op_name, agent_op_list()), -EINVAL;
	request_defaults(req, (enum agent_op)op);
	return request_fields(object, req, err, errlen);
}

int agent_request_parse(const char *line, size_t len, struct agent_request *req, char *err, size_t errlen)
{
	json_error_t error;
	json_t *object;
	int ret;

	if (len >= AGENT_REQUEST_MAX)
		return snprintf(err, errlen, "a request is at most %d bytes", AGENT_REQUEST_MAX - 1), -EINVAL;
	object = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);
	if (!object)
		return snprintf(err, errlen, "not JSON: %s", error.text), -EINVAL;
	ret = agent_request_from_json(object, req, err, errlen);
	json_decref(object);
	return ret;
}

static json_t *field_encode(const struct field *f, const struct agent_request *req)
{
	const char *at = (const char *)req + f->offset;

	switch (f->kind) {
	case FIELD_BOOL:
		return json_boolean(*(const bool *)at);
	case FIELD_UINT:
		return json_integer(*(const unsigned int *)at);
	default:
		return json_string(at);
	}
}

json_t *agent_request_to_json(const struct agent_request *req)
{
	const struct op_spec *spec = &ops[req->op];
	json_t *object = json_pack("{s:s}", "op", spec->name);

	for (unsigned int i = 0; object && i < NFIELDS; i++)
		if (((spec->required | spec->optional) & BIT(i)) &&
		    json_object_set_new(object, fields[i].key, field_encode(&fields[i], req)) < 0) {
			json_decref(object);
			return NULL;
		}
	return object;
}

unsigned int agent_request_deadline_s(const struct agent_request *req)
{
	unsigned int seconds = ops[req->op].answer_s;

	if (req->op == AGENT_STOP)
		seconds += req->timeout_s;
	if (req->op == AGENT_MIGRATE)
		seconds += req->deadline_s;
	return seconds;
}
