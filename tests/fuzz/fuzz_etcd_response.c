/*
 * What an etcd endpoint (or whoever answers in its place) sends the fleet
 * store: the input is one answer body as etcd_client_post hands it on, read by
 * every parser the etcd backend has (range, txn and its ranges, lease, error,
 * header revision) and each value found decoded as an action and as a host
 * record; the input is also fed whole to the record decoders and, NUL-ended,
 * to the base64 decoder.
 * Checks: a kv that parses has a key, a value without NUL bytes whose length
 * is value_len, and revisions etcd could give; a decoded record holds only
 * names, known words and terminated texts; base64 that decodes encodes back
 * to the same text (one text per value); an error message is printable.
 */
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_json.h"
#include "power/store/etcd_records.h"
#include "vmm/lib/parse.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool name_or_empty(const char *name)
{
	return strnlen(name, FLEET_NAME_MAX) < FLEET_NAME_MAX && (!name[0] || server_name_is_valid(name));
}

static void records_check(const char *text, size_t len)
{
	struct fleet_action a;
	struct fleet_host h;

	if (etcd_action_decode(text, len, &a) == 0)
		check(a.id > 0 && (unsigned int)a.kind < FLEET_ACTION_KINDS && (unsigned int)a.result < FLEET_RESULTS &&
		      name_or_empty(a.server) && name_or_empty(a.from_host) && name_or_empty(a.to_host) &&
		      name_or_empty(a.controller) && strnlen(a.reason, FLEET_TEXT_MAX) < FLEET_TEXT_MAX &&
		      strnlen(a.detail, FLEET_TEXT_MAX) < FLEET_TEXT_MAX && a.started >= 0 && a.finished >= 0);
	if (etcd_host_decode(text, len, &h) == 0)
		check(h.name[0] && name_or_empty(h.name) && (unsigned int)h.power < FLEET_POWER_STATES &&
		      strnlen(h.wake_failed_reason, FLEET_TEXT_MAX) < FLEET_TEXT_MAX && h.heartbeat_at >= 0);
}

static void range_check(const json_t *range)
{
	struct etcd_kv *kvs = malloc(4 * sizeof(*kvs));
	size_t n;
	bool more;

	if (kvs && etcd_range_kvs(range, kvs, 4, &n, &more) == 0)
		for (size_t i = 0; i < n; i++) {
			check(kvs[i].key[0] && strnlen(kvs[i].key, ETCD_KEY_MAX) < ETCD_KEY_MAX);
			check(strlen(kvs[i].value) == kvs[i].value_len && kvs[i].value_len <= ETCD_VALUE_MAX);
			check(kvs[i].create_revision > 0 && kvs[i].mod_revision >= kvs[i].create_revision);
			records_check(kvs[i].value, kvs[i].value_len);
		}
	free(kvs);
}

static void answer_check(json_t *answer)
{
	json_t *responses;
	char msg[256];
	int64_t id, ttl, revision;
	bool ok;

	etcd_answer_error(answer, msg, sizeof(msg));
	for (const char *c = msg; *c; c++)
		check(*c >= 0x20 && *c <= 0x7e);
	range_check(answer);
	if (etcd_txn_outcome(answer, &ok, &responses) == 0)
		for (size_t i = 0; i < 3; i++)
			range_check(etcd_txn_range(responses, i));
	if (etcd_lease(answer, &id, &ttl) == 0)
		check(id > 0 && ttl >= 0);
	(void)etcd_number(json_object_get(answer, "header"), "revision", &revision);
}

static void base64_check(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *again = malloc(size + 4);
	uint8_t *bytes = malloc(size + 1);
	size_t len;

	if (text && again && bytes) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (etcd_base64_decode(text, bytes, size, &len) == 0) {
			etcd_base64_encode(bytes, len, again);
			check(strcmp(again, text) == 0);
		}
	}
	free(text);
	free(again);
	free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *answer;

	if (etcd_answer_parse((const char *)data, size, &answer) == 0) {
		answer_check(answer);
		json_decref(answer);
	}
	records_check((const char *)data, size);
	base64_check(data, size);
	return 0;
}
