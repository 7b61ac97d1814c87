/*
 * The action log in etcd. An intent takes the next id from the counter key in
 * the same fenced txn that writes it (compared on the counter's revision, so
 * no id is given twice), and is written twice: under actions/ for history and
 * under unfinished/ until its result deletes it there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_records.h"
#include "power/store/etcd_store.h"

#define ACTION_KEY "actions/%020" PRIu64
#define UNFINISHED_KEY "unfinished/%020" PRIu64

/* The counter's value: the last id given (0 when it does not exist yet). */
static int counter_read(struct etcd_store *e, const struct etcd_kv *kv, bool found, uint64_t *last)
{
	char *end;

	*last = found ? strtoull(kv->value, &end, 10) : 0;
	if (found && (!kv->value[0] || *end || strspn(kv->value, "0123456789") != kv->value_len || *last >= INT64_MAX))
		return store_fail(&e->base, -EPROTO, "key %s holds '%.32s', not an action id", kv->key, kv->value);
	return 0;
}

/* One attempt: *ok false when the counter moved meanwhile. */
static int intent_try(struct etcd_store *e, struct fleet_action *a, bool *ok)
{
	char counter[ETCD_KEY_MAX], key[ETCD_KEY_MAX], unfinished[ETCD_KEY_MAX], id[24], *text;
	struct etcd_kv kv;
	uint64_t last = 0;
	bool found;
	int ret;

	etcd_key(e, counter, "action-counter");
	ret = etcd_get(e, counter, &kv, &found, "recording an intent");
	if (ret == 0)
		ret = counter_read(e, &kv, found, &last);
	if (ret < 0)
		return ret;
	a->id = last + 1;
	snprintf(id, sizeof(id), "%" PRIu64, a->id);
	etcd_key(e, key, ACTION_KEY, a->id);
	etcd_key(e, unfinished, UNFINISHED_KEY, a->id);
	text = etcd_action_encode(a);
	if (!text)
		return store_fail(&e->base, -ENOMEM, "recording an intent: out of memory");
	ret = etcd_fenced_txn(e, json_pack("[o]", etcd_cmp_unchanged(counter, &kv, found)),
			      json_pack("[o, o, o]", etcd_op_put(counter, id, 0), etcd_op_put(key, text, 0),
					etcd_op_put(unfinished, text, 0)),
			      ok, "recording an intent");
	free(text);
	return ret;
}

int etcd_intent(struct fleet_store *s, struct fleet_action *a)
{
	bool ok = false;
	int ret = 0;

	for (int attempt = 0; ret == 0 && !ok && attempt < ETCD_CAS_ATTEMPTS; attempt++)
		ret = intent_try(etcd_of(s), a, &ok);
	if (ret == 0 && !ok)
		ret = store_fail(s, -EBUSY, "recording an intent: the action counter kept moving");
	if (ret < 0)
		a->id = 0;
	return ret;
}

/* The action at key, as read (kv, for its revision). */
static int action_read(struct etcd_store *e, const char *key, uint64_t id, struct etcd_kv *kv,
		       struct fleet_action *a)
{
	bool found;
	int ret = etcd_get(e, key, kv, &found, "recording a result");

	if (ret < 0)
		return ret;
	if (!found)
		return store_fail(&e->base, -ENOENT, "no action %" PRIu64, id);
	if (etcd_action_decode(kv->value, kv->value_len, a) < 0 || a->id != id)
		return store_fail(&e->base, -EPROTO, "key %s: not an action record sheer writes", key);
	if (a->result != FLEET_PENDING)
		return store_fail(&e->base, -EALREADY, "action %" PRIu64 " has its result already", id);
	return 0;
}

static int result_try(struct etcd_store *e, uint64_t id, enum fleet_result result, const char *detail, bool *ok)
{
	char key[ETCD_KEY_MAX], unfinished[ETCD_KEY_MAX], *text;
	struct fleet_action a;
	struct etcd_kv kv;
	int ret;

	etcd_key(e, key, ACTION_KEY, id);
	etcd_key(e, unfinished, UNFINISHED_KEY, id);
	ret = action_read(e, key, id, &kv, &a);
	if (ret < 0)
		return ret;
	a.result = result;
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	a.finished = store_now();
	text = etcd_action_encode(&a);
	if (!text)
		return store_fail(&e->base, -ENOMEM, "recording a result: out of memory");
	ret = etcd_fenced_txn(e, json_pack("[o]", etcd_cmp_unchanged(key, &kv, true)),
			      json_pack("[o, o]", etcd_op_put(key, text, 0), etcd_op_delete(unfinished)), ok,
			      "recording a result");
	free(text);
	return ret;
}

int etcd_result(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail)
{
	bool ok = false;
	int ret = 0;

	for (int attempt = 0; ret == 0 && !ok && attempt < ETCD_CAS_ATTEMPTS; attempt++)
		ret = result_try(etcd_of(s), id, result, detail, &ok);
	return ret == 0 && !ok ? store_fail(s, -EBUSY, "recording a result: action %" PRIu64 " kept changing", id)
			       : ret;
}

struct action_list {
	struct fleet_action *items;
	size_t n, cap, limit;
	int64_t since;
};

static int action_take(struct etcd_store *e, const struct etcd_kv *kv, void *ctx)
{
	struct action_list *l = ctx;
	struct fleet_action a;

	if (etcd_action_decode(kv->value, kv->value_len, &a) < 0)
		return store_fail(&e->base, -EPROTO, "key %s: not an action record sheer writes", kv->key);
	/* Newest first: the first older than since ends the list (intent times follow the ids). */
	if (a.started < l->since)
		return 1;
	if (store_grow((void **)&l->items, &l->cap, l->n, sizeof(a)) < 0)
		return store_fail(&e->base, -ENOMEM, "reading the action log: out of memory");
	l->items[l->n++] = a;
	return l->n == l->limit;
}

static int action_list_end(struct action_list *l, int ret, struct fleet_action **out, size_t *n)
{
	if (ret < 0) {
		free(l->items);
		return ret;
	}
	*out = l->items;
	*n = l->n;
	return 0;
}

int etcd_unfinished(struct fleet_store *s, struct fleet_action **out, size_t *n)
{
	struct action_list l = { .limit = SIZE_MAX, .since = INT64_MIN };
	int ret = etcd_scan(etcd_of(s), "unfinished/", false, action_take, &l, "reading the unfinished actions");

	return action_list_end(&l, ret, out, n);
}

int etcd_history(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n)
{
	struct action_list l = { .limit = limit, .since = since };
	int ret = etcd_scan(etcd_of(s), "actions/", true, action_take, &l, "reading the action log");

	return action_list_end(&l, ret, out, n);
}
