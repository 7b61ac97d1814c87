/*
 * Fleet state in etcd, through its v3 JSON gateway: keys under a prefix,
 * leadership on a lease, every write of a leader in a txn that compares the
 * leader key (etcd_store.h has the keys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_store.h"

#define ETCD_SCHEMA_VERSION 1
#define ETCD_DEFAULT_PREFIX "/sheer/fleet/"

static void etcd_close(struct fleet_store *s)
{
	free(s);
}

static const struct fleet_store_ops etcd_ops = {
	.close = etcd_close,
	.campaign = etcd_campaign,
	.resign = etcd_resign,
	.leader = etcd_leader,
	.intent = etcd_intent,
	.result = etcd_result,
	.unfinished = etcd_unfinished,
	.history = etcd_history,
	.host_get = etcd_host_get,
	.host_put = etcd_host_put,
	.host_list = etcd_host_list,
	.host_clear_wake_failed = etcd_host_clear_wake_failed,
	.value_get = etcd_value_get,
	.value_put = etcd_value_put,
	.doc_get = etcd_doc_get,
	.doc_put = etcd_doc_put,
};

/* "/sheer/fleet/": starts and ends with '/', printable, no spaces; keys sort under it. */
static bool prefix_is_valid(const char *prefix)
{
	size_t len = strlen(prefix);

	if (len < 2 || len >= ETCD_PREFIX_MAX - 64 || prefix[0] != '/' || prefix[len - 1] != '/')
		return false;
	for (const char *c = prefix; *c; c++)
		if (*c <= ' ' || *c > '~')
			return false;
	return true;
}

static int options_copy(struct etcd_store *e, const struct fleet_store_options *opt, char *why, size_t whylen)
{
	const char *prefix = opt->prefix ? opt->prefix : ETCD_DEFAULT_PREFIX;
	const char *files[] = { opt->ca_file, opt->cert_file, opt->key_file };
	char *dst[] = { e->client.ca_file, e->client.cert_file, e->client.key_file };

	if (!prefix_is_valid(prefix)) {
		snprintf(why, whylen, "key prefix '%.64s': give one that starts and ends with '/' (e.g. %s)", prefix,
			 ETCD_DEFAULT_PREFIX);
		return -EINVAL;
	}
	strcpy(e->prefix, prefix);
	for (size_t i = 0; i < 3; i++) {
		if (files[i] && strlen(files[i]) >= ETCD_PATH_LEN) {
			snprintf(why, whylen, "file name '%.64s...' is longer than %d bytes", files[i], ETCD_PATH_LEN - 1);
			return -EINVAL;
		}
		snprintf(dst[i], ETCD_PATH_LEN, "%s", files[i] ? files[i] : "");
	}
	if (opt->timeout_ms)
		e->client.timeout_ms = opt->timeout_ms;
	return 0;
}

static int schema_version_read(struct etcd_store *e, const struct etcd_kv *kv)
{
	unsigned int version = 0;
	char *end;

	version = (unsigned int)strtoul(kv->value, &end, 10);
	if (!kv->value[0] || *end || strspn(kv->value, "0123456789") != kv->value_len)
		return store_fail(&e->base, -EPROTO, "key %s holds '%.32s', not a schema version: is the prefix "
				  "another program's?", kv->key, kv->value);
	if (version > ETCD_SCHEMA_VERSION)
		return store_fail(&e->base, -EPROTONOSUPPORT, "its schema version %u is newer than this sheer knows "
				  "(%d): run the sheer that wrote it, or a newer one", version, ETCD_SCHEMA_VERSION);
	return 0;
}

/* Read the layout's version, writing it first into an empty prefix. Also the first sign etcd answers. */
static int schema_check(struct etcd_store *e)
{
	char key[ETCD_KEY_MAX], version[16];
	struct etcd_kv kv;
	bool found, ok;
	int ret;

	etcd_key(e, key, "schema");
	snprintf(version, sizeof(version), "%d", ETCD_SCHEMA_VERSION);
	for (int attempt = 0; attempt < 2; attempt++) {
		ret = etcd_get(e, key, &kv, &found, "reading the schema version");
		if (ret < 0 || found)
			return ret < 0 ? ret : schema_version_read(e, &kv);
		ret = etcd_txn(e, json_pack("[o]", etcd_cmp_create(key, 0)), json_pack("[o]", etcd_op_put(key, version, 0)),
			       json_array(), &ok, NULL, "writing the schema version");
		if (ret < 0 || ok)
			return ret;
	}
	return store_fail(&e->base, -EIO, "the schema version key %s keeps changing", key);
}

int etcd_store_open(const char *url, const struct fleet_store_options *opt, struct fleet_store **out, char *err,
		    size_t errlen)
{
	struct etcd_store *e = calloc(1, sizeof(*e));
	char why[FLEET_ERR_MAX];
	int ret;

	if (!e) {
		snprintf(err, errlen, "%s: %s", url, strerror(ENOMEM));
		return -ENOMEM;
	}
	store_init(&e->base, &etcd_ops, url, opt->controller);
	ret = etcd_client_init(&e->client, url + strlen("etcd:"), why, sizeof(why));
	if (ret == 0)
		ret = options_copy(e, opt, why, sizeof(why));
	if (ret < 0)
		store_fail(&e->base, ret, "%s", why);
	else
		ret = schema_check(e);
	if (ret < 0) {
		snprintf(err, errlen, "%s", e->base.err);
		free(e);
		return ret;
	}
	*out = &e->base;
	return 0;
}
