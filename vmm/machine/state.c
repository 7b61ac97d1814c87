#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/lib/crc32c.h"
#include "vmm/lib/le.h"
#include "vmm/machine/state.h"

#define HEADER_CRC_OFFSET 20

void state_header_encode(const struct state_section *s, uint8_t out[STATE_HEADER_SIZE])
{
	le_put(out, s->type, 4);
	le_put(out + 4, s->version, 2);
	le_put(out + 6, s->instance, 2);
	le_put(out + 8, s->length, 8);
	le_put(out + 16, s->payload_crc, 4);
	le_put(out + HEADER_CRC_OFFSET, crc32c(0, out, HEADER_CRC_OFFSET), 4);
}

int state_header_decode(const uint8_t in[STATE_HEADER_SIZE], struct state_section *s)
{
	if (le_get(in + HEADER_CRC_OFFSET, 4) != crc32c(0, in, HEADER_CRC_OFFSET))
		return -EBADMSG;
	s->type = le_get(in, 4);
	s->version = le_get(in + 4, 2);
	s->instance = le_get(in + 6, 2);
	s->length = le_get(in + 8, 8);
	s->payload_crc = le_get(in + 16, 4);
	return s->length > STATE_PAYLOAD_MAX ? -EBADMSG : 0;
}

void state_type_name(uint32_t type, char out[8])
{
	for (int i = 0; i < 4; i++) {
		char c = type >> (8 * i);

		out[i] = c >= 0x21 && c <= 0x7e ? c : '?';
	}
	out[4] = '\0';
}

void state_writer_init(struct state_writer *w)
{
	*w = (struct state_writer){ 0 };
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	state_writer_init(w);
}

void state_put_bytes(struct state_writer *w, const void *data, size_t len)
{
	if (w->error)
		return;
	if (w->len + len > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *buf;

		while (cap < w->len + len)
			cap *= 2;
		buf = realloc(w->buf, cap);
		if (!buf) {
			w->error = -ENOMEM;
			return;
		}
		w->buf = buf;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

static void state_put_le(struct state_writer *w, uint64_t v, unsigned int size)
{
	uint8_t bytes[8];

	le_put(bytes, v, size);
	state_put_bytes(w, bytes, size);
}

void state_put_u8(struct state_writer *w, uint8_t v) { state_put_le(w, v, 1); }
void state_put_u16(struct state_writer *w, uint16_t v) { state_put_le(w, v, 2); }
void state_put_u32(struct state_writer *w, uint32_t v) { state_put_le(w, v, 4); }
void state_put_u64(struct state_writer *w, uint64_t v) { state_put_le(w, v, 8); }
void state_put_bool(struct state_writer *w, bool v) { state_put_le(w, v ? 1 : 0, 1); }

void state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	*r = (struct state_reader){ .buf = buf, .len = len };
}

void state_get_bytes(struct state_reader *r, void *out, size_t len)
{
	if (r->error || len > r->len - r->pos) {
		r->error = -EBADMSG;
		memset(out, 0, len);
		return;
	}
	memcpy(out, r->buf + r->pos, len);
	r->pos += len;
}

const uint8_t *state_get_ptr(struct state_reader *r, size_t len)
{
	const uint8_t *p;

	if (r->error || len > r->len - r->pos) {
		r->error = -EBADMSG;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += len;
	return p;
}

static uint64_t state_get_le(struct state_reader *r, unsigned int size)
{
	uint8_t bytes[8];

	state_get_bytes(r, bytes, size);
	return le_get(bytes, size);
}

uint8_t state_get_u8(struct state_reader *r) { return state_get_le(r, 1); }
uint16_t state_get_u16(struct state_reader *r) { return state_get_le(r, 2); }
uint32_t state_get_u32(struct state_reader *r) { return state_get_le(r, 4); }
uint64_t state_get_u64(struct state_reader *r) { return state_get_le(r, 8); }

bool state_get_bool(struct state_reader *r)
{
	uint8_t v = state_get_u8(r);

	if (v > 1)
		r->error = -EBADMSG;
	return v == 1;
}

void state_reader_reject(struct state_reader *r)
{
	r->error = -EBADMSG;
}

int state_reader_finish(const struct state_reader *r)
{
	return r->error || r->pos != r->len ? -EBADMSG : 0;
}

int state_sink_section(struct state_sink *sink, uint32_t type, uint16_t version, uint16_t instance,
		       const struct iovec *iov, int iovcnt)
{
	struct state_section s = { type, version, instance, 0, 0 };
	struct iovec all[1 + iovcnt];
	uint8_t header[STATE_HEADER_SIZE];
	int ret;

	for (int i = 0; i < iovcnt; i++) {
		s.length += iov[i].iov_len;
		s.payload_crc = crc32c(s.payload_crc, iov[i].iov_base, iov[i].iov_len);
	}
	if (s.length > STATE_PAYLOAD_MAX)
		return -EFBIG;
	state_header_encode(&s, header);
	all[0] = (struct iovec){ header, sizeof(header) };
	memcpy(all + 1, iov, iovcnt * sizeof(*iov));
	ret = sink->write(sink->ctx, all, 1 + iovcnt);
	if (ret == 0)
		sink->bytes += sizeof(header) + s.length;
	return ret;
}

int state_sink_writer(struct state_sink *sink, uint32_t type, uint16_t version, uint16_t instance,
		      const struct state_writer *w)
{
	struct iovec iov = { w->buf, w->len };

	if (w->error)
		return w->error;
	return state_sink_section(sink, type, version, instance, &iov, 1);
}
