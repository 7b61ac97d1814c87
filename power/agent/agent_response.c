#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "power/agent/agent_response.h"
#include "vmm/machine/config.h"

json_t *agent_response_error(const char *op, bool refused, const char *fmt, ...)
{
	char why[AGENT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s*, s:s, s:b}", "ok", 0, "op", op, "error", why, "refused", refused);
}

/* Where a check is: "servers[2]" inside a response; "" at its top. */
struct where {
	char path[48];
	char *err;
	size_t errlen;
};

static int bad(const struct where *w, const char *key, const char *what)
{
	snprintf(w->err, w->errlen, "%s%s%s: %s", w->path, w->path[0] ? "." : "", key, what);
	return -EBADMSG;
}

/* Printable text, no control characters: it ends up in logs and on terminals. */
static bool text_is_clean(const char *text, bool multiline)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\r' || *p == '\t'))) || *p == 0x7f)
			return false;
	return true;
}

static int check_string(const struct where *w, json_t *obj, const char *key, size_t max, bool required,
			bool multiline, const char **out)
{
	json_t *value = json_object_get(obj, key);
	const char *text = json_string_value(value);

	if (!value && !required)
		return 0;
	if (!text || strlen(text) != json_string_length(value) || strlen(text) > max || !text_is_clean(text, multiline))
		return bad(w, key, required && !value ? "missing" : "not a clean string of the expected length");
	if (out)
		*out = text;
	return 0;
}

static int check_int(const struct where *w, json_t *obj, const char *key, json_int_t min, json_int_t max,
		     bool required, json_int_t *out)
{
	json_t *value = json_object_get(obj, key);

	if (!value && !required)
		return 0;
	if (!json_is_integer(value) || json_integer_value(value) < min || json_integer_value(value) > max)
		return bad(w, key, !value ? "missing" : "not a whole number in range");
	if (out)
		*out = json_integer_value(value);
	return 0;
}

static int check_name(const struct where *w, json_t *obj, const char *key, const char *want)
{
	const char *name = NULL;
	int ret = check_string(w, obj, key, SERVER_NAME_MAX - 1, true, false, &name);

	if (ret == 0 && !server_name_is_valid(name))
		return bad(w, key, "not a server name");
	if (ret == 0 && want && strcmp(name, want) != 0)
		return bad(w, key, "not the server asked about");
	return ret;
}

/* "0000:03:00.0", as sysfs writes it. */
static int check_pci(const struct where *w, json_t *obj, const char *key)
{
	const char *text = NULL;
	char full[32];
	int ret = check_string(w, obj, key, 12, true, false, &text);

	if (ret == 0 && (parse_pci_address(text, full, sizeof(full)) < 0 || strcmp(full, text) != 0))
		return bad(w, key, "not a PCI address (DDDD:BB:DD.F)");
	return ret;
}

/* "8086:10d3"; null allowed where the host could not read it. */
static int check_model(const struct where *w, json_t *obj, const char *key, bool nullable)
{
	json_t *value = json_object_get(obj, key);
	const char *text = json_string_value(value);
	bool ok = text && json_string_length(value) == 9 && text[4] == ':';

	if (nullable && json_is_null(value))
		return 0;
	for (unsigned int i = 0; ok && i < 9; i++)
		ok = i == 4 || isxdigit((unsigned char)text[i]);
	return ok ? 0 : bad(w, key, "not a vendor:device model (8086:10d3)");
}

