/*
 * Leader election on etcd: each handle holds a lease, kept alive by every
 * campaign; the leader key is created, bound to the lease, in a txn that
 * holds only while the key is absent. When the leader stops renewing, etcd
 * deletes the key with its lease and the next campaign of another takes it.
 * The key's create revision is the term, which every fenced write compares.
 */
#include <errno.h>
#include <string.h>

#include "power/store/etcd_store.h"
#include "vmm/lib/parse.h"

/* Keep this handle's lease alive, or grant a new one when it has none or it expired. */
static int lease_keep(struct etcd_store *e, unsigned int lease_s)
{
	int64_t id, ttl;
	json_t *answer;
	int ret;

	if (e->lease) {
		ret = etcd_call(e, "/v3/lease/keepalive", json_pack("{s:o}", "ID", etcd_num(e->lease)), true, &answer,
				"renewing the lease");
		if (ret < 0)
			return ret;
		ret = etcd_lease(answer, &id, &ttl);
		json_decref(answer);
		if (ret < 0 || id != e->lease)
			return store_fail(&e->base, -EPROTO, "renewing the lease: etcd's answer has no lease ID and TTL");
		if (ttl > 0)
			return 0;
		e->lease = 0;	/* expired: its keys are gone, the leader key with them */
	}
	/* A grant asked twice leaves a spare lease that expires unused: safe to ask again. */
	ret = etcd_call(e, "/v3/lease/grant", json_pack("{s:o}", "TTL", etcd_num(lease_s)), true, &answer,
			"asking for a lease");
	if (ret < 0)
		return ret;
	ret = etcd_lease(answer, &id, &ttl);
	json_decref(answer);
	if (ret < 0 || ttl == 0)
		return store_fail(&e->base, -EPROTO, "asking for a lease: etcd's answer has no lease ID and TTL");
	e->lease = id;
	return 0;
}

/* The leader key as read: its controller (a name) and term, or "" when absent. */
static int leader_from_kv(struct etcd_store *e, const struct etcd_kv *kv, bool found, struct fleet_leader *now)
{
	now->controller[0] = '\0';
	now->term = 0;
	if (!found)
		return 0;
	if (!server_name_is_valid(kv->value))
		return store_fail(&e->base, -EPROTO, "the leader key %s holds '%.64s', not a controller id", kv->key,
				  kv->value);
	strcpy(now->controller, kv->value);
	now->term = (uint64_t)kv->create_revision;
	return 0;
}

/* After a txn that did not create the key: who holds it (its range in responses[0]). */
static int campaign_lost(struct etcd_store *e, json_t *answer, struct fleet_leader *now)
{
	json_t *responses;
	struct etcd_kv kv;
	size_t n = 0;
	bool ok, more;

	if (etcd_txn_outcome(answer, &ok, &responses) < 0 ||
	    etcd_range_kvs(etcd_txn_range(responses, 0), &kv, 1, &n, &more) < 0)
		return store_fail(&e->base, -EPROTO, "campaigning: etcd's answer has no leader key range");
	/* Still this handle's: the key bound to its own lease. */
	if (n && kv.lease == e->lease && strcmp(kv.value, e->base.controller) == 0)
		e->base.term = (uint64_t)kv.create_revision;
	else
		e->base.term = 0;
	return leader_from_kv(e, &kv, n == 1, now);
}

int etcd_campaign(struct fleet_store *s, unsigned int lease_s, bool *leading, struct fleet_leader *now)
{
	struct etcd_store *e = etcd_of(s);
	char key[ETCD_KEY_MAX];
	json_t *answer;
	int64_t revision;
	bool ok;
	int ret = lease_keep(e, lease_s);

	etcd_key(e, key, "leader");
	if (ret == 0)
		ret = etcd_txn(e, json_pack("[o]", etcd_cmp_create(key, 0)),
			       json_pack("[o]", etcd_op_put(key, s->controller, e->lease)),
			       json_pack("[o]", etcd_op_range(key)), &ok, &answer, "campaigning");
	if (ret < 0)
		return ret;
	if (ok && etcd_number(json_object_get(answer, "header"), "revision", &revision) == 0 && revision > 0) {
		s->term = (uint64_t)revision;	/* the txn's revision: the key's create revision */
		strcpy(now->controller, s->controller);
		now->term = s->term;
	} else
		ret = ok ? store_fail(s, -EPROTO, "campaigning: etcd's answer has no revision")
			 : campaign_lost(e, answer, now);
	json_decref(answer);
	*leading = ret == 0 && s->term != 0;
	return ret;
}

int etcd_resign(struct fleet_store *s)
{
	struct etcd_store *e = etcd_of(s);
	char key[ETCD_KEY_MAX];
	json_t *answer;
	bool ok;
	int ret = 0;

	etcd_key(e, key, "leader");
	if (s->term)
		ret = etcd_txn(e, json_pack("[o]", etcd_cmp_create(key, (int64_t)s->term)),
			       json_pack("[o]", etcd_op_delete(key)), json_array(), &ok, NULL, "resigning");
	if (ret == 0 && e->lease) {
		ret = etcd_call(e, "/v3/lease/revoke", json_pack("{s:o}", "ID", etcd_num(e->lease)), true, &answer,
				"revoking the lease");
		json_decref(ret == 0 ? answer : NULL);
		if (ret == -ENOENT)	/* it had expired */
			ret = 0;
	}
	if (ret == 0)
		s->term = 0, e->lease = 0;
	return ret;
}

int etcd_leader(struct fleet_store *s, struct fleet_leader *now)
{
	struct etcd_store *e = etcd_of(s);
	char key[ETCD_KEY_MAX];
	struct etcd_kv kv;
	bool found;
	int ret;

	etcd_key(e, key, "leader");
	ret = etcd_get(e, key, &kv, &found, "reading the leader");
	return ret < 0 ? ret : leader_from_kv(e, &kv, found, now);
}
