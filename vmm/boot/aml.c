#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/aml.h"
#include "vmm/lib/le.h"

enum {
	AML_ZERO = 0x00,
	AML_ONE = 0x01,
	AML_NAME = 0x08,
	AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b,
	AML_DWORD_PREFIX = 0x0c,
	AML_STRING_PREFIX = 0x0d,
	AML_QWORD_PREFIX = 0x0e,
	AML_SCOPE = 0x10,
	AML_BUFFER = 0x11,
	AML_PACKAGE = 0x12,
	AML_DUAL_NAME_PREFIX = 0x2e,
	AML_MULTI_NAME_PREFIX = 0x2f,
	AML_EXT_PREFIX = 0x5b,
	AML_ROOT_PREFIX = 0x5c,
	AML_METHOD = 0x14,
	AML_LOCAL0 = 0x60,
	AML_STORE = 0x70,
	AML_AND = 0x7b,
	AML_NOTIFY = 0x86,
	AML_IF = 0xa0,
	AML_OP_REGION = 0x80,	/* after AML_EXT_PREFIX */
	AML_FIELD = 0x81,	/* after AML_EXT_PREFIX */
	AML_DEVICE = 0x82,	/* after AML_EXT_PREFIX */
	AML_SYSTEM_IO = 0x01,
	AML_FIELD_DWORD_ACC_WRITE_ZEROS = 0x03 | 2 << 5,
	AML_ONES = 0xff,
};

#define AML_PKG_LENGTH_MAX ((1U << 28) - 1)
#define AML_NAME_SEGS_MAX 255

void aml_init(struct aml *aml)
{
	memset(aml, 0, sizeof(*aml));
}

void aml_free(struct aml *aml)
{
	free(aml->buf);
	aml_init(aml);
}

int aml_finish(struct aml *aml)
{
	return aml->error;
}

static void aml_fail(struct aml *aml, int error)
{
	if (!aml->error)
		aml->error = error;
}

static int aml_reserve(struct aml *aml, size_t more)
{
	size_t cap = aml->cap ? aml->cap : 256;
	uint8_t *buf;

	if (aml->error)
		return aml->error;
	if (more > SIZE_MAX / 2 - aml->len) {
		aml_fail(aml, -E2BIG);
		return aml->error;
	}
	while (cap < aml->len + more)
		cap *= 2;
	if (cap == aml->cap)
		return 0;
	buf = realloc(aml->buf, cap);
	if (!buf) {
		aml_fail(aml, -ENOMEM);
		return aml->error;
	}
	aml->buf = buf;
	aml->cap = cap;
	return 0;
}

void aml_bytes(struct aml *aml, const void *data, size_t len)
{
	if (aml_reserve(aml, len))
		return;
	memcpy(aml->buf + aml->len, data, len);
	aml->len += len;
}

static void aml_byte(struct aml *aml, uint8_t byte)
{
	aml_bytes(aml, &byte, 1);
}

static void aml_le(struct aml *aml, uint64_t value, unsigned int size)
{
	uint8_t bytes[8];

	le_put(bytes, value, size);
	aml_bytes(aml, bytes, size);
}

static bool aml_name_char_ok(char c, bool first)
{
	return c == '_' || isupper((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

/* One NameSeg: up to four characters, padded with '_'. */
static int aml_name_seg(struct aml *aml, const char *seg, size_t len)
{
	char padded[4] = { '_', '_', '_', '_' };

	if (len == 0 || len > 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!aml_name_char_ok(seg[i], i == 0))
			return -EINVAL;
		padded[i] = seg[i];
	}
	aml_bytes(aml, padded, 4);
	return 0;
}

void aml_name_string(struct aml *aml, const char *path)
{
	size_t n_segs = 1;
	const char *seg;

	if (*path == '\\') {
		aml_byte(aml, AML_ROOT_PREFIX);
		path++;
	}
	for (const char *p = path; *p; p++)
		n_segs += *p == '.';
	if (n_segs > AML_NAME_SEGS_MAX) {
		aml_fail(aml, -EINVAL);
		return;
	}
	if (n_segs == 2) {
		aml_byte(aml, AML_DUAL_NAME_PREFIX);
	} else if (n_segs > 2) {
		aml_byte(aml, AML_MULTI_NAME_PREFIX);
		aml_byte(aml, n_segs);
	}
	for (seg = path;; ) {
		const char *end = strchr(seg, '.');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);

		if (aml_name_seg(aml, seg, len) < 0) {
			aml_fail(aml, -EINVAL);
			return;
		}
		if (!end)
			break;
		seg = end + 1;
	}
}

void aml_integer(struct aml *aml, uint64_t value)
{
	if (value == 0) {
		aml_byte(aml, AML_ZERO);
	} else if (value == 1) {
		aml_byte(aml, AML_ONE);
	} else if (value == UINT64_MAX) {
		aml_byte(aml, AML_ONES);
	} else if (value <= UINT8_MAX) {
		aml_byte(aml, AML_BYTE_PREFIX);
		aml_le(aml, value, 1);
	} else if (value <= UINT16_MAX) {
		aml_byte(aml, AML_WORD_PREFIX);
		aml_le(aml, value, 2);
	} else if (value <= UINT32_MAX) {
		aml_byte(aml, AML_DWORD_PREFIX);
		aml_le(aml, value, 4);
	} else {
		aml_byte(aml, AML_QWORD_PREFIX);
		aml_le(aml, value, 8);
	}
}

void aml_string(struct aml *aml, const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p > 0x7f) {
			aml_fail(aml, -EINVAL);
			return;
		}
	aml_byte(aml, AML_STRING_PREFIX);
	aml_bytes(aml, s, strlen(s) + 1);
}

