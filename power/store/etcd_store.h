/*
 * The etcd backend's handle and the helpers its files share. Keys, under the
 * prefix (default /sheer/fleet/):
 *
 *   schema                the layout's version ("1")
 *   leader                the leading controller's id, bound to its lease
 *   action-counter        the last action id given
 *   actions/ID            every action (JSON), ID in 20 digits so keys sort as ids
 *   unfinished/ID         the intents without a result (the same JSON)
 *   hosts/NAME            host records (JSON)
 *   values/KEY            the controller's values (text)
 */
#ifndef SHEER_POWER_STORE_ETCD_STORE_H
#define SHEER_POWER_STORE_ETCD_STORE_H

#include "power/store/etcd_client.h"
#include "power/store/etcd_json.h"
#include "power/store/store_internal.h"

#define ETCD_PREFIX_MAX 256	/* with the NUL */
#define ETCD_CAS_ATTEMPTS 16	/* read-then-compare rounds before giving up on a key that keeps moving */

struct etcd_store {
	struct fleet_store base;
	struct etcd_client client;
	char prefix[ETCD_PREFIX_MAX];
	int64_t lease;		/* this handle's lease, 0 for none */
};

static inline struct etcd_store *etcd_of(struct fleet_store *s)
{
	return (struct etcd_store *)s;
}

/* prefix + the formatted rest, into out (ETCD_KEY_MAX bytes). */
void etcd_key(const struct etcd_store *e, char *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* POST body (its reference taken) to path; on failure the handle's error is "what: why". */
int etcd_call(struct etcd_store *e, const char *path, json_t *body, bool idempotent, json_t **answer,
	      const char *what);
/* The kv at key: *found false when there is none. */
int etcd_get(struct etcd_store *e, const char *key, struct etcd_kv *kv, bool *found, const char *what);
/* Each kv under prefix + dir, in key order (newest_first: reversed), to each() until it returns non-zero
 * (1: stop, negative: the error to return). */
int etcd_scan(struct etcd_store *e, const char *dir, bool newest_first,
	      int (*each)(struct etcd_store *e, const struct etcd_kv *kv, void *ctx), void *ctx, const char *what);

/* Txn operations and compares, as new JSON objects (NULL when out of memory: the txn then fails). */
json_t *etcd_op_put(const char *key, const char *value, int64_t lease);
json_t *etcd_op_delete(const char *key);
json_t *etcd_op_range(const char *key);
json_t *etcd_cmp_create(const char *key, int64_t create_revision);
/* Holds iff key is still as it was read: the same mod revision, or still absent. */
json_t *etcd_cmp_unchanged(const char *key, const struct etcd_kv *kv, bool found);

/* A txn (the arrays' references taken): *ok whether its compares held; *answer the caller's if asked for. */
int etcd_txn(struct etcd_store *e, json_t *compare, json_t *success, json_t *failure, bool *ok, json_t **answer,
	     const char *what);
/* A txn that also compares the leader key with this handle's term: -EPERM when it no longer leads. *ok false
 * then means the caller's own compares failed. */
int etcd_fenced_txn(struct etcd_store *e, json_t *compare, json_t *success, bool *ok, const char *what);

int etcd_campaign(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now);
int etcd_resign(struct fleet_store *s);
int etcd_leader(struct fleet_store *s, struct fleet_leader *now);
int etcd_intent(struct fleet_store *s, struct fleet_action *a);
int etcd_result(struct fleet_store *s, uint64_t id, enum fleet_result result, const char *detail);
int etcd_unfinished(struct fleet_store *s, struct fleet_action **out, size_t *n);
int etcd_history(struct fleet_store *s, int64_t since, size_t limit, struct fleet_action **out, size_t *n);
int etcd_host_get(struct fleet_store *s, const char *name, struct fleet_host *h);
int etcd_host_put(struct fleet_store *s, const struct fleet_host *h);
int etcd_host_list(struct fleet_store *s, struct fleet_host **out, size_t *n);
int etcd_host_clear_wake_failed(struct fleet_store *s, const char *name);
int etcd_value_get(struct fleet_store *s, const char *key, char *value, size_t len);
int etcd_value_put(struct fleet_store *s, const char *key, const char *value);
int etcd_doc_get(struct fleet_store *s, const char *space, const char *name, char **text);
int etcd_doc_put(struct fleet_store *s, const char *space, const char *name, const char *text);

#endif