/* key is a list of at most max items, each passing check (its place in messages: "key[i]"). */
static int check_list(const struct where *w, json_t *obj, const char *key, size_t max,
		      int (*check)(const struct where *w, json_t *item))
{
	json_t *list = json_object_get(obj, key), *item;
	struct where inner;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) > max)
		return bad(w, key, "not a list of the expected length");
	json_array_foreach(list, i, item) {
		int ret;

		inner = *w;
		if (snprintf(inner.path, sizeof(inner.path), "%s%s%s[%zu]", w->path, w->path[0] ? "." : "", key, i) >=
		    (int)sizeof(inner.path))
			return bad(w, key, "nested too deep");
		ret = json_is_object(item) ? check(&inner, item) : bad(&inner, "item", "not an object");
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A server's device: its address, and its model where the host knows it. */
static int check_server_device(const struct where *w, json_t *device)
{
	int ret = check_pci(w, device, "pci");

	return ret == 0 ? check_model(w, device, "id", true) : ret;
}

static bool state_is_known(const char *state)
{
	static const char *const states[] = { "created",   "running",   "paused",  "shutting-down", "stopped",
					      "migrating", "receiving", "unknown", NULL };

	for (const char *const *s = states; *s; s++)
		if (strcmp(*s, state) == 0)
			return true;
	return false;
}

static int check_server(const struct where *w, json_t *server)
{
	json_t *running = json_object_get(server, "running"), *seconds = json_object_get(server, "vcpu_seconds");
	const char *state = NULL;
	int ret = check_name(w, server, "name", NULL);

	if (ret == 0)
		ret = check_string(w, server, "state", 16, true, false, &state);
	if (ret == 0 && !state_is_known(state))
		ret = bad(w, "state", "not a state sheer knows");
	if (ret == 0 && !json_is_boolean(running))
		ret = bad(w, "running", "not true or false");
	if (ret == 0)
		ret = check_int(w, server, "vcpus", 0, SERVER_MAX_CPUS, true, NULL);
	if (ret == 0)
		ret = check_int(w, server, "memory_mib", 0, (json_int_t)1 << 32, true, NULL);
	if (ret == 0 && seconds && (!json_is_number(seconds) || json_number_value(seconds) < 0))
		ret = bad(w, "vcpu_seconds", "not a number of seconds");
	return ret == 0 ? check_list(w, server, "devices", SERVER_MAX_DEVICES, check_server_device) : ret;
}

static int check_free_device(const struct where *w, json_t *device)
{
	int ret = check_pci(w, device, "pci");

	if (ret == 0)
		ret = check_model(w, device, "id", false);
	if (ret == 0)
		ret = check_string(w, device, "kind", 16, true, false, NULL);
	if (ret == 0)
		ret = check_string(w, device, "name", 159, false, false, NULL);
	if (ret == 0)
		ret = check_int(w, device, "numa_node", -1, 4095, false, NULL);
	return ret;
}

static int check_host(const struct where *w, json_t *response)
{
	json_int_t total = 0;
	int ret = check_string(w, response, "host", AGENT_HOST_MAX, true, false, NULL);

	if (ret == 0)
		ret = check_int(w, response, "cpus_online", 1, 1 << 20, true, NULL);
	if (ret == 0)
		ret = check_int(w, response, "memory_total_mib", 0, (json_int_t)1 << 40, true, &total);
	if (ret == 0)
		ret = check_int(w, response, "memory_free_mib", 0, total, true, NULL);
	if (ret == 0)
		ret = check_list(w, response, "servers", AGENT_LIST_MAX, check_server);
	if (ret == 0)
		ret = check_list(w, response, "free_devices", AGENT_LIST_MAX, check_free_device);
	return ret;
}

static int check_ping(const struct where *w, json_t *response)
{
	int ret = check_string(w, response, "host", AGENT_HOST_MAX, true, false, NULL);

	if (ret == 0)
		ret = check_string(w, response, "version", 32, true, false, NULL);
	if (ret == 0)
		ret = check_int(w, response, "uptime_s", 0, (json_int_t)1 << 40, true, NULL);
	if (ret == 0)
		ret = check_int(w, response, "agent_uptime_s", 0, (json_int_t)1 << 40, true, NULL);
	return ret;
}

/* An op that ran a sheer command: its exit status 0, what it printed, and migrate's result. */
static int check_command(const struct where *w, const struct agent_request *req, json_t *response)
{
	json_t *result = json_object_get(response, "result");
	int ret = check_int(w, response, "status", 0, 0, true, NULL);

	if (ret == 0)
		ret = check_name(w, response, "name", req->name);
	if (ret == 0)
		ret = check_string(w, response, "output", AGENT_OUTPUT_MAX, false, true, NULL);
	if (ret == 0 && result && !json_is_object(result))
		ret = bad(w, "result", "not an object");
	return ret;
}

static int check_ok(const struct where *w, const struct agent_request *req, json_t *response)
{
	switch (req->op) {
	case AGENT_PING:
		return check_ping(w, response);
	case AGENT_HOST:
		return check_host(w, response);
	case AGENT_DEFINITION: {
		int ret = check_name(w, response, "name", req->name);

		return ret == 0 ? check_string(w, response, "text", AGENT_DEFINITION_MAX, true, true, NULL) : ret;
	}
	default:
		return check_command(w, req, response);
	}
}

int agent_response_check(const struct agent_request *req, json_t *response, char *err, size_t errlen)
{
	const struct where top = { "", err, errlen };
	json_t *ok = json_object_get(response, "ok"), *refused = json_object_get(response, "refused");
	const char *op = json_string_value(json_object_get(response, "op"));

	if (!json_is_object(response))
		return bad(&top, "response", "not a JSON object");
	if (!json_is_boolean(ok))
		return bad(&top, "ok", "not true or false");
	if (!op || strcmp(op, agent_op_name(req->op)) != 0)
		return bad(&top, "op", "not the op asked");
	if (json_is_true(ok))
		return check_ok(&top, req, response);
	if (refused && !json_is_boolean(refused))
		return bad(&top, "refused", "not true or false");
	if (check_int(&top, response, "status", 0, 255, false, NULL) < 0)
		return -EBADMSG;
	return check_string(&top, response, "error", AGENT_ERROR_MAX, true, false, NULL);
}