uint32_t aml_eisa_id_value(const char *id)
{
	uint32_t value = 0;

	if (strlen(id) != 7)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (!isupper((unsigned char)id[i]))
			return 0;
		value = value << 5 | (id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		if (!isxdigit((unsigned char)id[i]))
			return 0;
		value = value << 4 | (isdigit((unsigned char)id[i]) ? id[i] - '0' : toupper(id[i]) - 'A' + 10);
	}
	/* The ID is defined as a big-endian byte string. */
	return __builtin_bswap32(value);
}

void aml_eisa_id(struct aml *aml, const char *id)
{
	uint32_t value = aml_eisa_id_value(id);

	if (!value) {
		aml_fail(aml, -EINVAL);
		return;
	}
	aml_byte(aml, AML_DWORD_PREFIX);
	aml_le(aml, value, 4);
}

void aml_name(struct aml *aml, const char *path)
{
	aml_byte(aml, AML_NAME);
	aml_name_string(aml, path);
}

size_t aml_pkg_length_encode(uint8_t out[4], size_t body_len)
{
	size_t n, total;

	if (body_len + 1 <= 0x3f) {
		out[0] = body_len + 1;
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body_len + n;
		if (total < (1ULL << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4)
		return 0;
	out[0] = (n - 1) << 6 | (total & 0xf);
	for (size_t i = 1; i < n; i++)
		out[i] = total >> (4 + 8 * (i - 1));
	return n;
}

/* A one-byte placeholder is reserved for PkgLength; aml_close() widens it. */
static size_t aml_open(struct aml *aml, const uint8_t *op, size_t op_len)
{
	aml_bytes(aml, op, op_len);
	aml_byte(aml, 0);
	return aml->len - 1;
}

void aml_close(struct aml *aml, size_t mark)
{
	uint8_t encoded[4];
	size_t body, n;

	if (aml->error)
		return;
	if (mark >= aml->len) {
		aml_fail(aml, -EINVAL);
		return;
	}
	body = aml->len - mark - 1;
	n = aml_pkg_length_encode(encoded, body);
	if (n == 0) {
		aml_fail(aml, -E2BIG);
		return;
	}
	if (aml_reserve(aml, n - 1))
		return;
	memmove(aml->buf + mark + n, aml->buf + mark + 1, body);
	memcpy(aml->buf + mark, encoded, n);
	aml->len += n - 1;
}

size_t aml_scope_open(struct aml *aml, const char *path)
{
	static const uint8_t op[] = { AML_SCOPE };
	size_t mark = aml_open(aml, op, sizeof(op));

	aml_name_string(aml, path);
	return mark;
}

size_t aml_device_open(struct aml *aml, const char *path)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_DEVICE };
	size_t mark = aml_open(aml, op, sizeof(op));

	aml_name_string(aml, path);
	return mark;
}

size_t aml_package_open(struct aml *aml, unsigned int n_elements)
{
	static const uint8_t op[] = { AML_PACKAGE };
	size_t mark = aml_open(aml, op, sizeof(op));

	if (n_elements > UINT8_MAX)
		aml_fail(aml, -EINVAL);
	aml_byte(aml, n_elements);
	return mark;
}

void aml_buffer(struct aml *aml, const void *data, size_t len)
{
	static const uint8_t op[] = { AML_BUFFER };
	size_t mark = aml_open(aml, op, sizeof(op));

	aml_integer(aml, len);
	aml_bytes(aml, data, len);
	aml_close(aml, mark);
}

size_t aml_method_open(struct aml *aml, const char *path, unsigned int nargs)
{
	static const uint8_t op[] = { AML_METHOD };
	size_t mark = aml_open(aml, op, sizeof(op));

	if (nargs > 7)
		aml_fail(aml, -EINVAL);
	aml_name_string(aml, path);
	aml_byte(aml, (nargs & 7) | 1 << 3);	/* serialized: one hotplug event handled at a time */
	return mark;
}

size_t aml_if_open(struct aml *aml)
{
	static const uint8_t op[] = { AML_IF };

	return aml_open(aml, op, sizeof(op));
}

void aml_io_region(struct aml *aml, const char *name, uint16_t base, uint16_t len)
{
	aml_byte(aml, AML_EXT_PREFIX);
	aml_byte(aml, AML_OP_REGION);
	aml_name_string(aml, name);
	aml_byte(aml, AML_SYSTEM_IO);
	aml_integer(aml, base);
	aml_integer(aml, len);
}

void aml_dword_fields(struct aml *aml, const char *region, const char *const *names, unsigned int n)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_FIELD };
	size_t mark = aml_open(aml, op, sizeof(op));

	aml_name_string(aml, region);
	aml_byte(aml, AML_FIELD_DWORD_ACC_WRITE_ZEROS);
	for (unsigned int i = 0; i < n; i++) {
		/* A named field: its NameSeg, then its width in bits as a PkgLength. */
		if (strlen(names[i]) != 4 || aml_name_seg(aml, names[i], 4) < 0)
			aml_fail(aml, -EINVAL);
		aml_byte(aml, 32);
	}
	aml_close(aml, mark);
}

void aml_store(struct aml *aml)
{
	aml_byte(aml, AML_STORE);
}

void aml_and(struct aml *aml)
{
	aml_byte(aml, AML_AND);
}

void aml_notify(struct aml *aml)
{
	aml_byte(aml, AML_NOTIFY);
}

void aml_local(struct aml *aml, unsigned int n)
{
	if (n > 7)
		aml_fail(aml, -EINVAL);
	aml_byte(aml, AML_LOCAL0 + (n & 7));
}

void aml_null_target(struct aml *aml)
{
	aml_byte(aml, AML_ZERO);
}
