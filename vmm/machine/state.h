/*
 * Saved state as sections: every device, every vCPU, the in-kernel irqchip
 * and each block of guest RAM is written as one section
 *
 *   type u32 | version u16 | instance u16 | length u64 | payload crc32c u32 | header crc32c u32 | payload
 *
 * (little endian, 24-byte header), so that a reader can skip nothing, trust
 * nothing and name exactly what is wrong. A checkpoint file and a migration
 * stream are sequences of sections (p2v/README.md lists them).
 *
 * Payloads are encoded field by field through struct state_writer and
 * decoded through struct state_reader, which bounds every read: a short or
 * overlong payload is an error, never an out-of-bounds access.
 */
#ifndef SHEER_VMM_MACHINE_STATE_H
#define SHEER_VMM_MACHINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define STATE_TYPE(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define STATE_HEADER_SIZE 24
#define STATE_PAYLOAD_MAX (64ULL << 20)	/* no section is larger: a bigger length is corruption */

struct state_section {
	uint32_t type;
	uint16_t version;
	uint16_t instance;	/* vCPU number, memory block, ...; 0 for singletons */
	uint64_t length;
	uint32_t payload_crc;
};

/* Encode the 24-byte header of s (its payload_crc already set). */
void state_header_encode(const struct state_section *s, uint8_t out[STATE_HEADER_SIZE]);
/* Decode and check a header: -EBADMSG when its own checksum or length is wrong. */
int state_header_decode(const uint8_t in[STATE_HEADER_SIZE], struct state_section *s);
/* "SRL0" for a section type, for error messages. */
void state_type_name(uint32_t type, char out[8]);

/* A growable payload being encoded. Allocation failure sticks in .error (-ENOMEM). */
struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	int error;
};

void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);
void state_put_u8(struct state_writer *w, uint8_t v);
void state_put_u16(struct state_writer *w, uint16_t v);
void state_put_u32(struct state_writer *w, uint32_t v);
void state_put_u64(struct state_writer *w, uint64_t v);
void state_put_bool(struct state_writer *w, bool v);
void state_put_bytes(struct state_writer *w, const void *data, size_t len);

/*
 * A payload being decoded. Reading past the end sets .error (-EBADMSG) and
 * yields zeros, so a decoder reads all its fields and checks once.
 */
struct state_reader {
	const uint8_t *buf;
	size_t len, pos;
	int error;
};

void state_reader_init(struct state_reader *r, const void *buf, size_t len);
uint8_t state_get_u8(struct state_reader *r);
uint16_t state_get_u16(struct state_reader *r);
uint32_t state_get_u32(struct state_reader *r);
uint64_t state_get_u64(struct state_reader *r);
/* Only 0 or 1 are booleans; anything else is an error. */
bool state_get_bool(struct state_reader *r);
void state_get_bytes(struct state_reader *r, void *out, size_t len);
/* The next len bytes in place (valid as long as the payload is), or NULL with .error set. */
const uint8_t *state_get_ptr(struct state_reader *r, size_t len);
/* Mark the payload invalid (a decoded value out of range). */
void state_reader_reject(struct state_reader *r);
/* 0 when every byte was consumed and nothing was wrong, else -EBADMSG. */
int state_reader_finish(const struct state_reader *r);

/*
 * Where sections go: a file, a socket. write() writes all of iov or fails
 * with a negative errno; bytes counts everything written.
 */
struct state_sink {
	int (*write)(void *ctx, const struct iovec *iov, int iovcnt);
	void *ctx;
	uint64_t bytes;
};

/* Frame the payload in iov[0..iovcnt) as one section and write it. */
int state_sink_section(struct state_sink *sink, uint32_t type, uint16_t version, uint16_t instance,
		       const struct iovec *iov, int iovcnt);
/* The same for an encoded payload; returns w->error if encoding failed. */
int state_sink_writer(struct state_sink *sink, uint32_t type, uint16_t version, uint16_t instance,
		      const struct state_writer *w);

#endif
