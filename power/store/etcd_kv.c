/* Reads, scans and transactions on etcd, for the etcd backend's files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_store.h"

#define ETCD_PAGE 100

void etcd_key(const struct etcd_store *e, char *out, const char *fmt, ...)
{
	int n = snprintf(out, ETCD_KEY_MAX, "%s", e->prefix);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + n, ETCD_KEY_MAX - n, fmt, ap);
	va_end(ap);
}

int etcd_call(struct etcd_store *e, const char *path, json_t *body, bool idempotent, json_t **answer,
	      const char *what)
{
	char why[FLEET_ERR_MAX];
	int ret = body ? etcd_client_post(&e->client, path, body, idempotent, answer, why, sizeof(why)) : -ENOMEM;

	if (!body)
		snprintf(why, sizeof(why), "%s", strerror(ENOMEM));
	json_decref(body);
	return ret < 0 ? store_fail(&e->base, ret, "%s: %s", what, why) : 0;
}

static int etcd_malformed(struct etcd_store *e, const char *what)
{
	return store_fail(&e->base, -EPROTO, "%s: etcd's answer is not what its v3 API says (a field missing, of the "
			  "wrong type, or not base64)", what);
}

int etcd_get(struct etcd_store *e, const char *key, struct etcd_kv *kv, bool *found, const char *what)
{
	json_t *answer, *body = json_pack("{s:o}", "key", etcd_b64(key));
	size_t n = 0;
	bool more;
	int ret = etcd_call(e, "/v3/kv/range", body, true, &answer, what);

	if (ret < 0)
		return ret;
	if (etcd_range_kvs(answer, kv, 1, &n, &more) < 0 || (n && strcmp(kv->key, key) != 0))
		ret = etcd_malformed(e, what);
	json_decref(answer);
	*found = n == 1;
	return ret;
}

/* One page of a scan over [start, end): the body of its range request. */
static json_t *scan_request(const char *start, const char *end, bool newest_first, int64_t revision)
{
	return json_pack("{s:o, s:o, s:o, s:s, s:s, s:o}", "key", etcd_b64(start), "range_end", etcd_b64(end), "limit",
			 etcd_num(ETCD_PAGE), "sort_order", newest_first ? "DESCEND" : "ASCEND", "sort_target", "KEY",
			 "revision", etcd_num(revision));
}

struct scan {
	char start[ETCD_KEY_MAX], end[ETCD_KEY_MAX];
	int64_t revision;	/* every page read at the first page's revision: one consistent view */
	bool newest_first;
	struct etcd_kv *kvs;
};

/* Read the next page; *n kvs, *done when it is the last. */
static int scan_page(struct etcd_store *e, struct scan *sc, size_t *n, bool *done, const char *what)
{
	json_t *answer;
	bool more;
	int ret = etcd_call(e, "/v3/kv/range", scan_request(sc->start, sc->end, sc->newest_first, sc->revision), true,
			    &answer, what);

	if (ret < 0)
		return ret;
	if (etcd_range_kvs(answer, sc->kvs, ETCD_PAGE, n, &more) < 0 ||
	    (!sc->revision && etcd_number(json_object_get(answer, "header"), "revision", &sc->revision) < 0))
		ret = etcd_malformed(e, what);
	json_decref(answer);
	*done = !more || *n < ETCD_PAGE;
	/* The next page starts after the last key seen: range_end is exclusive, the start is not. */
	if (ret == 0 && *n)
		strcpy(sc->newest_first ? sc->end : sc->start, sc->kvs[*n - 1].key);
	return ret;
}

static int scan_pages(struct etcd_store *e, struct scan *sc,
		      int (*each)(struct etcd_store *e, const struct etcd_kv *kv, void *ctx), void *ctx, const char *what)
{
	char last[ETCD_KEY_MAX] = "";
	bool done = false;
	int ret = 0;

	while (ret == 0 && !done) {
		size_t n = 0;

		ret = scan_page(e, sc, &n, &done, what);
		for (size_t i = 0; ret == 0 && i < n; i++)
			if (strcmp(sc->kvs[i].key, last) != 0)
				ret = each(e, &sc->kvs[i], ctx);
		if (n)
			strcpy(last, sc->kvs[n - 1].key);
	}
	return ret < 0 ? ret : 0;
}

