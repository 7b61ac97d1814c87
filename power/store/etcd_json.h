/*
 * etcd's v3 JSON gateway, both ways: requests built with keys and values in
 * base64 and revisions as decimal strings, and answers read as untrusted
 * input (every field's type checked, base64 decoded strictly, numbers that
 * are not decimal strings refused). The gateway leaves out fields whose value
 * is zero, false or empty: an absent number reads as 0.
 */
#ifndef SHEER_POWER_STORE_ETCD_JSON_H
#define SHEER_POWER_STORE_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ETCD_KEY_MAX 512	/* with the NUL */
#define ETCD_VALUE_MAX 4096	/* the longest value sheer writes or accepts, without the NUL */

struct etcd_kv {
	char key[ETCD_KEY_MAX];
	char value[ETCD_VALUE_MAX + 1];	/* NUL-terminated; a value holding a NUL is refused */
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease;
};

/* Base64 (RFC 4648, padded): out holds 4 * ceil(len / 3) + 1 bytes. */
void etcd_base64_encode(const void *data, size_t len, char *out);
/* Strict: padded, no whitespace, no stray bits. 0 with *outlen, or -EPROTO; out holds 3 * strlen(text) / 4. */
int etcd_base64_decode(const char *text, void *out, size_t outmax, size_t *outlen);
/* A new JSON string holding text in base64 (NULL when out of memory or too long). */
json_t *etcd_b64(const char *text);
/* A new JSON string holding v in decimal, as the gateway wants 64-bit numbers. */
json_t *etcd_num(int64_t v);

/* A whole answer: a JSON object (within len bytes), or -EPROTO. */
int etcd_answer_parse(const char *data, size_t len, json_t **out);
/* The reason in an error answer ({"error": ..., "message": ...}), printable ASCII, or "". */
void etcd_answer_error(const json_t *answer, char *out, size_t outlen);
/* obj's field name as a 64-bit number: a decimal string, or absent (0). -EPROTO otherwise. */
int etcd_number(const json_t *obj, const char *name, int64_t *v);
/* A range answer's kvs (at most max of them, else -E2BIG), and whether more were left out. */
int etcd_range_kvs(const json_t *range, struct etcd_kv *kvs, size_t max, size_t *n, bool *more);
/* A txn answer: whether its compares held, and its responses (borrowed; an array, or NULL for none). */
int etcd_txn_outcome(const json_t *answer, bool *succeeded, json_t **responses);
/* The range answer inside response i of a txn's responses: borrowed, or NULL when it is not one. */
const json_t *etcd_txn_range(const json_t *responses, size_t i);
/* A lease grant's or keepalive's ID and TTL (keepalive answers inside "result"); TTL 0: expired. */
int etcd_lease(const json_t *answer, int64_t *id, int64_t *ttl);

#endif
