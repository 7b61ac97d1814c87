/* etcd's JSON gateway: requests built, answers checked field by field. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/store/etcd_json.h"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void etcd_base64_encode(const void *data, size_t len, char *out)
{
	const uint8_t *in = data;
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* One group of four characters (the last may end in padding) into up to three bytes. */
static int b64_group(const char *g, bool last, uint8_t *out, size_t *n)
{
	int pad = (g[3] == '=') + (g[2] == '=' && g[3] == '=');
	uint32_t v = 0;

	if (pad && !last)
		return -EPROTO;
	for (int k = 0; k < 4 - pad; k++) {
		int d = b64_value(g[k]);

		if (d < 0)
			return -EPROTO;
		v = v << 6 | (uint32_t)d;
	}
	v <<= 6 * pad;
	/* Bits below the last byte must be zero: one text per value. */
	if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
		return -EPROTO;
	*n = 3 - (size_t)pad;
	out[0] = v >> 16, out[1] = v >> 8 & 0xff, out[2] = v & 0xff;
	return 0;
}

int etcd_base64_decode(const char *text, void *out, size_t outmax, size_t *outlen)
{
	size_t len = strlen(text), o = 0;

	if (len % 4)
		return -EPROTO;
	for (size_t i = 0; i < len; i += 4) {
		uint8_t bytes[3];
		size_t n;

		if (b64_group(text + i, i + 4 == len, bytes, &n) < 0 || n > outmax - o)
			return -EPROTO;
		memcpy((uint8_t *)out + o, bytes, n);
		o += n;
	}
	*outlen = o;
	return 0;
}

json_t *etcd_b64(const char *text)
{
	size_t len = strlen(text);
	char *coded = len <= ETCD_VALUE_MAX ? malloc(4 * ((len + 2) / 3) + 1) : NULL;
	json_t *s;

	if (!coded)
		return NULL;
	etcd_base64_encode(text, len, coded);
	s = json_string(coded);
	free(coded);
	return s;
}

json_t *etcd_num(int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, v);
	return json_string(text);
}

int etcd_answer_parse(const char *data, size_t len, json_t **out)
{
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(root)) {
		json_decref(root);
		return -EPROTO;
	}
	*out = root;
	return 0;
}

void etcd_answer_error(const json_t *answer, char *out, size_t outlen)
{
	const char *msg = json_string_value(json_object_get(answer, "message"));

	if (!msg)
		msg = json_string_value(json_object_get(answer, "error"));
	snprintf(out, outlen, "%.200s", msg ? msg : "");
	/* etcd's words reach a terminal and a log line: printable ASCII only. */
	for (char *c = out; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
}

int etcd_number(const json_t *obj, const char *name, int64_t *v)
{
	const json_t *field = json_object_get(obj, name);
	const char *text = json_string_value(field);
	char *end;

	*v = 0;
	if (!field)
		return 0;
	if (!text || !text[0] || strlen(text) > 20 || strspn(text, "-0123456789") != strlen(text))
		return -EPROTO;
	errno = 0;
	*v = strtoll(text, &end, 10);
	return errno || *end ? -EPROTO : 0;
}

/* A base64 field (absent: empty) decoded into out (size bytes, with room for the NUL): no NUL inside. */
static int b64_field(const json_t *obj, const char *name, char *out, size_t size, size_t *len)
{
	const json_t *field = json_object_get(obj, name);
	const char *text = json_string_value(field);

	*len = 0;
	out[0] = '\0';
	if (!field)
		return 0;
	if (!text || etcd_base64_decode(text, out, size - 1, len) < 0 || memchr(out, '\0', *len))
		return -EPROTO;
	out[*len] = '\0';
	return 0;
}

static int kv_parse(const json_t *obj, struct etcd_kv *kv)
{
	size_t key_len;

	if (!json_is_object(obj) || b64_field(obj, "key", kv->key, sizeof(kv->key), &key_len) < 0 || !key_len ||
	    b64_field(obj, "value", kv->value, sizeof(kv->value), &kv->value_len) < 0 ||
	    etcd_number(obj, "create_revision", &kv->create_revision) < 0 ||
	    etcd_number(obj, "mod_revision", &kv->mod_revision) < 0 || etcd_number(obj, "lease", &kv->lease) < 0)
		return -EPROTO;
	/* An existing key has both revisions: a kv without them is not etcd's. */
	return kv->create_revision > 0 && kv->mod_revision >= kv->create_revision ? 0 : -EPROTO;
}

int etcd_range_kvs(const json_t *range, struct etcd_kv *kvs, size_t max, size_t *n, bool *more)
{
	const json_t *list = json_object_get(range, "kvs"), *m = json_object_get(range, "more");

	*n = 0;
	*more = false;
	if (!json_is_object(range) || (list && !json_is_array(list)) || (m && !json_is_boolean(m)))
		return -EPROTO;
	if (json_array_size(list) > max)
		return -E2BIG;
	for (size_t i = 0; i < json_array_size(list); i++)
		if (kv_parse(json_array_get(list, i), &kvs[i]) < 0)
			return -EPROTO;
	*n = json_array_size(list);
	*more = json_is_true(m);
	return 0;
}

int etcd_txn_outcome(const json_t *answer, bool *succeeded, json_t **responses)
{
	json_t *ok = json_object_get(answer, "succeeded"), *list = json_object_get(answer, "responses");

	if ((ok && !json_is_boolean(ok)) || (list && !json_is_array(list)) || !json_is_object(answer))
		return -EPROTO;
	*succeeded = json_is_true(ok);
	*responses = list;
	return 0;
}

const json_t *etcd_txn_range(const json_t *responses, size_t i)
{
	const json_t *range = json_object_get(json_array_get(responses, i), "response_range");

	return json_is_object(range) ? range : NULL;
}

int etcd_lease(const json_t *answer, int64_t *id, int64_t *ttl)
{
	const json_t *result = json_object_get(answer, "result");
	const json_t *lease = result ? result : answer;

	if (!json_is_object(lease) || etcd_number(lease, "ID", id) < 0 || etcd_number(lease, "TTL", ttl) < 0)
		return -EPROTO;
	return *id > 0 && *ttl >= 0 ? 0 : -EPROTO;
}
