/* Actions and host records as JSON values in etcd. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "power/store/etcd_records.h"
#include "vmm/lib/parse.h"

char *etcd_action_encode(const struct fleet_action *a)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:I}", "id", (json_int_t)a->id,
			      "kind", fleet_action_kind_name(a->kind), "server", a->server, "from_host", a->from_host,
			      "to_host", a->to_host, "reason", a->reason, "interval", (json_int_t)a->interval,
			      "controller", a->controller, "started", (json_int_t)a->started, "result",
			      fleet_result_name(a->result), "detail", a->detail, "finished", (json_int_t)a->finished);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

char *etcd_host_encode(const struct fleet_host *h)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s, s:I, s:I, s:I}", "name", h->name, "power",
			      fleet_power_name(h->power), "trusted_to_sleep", h->trusted_to_sleep, "wake_failed",
			      h->wake_failed, "wake_failed_reason", h->wake_failed_reason, "wake_failed_at",
			      (json_int_t)h->wake_failed_at, "power_changed_at", (json_int_t)h->power_changed_at,
			      "heartbeat_at", (json_int_t)h->heartbeat_at);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

/* A string field that fits in size bytes; a name (or "") when name is set. */
static int text_field(const json_t *o, const char *field, char *dst, size_t size, bool name)
{
	const json_t *v = json_object_get(o, field);
	const char *text = json_string_value(v);

	if (!text || json_string_length(v) >= size || strlen(text) != json_string_length(v))
		return -EPROTO;
	if (name && text[0] && !server_name_is_valid(text))
		return -EPROTO;
	strcpy(dst, text);
	/* Reasons and details reach terminals and logs: no control characters. */
	for (char *c = dst; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return 0;
}

static int count_field(const json_t *o, const char *field, int64_t *v)
{
	const json_t *n = json_object_get(o, field);

	if (!json_is_integer(n) || json_integer_value(n) < 0)
		return -EPROTO;
	*v = json_integer_value(n);
	return 0;
}

static int word_field(const json_t *o, const char *field, char *dst, size_t size)
{
	return text_field(o, field, dst, size, false);
}

static int action_fields(const json_t *o, void *out)
{
	struct fleet_action *a = out;
	int64_t id, interval;
	char kind[32], result[32];

	if (count_field(o, "id", &id) < 0 || id == 0 || word_field(o, "kind", kind, sizeof(kind)) < 0 ||
	    fleet_action_kind_parse(kind, &a->kind) < 0 ||
	    text_field(o, "server", a->server, sizeof(a->server), true) < 0 ||
	    text_field(o, "from_host", a->from_host, sizeof(a->from_host), true) < 0 ||
	    text_field(o, "to_host", a->to_host, sizeof(a->to_host), true) < 0 ||
	    text_field(o, "reason", a->reason, sizeof(a->reason), false) < 0 ||
	    count_field(o, "interval", &interval) < 0 ||
	    text_field(o, "controller", a->controller, sizeof(a->controller), true) < 0 ||
	    count_field(o, "started", &a->started) < 0 || word_field(o, "result", result, sizeof(result)) < 0 ||
	    fleet_result_parse(result, &a->result) < 0 ||
	    text_field(o, "detail", a->detail, sizeof(a->detail), false) < 0 ||
	    count_field(o, "finished", &a->finished) < 0)
		return -EPROTO;
	a->id = (uint64_t)id;
	a->interval = (uint64_t)interval;
	return 0;
}

/* text as a JSON object, its fields read into out (size bytes, zeroed first) by fields(). */
static int record_decode(const char *text, size_t len, void *out, size_t size,
			 int (*fields)(const json_t *o, void *out))
{
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	int ret;

	memset(out, 0, size);
	ret = json_is_object(o) ? fields(o, out) : -EPROTO;
	json_decref(o);
	return ret;
}

int etcd_action_decode(const char *text, size_t len, struct fleet_action *a)
{
	return record_decode(text, len, a, sizeof(*a), action_fields);
}

static int flag_field(const json_t *o, const char *field, bool *v)
{
	const json_t *b = json_object_get(o, field);

	if (!json_is_boolean(b))
		return -EPROTO;
	*v = json_is_true(b);
	return 0;
}

static int host_fields(const json_t *o, void *out)
{
	struct fleet_host *h = out;
	char power[16];

	if (text_field(o, "name", h->name, sizeof(h->name), true) < 0 || !h->name[0] ||
	    word_field(o, "power", power, sizeof(power)) < 0 || fleet_power_parse(power, &h->power) < 0 ||
	    flag_field(o, "trusted_to_sleep", &h->trusted_to_sleep) < 0 ||
	    flag_field(o, "wake_failed", &h->wake_failed) < 0 ||
	    text_field(o, "wake_failed_reason", h->wake_failed_reason, sizeof(h->wake_failed_reason), false) < 0 ||
	    count_field(o, "wake_failed_at", &h->wake_failed_at) < 0 ||
	    count_field(o, "power_changed_at", &h->power_changed_at) < 0 ||
	    count_field(o, "heartbeat_at", &h->heartbeat_at) < 0)
		return -EPROTO;
	return 0;
}

int etcd_host_decode(const char *text, size_t len, struct fleet_host *h)
{
	return record_decode(text, len, h, sizeof(*h), host_fields);
}
