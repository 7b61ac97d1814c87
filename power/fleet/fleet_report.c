/* A host's `host` answer as the controller keeps it (fleet_report.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/agent/agent_response.h"
#include "power/fleet/fleet_report.h"

static void device_take(json_t *d, struct fleet_seen_device *out)
{
	const char *id = json_string_value(json_object_get(d, "id"));

	snprintf(out->pci, sizeof(out->pci), "%s", json_string_value(json_object_get(d, "pci")));
	snprintf(out->id, sizeof(out->id), "%s", id ? id : "");
}

static void server_take(json_t *s, struct fleet_seen_server *out)
{
	json_t *devices = json_object_get(s, "devices"), *seconds = json_object_get(s, "vcpu_seconds"), *d;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", json_string_value(json_object_get(s, "name")));
	out->running = json_is_true(json_object_get(s, "running"));
	out->vcpus = (unsigned int)json_integer_value(json_object_get(s, "vcpus"));
	out->memory_mib = (unsigned int)json_integer_value(json_object_get(s, "memory_mib"));
	out->vcpu_seconds = json_is_number(seconds) ? json_number_value(seconds) : -1;
	out->pinned = json_array_size(devices) > POWER_MAX_DEVICES;
	json_array_foreach(devices, i, d) {
		if (i >= POWER_MAX_DEVICES)
			break;
		device_take(d, &out->devices[out->n_devices++]);
	}
}

int fleet_report_from_json(json_t *answer, int64_t at_ms, struct fleet_report *r, char *err, size_t errlen)
{
	const struct agent_request req = { .op = AGENT_HOST };
	json_t *servers, *free_devices, *item;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (agent_response_check(&req, answer, err, errlen) < 0)
		return -EBADMSG;
	if (!json_is_true(json_object_get(answer, "ok"))) {
		snprintf(err, errlen, "the host report failed: %s", json_string_value(json_object_get(answer, "error")));
		return -EBADMSG;
	}
	servers = json_object_get(answer, "servers");
	free_devices = json_object_get(answer, "free_devices");
	r->at_ms = at_ms;
	r->cpus = (unsigned int)json_integer_value(json_object_get(answer, "cpus_online"));
	r->memory_total_mib = (unsigned int)json_integer_value(json_object_get(answer, "memory_total_mib"));
	r->memory_free_mib = (unsigned int)json_integer_value(json_object_get(answer, "memory_free_mib"));
	r->servers = calloc(json_array_size(servers) + 1, sizeof(*r->servers));
	r->free_devices = calloc(json_array_size(free_devices) + 1, sizeof(*r->free_devices));
	if (!r->servers || !r->free_devices) {
		fleet_report_free(r);
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	json_array_foreach(servers, i, item)
		server_take(item, &r->servers[r->n_servers++]);
	json_array_foreach(free_devices, i, item)
		device_take(item, &r->free_devices[r->n_free++]);
	return 0;
}

char *fleet_report_to_text(json_t *answer, int64_t at_ms)
{
	json_t *copy = json_deep_copy(answer);
	char *text = NULL;

	if (copy && json_object_set_new(copy, "at_ms", json_integer(at_ms)) == 0)
		text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	return text;
}

int fleet_report_from_text(const char *text, struct fleet_report *r, char *err, size_t errlen)
{
	json_t *answer = json_loads(text, 0, NULL), *at = json_object_get(answer, "at_ms");
	json_int_t at_ms = json_integer_value(at);
	int ret;

	memset(r, 0, sizeof(*r));
	if (!json_is_integer(at) || at_ms < 0) {
		snprintf(err, errlen, "a stored report without its time");
		json_decref(answer);
		return -EBADMSG;
	}
	json_object_del(answer, "at_ms");
	ret = fleet_report_from_json(answer, at_ms, r, err, errlen);
	json_decref(answer);
	return ret;
}

void fleet_report_free(struct fleet_report *r)
{
	free(r->servers);
	free(r->free_devices);
	memset(r, 0, sizeof(*r));
}

int fleet_report_copy(struct fleet_report *to, const struct fleet_report *from)
{
	fleet_report_free(to);
	*to = *from;
	to->servers = calloc(from->n_servers + 1, sizeof(*to->servers));
	to->free_devices = calloc(from->n_free + 1, sizeof(*to->free_devices));
	if (!to->servers || !to->free_devices) {
		fleet_report_free(to);
		return -ENOMEM;
	}
	/* A report without servers or free devices has no arrays to copy (memcpy must not see NULL). */
	if (from->n_servers)
		memcpy(to->servers, from->servers, from->n_servers * sizeof(*to->servers));
	if (from->n_free)
		memcpy(to->free_devices, from->free_devices, from->n_free * sizeof(*to->free_devices));
	return 0;
}

const struct fleet_seen_server *fleet_report_server(const struct fleet_report *r, const char *name)
{
	for (unsigned int i = 0; r && i < r->n_servers; i++)
		if (strcmp(r->servers[i].name, name) == 0)
			return &r->servers[i];
	return NULL;
}

double fleet_report_demand(const struct fleet_report *prev, const struct fleet_report *now, const char *name)
{
	const struct fleet_seen_server *a = fleet_report_server(prev, name), *b = fleet_report_server(now, name);
	double wall, used;

	if (!a || !b || !a->running || !b->running || a->vcpu_seconds < 0 || b->vcpu_seconds < 0 || !b->vcpus)
		return -1;
	wall = (double)(now->at_ms - prev->at_ms) / 1000.0;
	used = b->vcpu_seconds - a->vcpu_seconds;
	if (wall <= 0 || used < 0)
		return -1;
	used /= wall * b->vcpus;
	return used > 1 ? 1 : used;
}