int etcd_scan(struct etcd_store *e, const char *dir, bool newest_first,
	      int (*each)(struct etcd_store *e, const struct etcd_kv *kv, void *ctx), void *ctx, const char *what)
{
	struct scan sc = { .newest_first = newest_first, .kvs = malloc(ETCD_PAGE * sizeof(struct etcd_kv)) };
	size_t len;
	int ret;

	if (!sc.kvs)
		return store_fail(&e->base, -ENOMEM, "%s: %s", what, strerror(ENOMEM));
	etcd_key(e, sc.start, "%s", dir);
	/* Every key with the prefix dir: the end is dir with its last byte one higher. */
	strcpy(sc.end, sc.start);
	len = strlen(sc.end);
	sc.end[len - 1]++;
	ret = scan_pages(e, &sc, each, ctx, what);
	free(sc.kvs);
	return ret;
}

json_t *etcd_op_put(const char *key, const char *value, int64_t lease)
{
	return json_pack("{s:{s:o, s:o, s:o}}", "request_put", "key", etcd_b64(key), "value", etcd_b64(value), "lease",
			 etcd_num(lease));
}

json_t *etcd_op_delete(const char *key)
{
	return json_pack("{s:{s:o}}", "request_delete_range", "key", etcd_b64(key));
}

json_t *etcd_op_range(const char *key)
{
	return json_pack("{s:{s:o}}", "request_range", "key", etcd_b64(key));
}

json_t *etcd_cmp_create(const char *key, int64_t create_revision)
{
	return json_pack("{s:o, s:s, s:s, s:o}", "key", etcd_b64(key), "target", "CREATE", "result", "EQUAL",
			 "create_revision", etcd_num(create_revision));
}

json_t *etcd_cmp_unchanged(const char *key, const struct etcd_kv *kv, bool found)
{
	if (!found)
		return etcd_cmp_create(key, 0);
	return json_pack("{s:o, s:s, s:s, s:o}", "key", etcd_b64(key), "target", "MOD", "result", "EQUAL",
			 "mod_revision", etcd_num(kv->mod_revision));
}

int etcd_txn(struct etcd_store *e, json_t *compare, json_t *success, json_t *failure, bool *ok, json_t **answer,
	     const char *what)
{
	json_t *body = json_pack("{s:o, s:o, s:o}", "compare", compare, "success", success, "failure", failure);
	json_t *reply, *responses;
	int ret = etcd_call(e, "/v3/kv/txn", body, false, &reply, what);

	if (ret < 0)
		return ret;
	if (etcd_txn_outcome(reply, ok, &responses) < 0) {
		json_decref(reply);
		return etcd_malformed(e, what);
	}
	if (answer)
		*answer = reply;
	else
		json_decref(reply);
	return 0;
}

/* Why a fenced txn failed: -EPERM when the leader key read back (range) is not this handle's term's. */
static int fence_check(struct etcd_store *e, const json_t *range, const char *what)
{
	struct etcd_kv kv;
	size_t n = 0;
	bool more;

	if (etcd_range_kvs(range, &kv, 1, &n, &more) < 0)
		return etcd_malformed(e, what);
	return n == 0 || kv.create_revision != (int64_t)e->base.term ? store_not_leader(&e->base, what) : 0;
}

int etcd_fenced_txn(struct etcd_store *e, json_t *compare, json_t *success, bool *ok, const char *what)
{
	char leader[ETCD_KEY_MAX];
	json_t *answer = NULL, *responses;
	int ret;

	*ok = false;
	if (!e->base.term) {
		json_decref(compare);
		json_decref(success);
		return store_not_leader(&e->base, what);
	}
	etcd_key(e, leader, "leader");
	/* The leader's compare first, and its key read back when a compare fails: it tells which one did. */
	json_array_insert_new(compare, 0, etcd_cmp_create(leader, (int64_t)e->base.term));
	ret = etcd_txn(e, compare, success, json_pack("[o]", etcd_op_range(leader)), ok, &answer, what);
	if (ret == 0 && !*ok) {
		etcd_txn_outcome(answer, ok, &responses);
		ret = fence_check(e, etcd_txn_range(responses, 0), what);
	}
	json_decref(answer);
	return ret;
}
