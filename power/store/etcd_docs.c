/*
 * Documents in etcd. A document is longer than one value sheer accepts
 * (ETCD_VALUE_MAX), so it is kept in chunks, docs/SPACE/NAME/NNNN, written
 * in one fenced txn that also deletes the old version's extra chunks, and read back in one
 * scan at one revision: a reader never sees half of two versions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_store.h"

#define DOC_CHUNK ETCD_VALUE_MAX

struct doc_read {
	char dir[ETCD_KEY_MAX];	/* the chunks' common key prefix, whole */
	char *text;
	size_t len;
	unsigned int next;	/* the chunk expected next */
};

/* A chunk must be the next one in order, and the whole no longer than a document may be. */
static int chunk_take(struct etcd_store *e, const struct etcd_kv *kv, void *ctx)
{
	struct doc_read *r = ctx;
	char want[ETCD_KEY_MAX + 16];

	snprintf(want, sizeof(want), "%s%04u", r->dir, r->next);
	if (strcmp(kv->key, want) != 0 || r->len + kv->value_len > FLEET_DOC_MAX)
		return store_fail(&e->base, -EPROTO, "reading a document: chunk %s is out of order or too long",
				  kv->key);
	memcpy(r->text + r->len, kv->value, kv->value_len);
	r->len += kv->value_len;
	r->text[r->len] = '\0';
	r->next++;
	return 0;
}

int etcd_doc_get(struct fleet_store *s, const char *space, const char *name, char **text)
{
	struct etcd_store *e = etcd_of(s);
	struct doc_read r = { .text = malloc(FLEET_DOC_MAX + 1) };
	char rel[ETCD_KEY_MAX];
	int ret;

	if (!r.text)
		return store_fail(s, -ENOMEM, "reading a document: %s", strerror(ENOMEM));
	snprintf(rel, sizeof(rel), "docs/%s/%s/", space, name);
	etcd_key(e, r.dir, "%s", rel);
	ret = etcd_scan(e, rel, false, chunk_take, &r, "reading a document");
	if (ret == 0 && r.next == 0)
		ret = store_fail(s, -ENOENT, "no document %s/%s", space, name);
	if (ret < 0) {
		free(r.text);
		return ret;
	}
	*text = r.text;
	return 0;
}

/*
 * The old version's chunks past the new one's: [dir + first, dir with its
 * last byte one higher). etcd refuses a txn whose delete range covers a key
 * it also puts, so the chunks rewritten are left out of it.
 */
static json_t *op_delete_from(const char *dir, unsigned int first)
{
	char start[ETCD_KEY_MAX + 16], end[ETCD_KEY_MAX];

	snprintf(start, sizeof(start), "%s%04u", dir, first);
	snprintf(end, sizeof(end), "%s", dir);
	end[strlen(end) - 1]++;
	return json_pack("{s:{s:o, s:o}}", "request_delete_range", "key", etcd_b64(start), "range_end", etcd_b64(end));
}

int etcd_doc_put(struct fleet_store *s, const char *space, const char *name, const char *text)
{
	struct etcd_store *e = etcd_of(s);
	char dir[ETCD_KEY_MAX], key[ETCD_KEY_MAX + 16], chunk[DOC_CHUNK + 1];
	size_t len = strlen(text), at = 0;
	json_t *ops = json_array();
	unsigned int i = 0;
	bool ok;

	etcd_key(e, dir, "docs/%s/%s/", space, name);
	do {
		size_t n = len - at < DOC_CHUNK ? len - at : DOC_CHUNK;

		memcpy(chunk, text + at, n);
		chunk[n] = '\0';
		snprintf(key, sizeof(key), "%s%04u", dir, i++);
		json_array_append_new(ops, etcd_op_put(key, chunk, 0));
		at += n;
	} while (at < len);
	json_array_append_new(ops, op_delete_from(dir, i));
	return etcd_fenced_txn(e, json_array(), ops, &ok, "writing a document");
}
