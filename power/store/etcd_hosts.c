/*
 * Host records and the controller's values in etcd. A host is rewritten only
 * if it is still as it was read (compared on its revision), so the operator's
 * clearing of a wake failure and the leader's writes never undo each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_records.h"
#include "power/store/etcd_store.h"

static int host_read(struct etcd_store *e, const char *key, struct etcd_kv *kv, bool *found, struct fleet_host *h,
		     const char *what)
{
	int ret = etcd_get(e, key, kv, found, what);

	if (ret == 0 && *found && etcd_host_decode(kv->value, kv->value_len, h) < 0)
		ret = store_fail(&e->base, -EPROTO, "%s: key %s is not a host record sheer writes", what, key);
	return ret;
}

int etcd_host_get(struct fleet_store *s, const char *name, struct fleet_host *h)
{
	struct etcd_store *e = etcd_of(s);
	char key[ETCD_KEY_MAX];
	struct etcd_kv kv;
	bool found;
	int ret;

	etcd_key(e, key, "hosts/%s", name);
	ret = host_read(e, key, &kv, &found, h, "reading a host");
	return ret == 0 && !found ? store_fail(s, -ENOENT, "no record of host %s", name) : ret;
}

/* Write h over the record read as kv (absent: !found); fenced when the leader writes. */
static int host_write(struct etcd_store *e, const char *key, const struct etcd_kv *kv, bool found,
		      const struct fleet_host *h, bool fenced, bool *ok, const char *what)
{
	char *text = etcd_host_encode(h);
	json_t *compare, *success;
	int ret;

	if (!text)
		return store_fail(&e->base, -ENOMEM, "%s: out of memory", what);
	compare = json_pack("[o]", etcd_cmp_unchanged(key, kv, found));
	success = json_pack("[o]", etcd_op_put(key, text, 0));
	ret = fenced ? etcd_fenced_txn(e, compare, success, ok, what)
		     : etcd_txn(e, compare, success, json_array(), ok, NULL, what);
	free(text);
	return ret;
}

static int host_put_try(struct etcd_store *e, const struct fleet_host *h, bool *ok)
{
	char key[ETCD_KEY_MAX];
	struct fleet_host merged = *h, old;
	struct etcd_kv kv;
	bool found;
	int ret;

	etcd_key(e, key, "hosts/%s", h->name);
	ret = host_read(e, key, &kv, &found, &old, "writing a host");
	if (ret < 0)
		return ret;
	/* A wake failure stays, with its reason and time, until the operator clears it. */
	if (found && old.wake_failed) {
		merged.wake_failed = true;
		strcpy(merged.wake_failed_reason, old.wake_failed_reason);
		merged.wake_failed_at = old.wake_failed_at;
	} else if (!merged.wake_failed) {
		merged.wake_failed_reason[0] = '\0';
		merged.wake_failed_at = 0;
	}
	return host_write(e, key, &kv, found, &merged, true, ok, "writing a host");
}

static int host_clear_try(struct etcd_store *e, const char *name, bool *ok)
{
	char key[ETCD_KEY_MAX];
	struct fleet_host h;
	struct etcd_kv kv;
	bool found;
	int ret;

	etcd_key(e, key, "hosts/%s", name);
	ret = host_read(e, key, &kv, &found, &h, "clearing a wake failure");
	if (ret == 0 && !found)
		ret = store_fail(&e->base, -ENOENT, "no record of host %s", name);
	if (ret < 0)
		return ret;
	h.wake_failed = false;
	h.wake_failed_reason[0] = '\0';
	h.wake_failed_at = 0;
	return host_write(e, key, &kv, true, &h, false, ok, "clearing a wake failure");
}

int etcd_host_put(struct fleet_store *s, const struct fleet_host *h)
{
	bool ok = false;
	int ret = 0;

	for (int attempt = 0; ret == 0 && !ok && attempt < ETCD_CAS_ATTEMPTS; attempt++)
		ret = host_put_try(etcd_of(s), h, &ok);
	return ret == 0 && !ok ? store_fail(s, -EBUSY, "writing host %s: its record kept changing", h->name) : ret;
}

int etcd_host_clear_wake_failed(struct fleet_store *s, const char *name)
{
	bool ok = false;
	int ret = 0;

	for (int attempt = 0; ret == 0 && !ok && attempt < ETCD_CAS_ATTEMPTS; attempt++)
		ret = host_clear_try(etcd_of(s), name, &ok);
	return ret == 0 && !ok ? store_fail(s, -EBUSY, "clearing host %s: its record kept changing", name) : ret;
}

struct host_list {
	struct fleet_host *items;
	size_t n, cap;
};

static int host_take(struct etcd_store *e, const struct etcd_kv *kv, void *ctx)
{
	struct host_list *l = ctx;
	struct fleet_host h;

	if (etcd_host_decode(kv->value, kv->value_len, &h) < 0)
		return store_fail(&e->base, -EPROTO, "reading the hosts: key %s is not a host record sheer writes",
				  kv->key);
	if (store_grow((void **)&l->items, &l->cap, l->n, sizeof(h)) < 0)
		return store_fail(&e->base, -ENOMEM, "reading the hosts: out of memory");
	l->items[l->n++] = h;
	return 0;
}

int etcd_host_list(struct fleet_store *s, struct fleet_host **out, size_t *n)
{
	struct host_list l = { 0 };
	int ret = etcd_scan(etcd_of(s), "hosts/", false, host_take, &l, "reading the hosts");

	if (ret < 0) {
		free(l.items);
		return ret;
	}
	*out = l.items;
	*n = l.n;
	return 0;
}

int etcd_value_get(struct fleet_store *s, const char *key, char *value, size_t len)
{
	struct etcd_store *e = etcd_of(s);
	char full[ETCD_KEY_MAX];
	struct etcd_kv kv;
	bool found;
	int ret;

	etcd_key(e, full, "values/%s", key);
	ret = etcd_get(e, full, &kv, &found, "reading a value");
	if (ret == 0 && !found)
		ret = store_fail(s, -ENOENT, "no value %s", key);
	else if (ret == 0 && kv.value_len >= len)
		ret = store_fail(s, -ENOBUFS, "value %s: %zu bytes, more than asked for", key, kv.value_len);
	if (ret == 0)
		memcpy(value, kv.value, kv.value_len + 1);
	return ret;
}

int etcd_value_put(struct fleet_store *s, const char *key, const char *value)
{
	struct etcd_store *e = etcd_of(s);
	char full[ETCD_KEY_MAX];
	bool ok;

	etcd_key(e, full, "values/%s", key);
	return etcd_fenced_txn(e, json_array(), json_pack("[o]", etcd_op_put(full, value, 0)), &ok, "writing a value");
}
