/*
 * Saved state without /dev/kvm: section framing, each device's
 * save/restore contract on a fake machine, corrupted sections of every type
 * (refused, and the target left as it was), the resource allocator, CPUID
 * tables, guest RAM blocks and whole checkpoint images parsed in memory.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "p2v/checkpoint/checkpoint.h"
#include "p2v/checkpoint/header.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pci_hotplug.h"
#include "vmm/devices/pm.h"
#include "vmm/devices/reset_control.h"
#include "vmm/devices/rtc.h"
#include "vmm/devices/serial.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/memory_state.h"
#include "vmm/lib/crc32c.h"
#include "vmm/machine/device.h"
#include "vmm/machine/layout.h"
#include "vmm/machine/resources.h"
#include "vmm/machine/state.h"
#include "tests/unit/fake_machine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096
#define TEST_TYPE STATE_TYPE('T', 'S', 'T', '0')
#define PM_TIMER_HZ 3579545U

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool same_bytes(const struct state_writer *a, const struct state_writer *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}

/* A sink that appends every section to a buffer. */
static int append_to_writer(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct state_writer *w = ctx;

	for (int i = 0; i < iovcnt; i++)
		state_put_bytes(w, iov[i].iov_base, iov[i].iov_len);
	return w->error;
}

static int failing_write(void *ctx, const struct iovec *iov, int iovcnt)
{
	(void)ctx;
	(void)iov;
	(void)iovcnt;
	return -EIO;
}

static struct state_sink buffer_sink(struct state_writer *w)
{
	return (struct state_sink){ append_to_writer, w, 0 };
}

/* The next section of a stream written through buffer_sink, checksums verified; false at its end. */
static bool next_section(const struct state_writer *stream, size_t *pos, struct state_section *s,
			 const uint8_t **payload)
{
	if (*pos == stream->len)
		return false;
	ck_assert_uint_le(*pos + STATE_HEADER_SIZE, stream->len);
	ck_assert_int_eq(state_header_decode(stream->buf + *pos, s), 0);
	ck_assert_uint_le(s->length, stream->len - *pos - STATE_HEADER_SIZE);
	*payload = stream->buf + *pos + STATE_HEADER_SIZE;
	ck_assert_uint_eq(crc32c(0, *payload, s->length), s->payload_crc);
	*pos += STATE_HEADER_SIZE + s->length;
	return true;
}

/* ---- 1. section framing ---- */

static uint32_t crc32c_bitwise(const uint8_t *p, size_t len)
{
	uint32_t crc = ~0U;

	while (len--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = crc >> 1 ^ (0x82f63b78U & -(crc & 1));
	}
	return ~crc;
}

START_TEST(crc32c_matches_the_castagnoli_check_value)
{
	uint8_t buf[1031];

	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xe3069283);
	ck_assert_uint_eq(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283);	/* continued */
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = i * 131 + 7;
	/* an unaligned start and an odd length: the fast path agrees with the definition */
	ck_assert_uint_eq(crc32c(0, buf + 3, 1021), crc32c_bitwise(buf + 3, 1021));
}
END_TEST

START_TEST(section_header_round_trips_and_refuses_any_flipped_bit)
{
	static const uint8_t want[] = { 'T', 'S', 'T', '0', 3, 0, 7, 0, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0,
					0xef, 0xbe, 0xad, 0xde };
	const struct state_section s = { TEST_TYPE, 3, 7, 0x01234567, 0xdeadbeef };
	struct state_section d, big = s;
	uint8_t h[STATE_HEADER_SIZE];
	char name[8];

	state_header_encode(&s, h);
	ck_assert_mem_eq(h, want, sizeof(want));
	ck_assert_int_eq(state_header_decode(h, &d), 0);
	ck_assert_uint_eq(d.type, s.type);
	ck_assert_uint_eq(d.version, 3);
	ck_assert_uint_eq(d.instance, 7);
	ck_assert_uint_eq(d.length, 0x01234567);
	ck_assert_uint_eq(d.payload_crc, 0xdeadbeef);
	for (unsigned int bit = 0; bit < 8 * STATE_HEADER_SIZE; bit++) {
		h[bit / 8] ^= 1 << (bit % 8);
		ck_assert_msg(state_header_decode(h, &d) == -EBADMSG, "header bit %u flipped, accepted", bit);
		h[bit / 8] ^= 1 << (bit % 8);
	}
	big.length = STATE_PAYLOAD_MAX;
	state_header_encode(&big, h);
	ck_assert_int_eq(state_header_decode(h, &d), 0);
	big.length = STATE_PAYLOAD_MAX + 1;	/* a good checksum does not make a huge length sane */
	state_header_encode(&big, h);
	ck_assert_int_eq(state_header_decode(h, &d), -EBADMSG);
	state_type_name(s.type, name);
	ck_assert_str_eq(name, "TST0");
	state_type_name(STATE_TYPE('A', 0, ' ', 0x7f), name);
	ck_assert_str_eq(name, "A???");
}
END_TEST

START_TEST(writer_encodes_little_endian)
{
	static const uint8_t want[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 0, 'x', 'y' };
	struct state_writer w;

	state_writer_init(&w);
	state_put_u8(&w, 1);
	state_put_u16(&w, 0x0302);
	state_put_u32(&w, 0x07060504);
	state_put_u64(&w, 0x0f0e0d0c0b0a0908ULL);
	state_put_bool(&w, true);
	state_put_bool(&w, false);
	state_put_bytes(&w, "xy", 2);
	ck_assert_int_eq(w.error, 0);
	ck_assert_uint_eq(w.len, sizeof(want));
	ck_assert_mem_eq(w.buf, want, sizeof(want));
	state_writer_free(&w);
	ck_assert_ptr_null(w.buf);
	ck_assert_uint_eq(w.len, 0);
}
END_TEST

START_TEST(reader_reads_past_the_end_as_zeros_with_an_error)
{
	static const uint8_t bytes[] = { 0x01, 0x02, 0x03 };
	struct state_reader r;
	uint8_t out[4];

	state_reader_init(&r, bytes, sizeof(bytes));
	ck_assert_uint_eq(state_get_u16(&r), 0x0201);
	ck_assert_int_eq(r.error, 0);
	ck_assert_uint_eq(state_get_u32(&r), 0);	/* 1 byte left, 4 wanted */
	ck_assert_int_eq(r.error, -EBADMSG);
	ck_assert_uint_eq(state_get_u8(&r), 0);	/* after an error, nothing more is read */
	ck_assert_int_eq(state_reader_finish(&r), -EBADMSG);

	memset(out, 0xff, sizeof(out));
	state_reader_init(&r, bytes, sizeof(bytes));
	state_get_bytes(&r, out, sizeof(out));
	ck_assert_mem_eq(out, "\0\0\0\0", 4);
	ck_assert_int_eq(r.error, -EBADMSG);

	state_reader_init(&r, bytes, sizeof(bytes));
	state_get_u8(&r);
	ck_assert_ptr_null(state_get_ptr(&r, SIZE_MAX));	/* no wrap-around in the bound */
	ck_assert_int_eq(r.error, -EBADMSG);
	state_reader_init(&r, bytes, sizeof(bytes));
	ck_assert_ptr_eq(state_get_ptr(&r, 3), bytes);
	ck_assert_int_eq(state_reader_finish(&r), 0);
}
END_TEST

START_TEST(reader_finish_refuses_leftover_bytes)
{
	static const uint8_t bytes[] = { 0x01, 0x02, 0x03 };
	struct state_reader r;

	state_reader_init(&r, bytes, sizeof(bytes));
	ck_assert_uint_eq(state_get_u16(&r), 0x0201);
	ck_assert_int_eq(r.error, 0);
	ck_assert_int_eq(state_reader_finish(&r), -EBADMSG);
	ck_assert_uint_eq(state_get_u8(&r), 3);
	ck_assert_int_eq(state_reader_finish(&r), 0);
	state_reader_init(&r, bytes, sizeof(bytes));
	state_get_bytes(&r, (uint8_t[3]){ 0 }, 3);
	state_reader_reject(&r);	/* all read, but a value was out of range */
	ck_assert_int_eq(state_reader_finish(&r), -EBADMSG);
}
END_TEST

START_TEST(reader_bool_is_only_0_or_1)
{
	static const uint8_t bools[] = { 0, 1, 2 };
	struct state_reader r;

	state_reader_init(&r, bools, sizeof(bools));
	ck_assert(!state_get_bool(&r));
	ck_assert(state_get_bool(&r));
	ck_assert_int_eq(r.error, 0);
	state_get_bool(&r);
	ck_assert_int_eq(r.error, -EBADMSG);
	ck_assert_int_eq(state_reader_finish(&r), -EBADMSG);
}
END_TEST

START_TEST(sink_section_checksum_is_crc32c_of_the_payload)
{
	char hello[] = "hello ", sections[] = "sections";
	struct iovec iov[2] = { { hello, 6 }, { sections, 8 } };
	struct state_writer out, payload;
	struct state_sink sink = buffer_sink(&out);
	struct state_section s;

	state_writer_init(&out);
	ck_assert_int_eq(state_sink_section(&sink, TEST_TYPE, 2, 5, iov, 2), 0);
	ck_assert_uint_eq(out.len, STATE_HEADER_SIZE + 14);
	ck_assert_uint_eq(sink.bytes, out.len);
	ck_assert_int_eq(state_header_decode(out.buf, &s), 0);
	ck_assert_uint_eq(s.type, TEST_TYPE);
	ck_assert_uint_eq(s.version, 2);
	ck_assert_uint_eq(s.instance, 5);
	ck_assert_uint_eq(s.length, 14);
	ck_assert_mem_eq(out.buf + STATE_HEADER_SIZE, "hello sections", 14);
	ck_assert_uint_eq(s.payload_crc, crc32c(0, out.buf + STATE_HEADER_SIZE, 14));
	ck_assert_uint_eq(s.payload_crc, crc32c_bitwise((const uint8_t *)"hello sections", 14));

	/* An encoded payload is framed alike; a failed encoding writes nothing. */
	state_writer_init(&payload);
	state_put_bytes(&payload, "hello sections", 14);
	ck_assert_int_eq(state_sink_writer(&sink, TEST_TYPE, 2, 5, &payload), 0);
	ck_assert_uint_eq(out.len, 2 * (STATE_HEADER_SIZE + 14));
	ck_assert_mem_eq(out.buf + STATE_HEADER_SIZE + 14, out.buf, STATE_HEADER_SIZE + 14);
	payload.error = -ENOMEM;
	ck_assert_int_eq(state_sink_writer(&sink, TEST_TYPE, 2, 5, &payload), -ENOMEM);
	ck_assert_uint_eq(out.len, 2 * (STATE_HEADER_SIZE + 14));
	/* A sink that fails: its error, and nothing counted. */
	sink.write = failing_write;
	ck_assert_int_eq(state_sink_section(&sink, TEST_TYPE, 2, 5, iov, 2), -EIO);
	ck_assert_uint_eq(sink.bytes, 2 * (STATE_HEADER_SIZE + 14));
	state_writer_free(&payload);
	state_writer_free(&out);
}
END_TEST

/* ---- corrupted payloads of any section type ---- */

/* A section payload and what reads it: enough to corrupt it and see it refused. */
struct section_case {
	const char *name;
	void *target;
	/* The target's state, to show a refused payload changed nothing; NULL: the reader keeps none. */
	void (*snapshot)(const void *target, struct state_writer *w);
	int (*load)(void *target, const void *payload, size_t len, uint16_t version);
	uint16_t version;
};

/* One byte of a good payload set out of range; extra bytes appended so that only the value is wrong. */
struct patch {
	size_t offset;
	uint8_t value;
	size_t extra;
};

static void take_snapshot(const struct section_case *c, struct state_writer *w)
{
	state_writer_init(w);
	if (c->snapshot)
		c->snapshot(c->target, w);
	ck_assert_int_eq(w->error, 0);
}

/* What load returns; when it fails, the target must be as it was (the device contract). */
static int load_checked(const struct section_case *c, const void *payload, size_t len, uint16_t version)
{
	struct state_writer before, after;
	int ret;

	take_snapshot(c, &before);
	ret = c->load(c->target, payload, len, version);
	take_snapshot(c, &after);
	if (ret < 0)
		ck_assert_msg(same_bytes(&before, &after), "%s: a refused payload changed the target", c->name);
	state_writer_free(&before);
	state_writer_free(&after);
	return ret;
}

static void assert_refused(const struct section_case *c, const void *payload, size_t len, const char *what, size_t n)
{
	int ret = load_checked(c, payload, len, c->version);

	ck_assert_msg(ret == -EBADMSG, "%s: %s %zu: returned %d, not -EBADMSG", c->name, what, n, ret);
}

/* Every length short of a small payload; of a large one (a memory block), its header and each page boundary. */
static bool worth_cutting(size_t cut, size_t len)
{
	return len <= 8192 || cut <= MEMORY_BLOCK_HEADER || (cut - MEMORY_BLOCK_HEADER) % PAGE == 0 || cut == len - 1;
}

/* An exact-size copy of good (so that ASan sees any read past len) with patch applied. */
static uint8_t *patched_copy(const struct state_writer *good, const struct patch *p, size_t *len)
{
	uint8_t *bad;

	*len = good->len + p->extra;
	bad = malloc(*len);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, good->buf, good->len);
	memset(bad + good->len, 'z', p->extra);
	ck_assert_uint_lt(p->offset, good->len);
	ck_assert_msg(bad[p->offset] != p->value, "the patch at %zu changes nothing", p->offset);
	bad[p->offset] = p->value;
	return bad;
}

/*
 * Every truncation, one byte too many and each out-of-range value refused
 * with -EBADMSG, leaving the target unchanged.
 */
static void assert_corruptions_refused(const struct section_case *c, const struct state_writer *good,
				       const struct patch *bad, size_t n_bad)
{
	size_t len;
	uint8_t *copy;

	ck_assert_uint_gt(good->len, 0);
	for (size_t cut = 0; cut < good->len; cut++) {
		if (!worth_cutting(cut, good->len))
			continue;
		copy = malloc(cut ? cut : 1);
		memcpy(copy, good->buf, cut);
		assert_refused(c, copy, cut, "truncated to", cut);
		free(copy);
	}
	copy = calloc(1, good->len + 1);
	memcpy(copy, good->buf, good->len);
	assert_refused(c, copy, good->len + 1, "one byte added to", good->len);
	free(copy);
	for (size_t i = 0; i < n_bad; i++) {
		copy = patched_copy(good, &bad[i], &len);
		assert_refused(c, copy, len, "out-of-range byte at", bad[i].offset);
		free(copy);
	}
}

/* The control: the uncorrupted payload loads, and (for a stateful target) changes it. */
static void assert_good_payload_loads(const struct section_case *c, const struct state_writer *good)
{
	struct state_writer before, after;

	take_snapshot(c, &before);
	ck_assert_int_eq(c->load(c->target, good->buf, good->len, c->version), 0);
	take_snapshot(c, &after);
	if (c->snapshot)
		ck_assert_msg(!same_bytes(&before, &after), "%s: the good payload changed nothing", c->name);
	state_writer_free(&before);
	state_writer_free(&after);
}

static void check_section(const struct section_case *c, const struct state_writer *good, const struct patch *bad,
			  size_t n_bad)
{
	assert_corruptions_refused(c, good, bad, n_bad);
	assert_good_payload_loads(c, good);
}

/* ---- 2. devices, each on a machine that records what it asks of it ---- */


/* One device on its own fake machine. */
struct bench {
	const struct device_desc *desc;
	struct recorded rec;
	struct machine machine;
	void *dev;
};

struct device_case {
	const struct device_desc *desc;
	size_t size;
	unsigned int irq;
	void (*dirty)(struct bench *b);	/* a non-trivial guest-visible state, through its registers */
	const struct patch *out_of_range;	/* applied to the dirty state's payload */
	size_t n_out_of_range;
};

static void bench_init(struct bench *b, const struct device_case *dc)
{
	*b = (struct bench){ .desc = dc->desc };
	b->machine = (struct machine){ &b->rec, record_irq, record_stop, record_console };
	b->dev = calloc(1, dc->size);
	ck_assert_ptr_nonnull(b->dev);
	dc->desc->init(b->dev, &b->machine, dc->irq);
}

/* As vm_save finds a device: paused. */
static void bench_pause(struct bench *b)
{
	if (b->desc->pause)
		b->desc->pause(b->dev);
}

static uint64_t reg_read(struct bench *b, uint64_t offset, unsigned int size)
{
	return b->desc->io->read(b->dev, offset, size);
}

static void reg_write(struct bench *b, uint64_t offset, unsigned int size, uint64_t value)
{
	b->desc->io->write(b->dev, offset, size, value);
}

/* The original and its restored copy answer alike; returns the answer. */
static uint64_t both_read(struct bench *a, struct bench *b, uint64_t offset, unsigned int size)
{
	uint64_t va = reg_read(a, offset, size), vb = reg_read(b, offset, size);

	ck_assert_msg(va == vb, "%s: register %llu reads %#llx, its restored copy %#llx", a->desc->name,
		      (unsigned long long)offset, (unsigned long long)va, (unsigned long long)vb);
	return va;
}

static void both_write(struct bench *a, struct bench *b, uint64_t offset, unsigned int size, uint64_t value)
{
	reg_write(a, offset, size, value);
	reg_write(b, offset, size, value);
}

static struct state_writer bench_save(const struct bench *b)
{
	struct state_writer w;

	state_writer_init(&w);
	b->desc->save(b->dev, &w);
	ck_assert_int_eq(w.error, 0);
	return w;
}

static void bench_snapshot(const void *target, struct state_writer *w)
{
	const struct bench *b = target;

	b->desc->save(b->dev, w);
	state_put_u32(w, b->rec.irq_calls);	/* a refused restore drives no line either */
	state_put_u32(w, b->rec.stops);
}

static int bench_load(void *target, const void *payload, size_t len, uint16_t version)
{
	struct bench *b = target;

	return device_restore(b->desc, b->dev, payload, len, version);
}

/* A device in its dirty state and a new one, on a fresh machine, restored from its payload. */
struct pair {
	struct bench orig, copy;
	struct state_writer saved, resaved;	/* what each one saves */
};

static void round_trip(const struct device_case *dc, struct pair *p)
{
	bench_init(&p->orig, dc);
	dc->dirty(&p->orig);
	bench_pause(&p->orig);
	p->saved = bench_save(&p->orig);
	bench_init(&p->copy, dc);
	ck_assert_int_eq(device_restore(dc->desc, p->copy.dev, p->saved.buf, p->saved.len, dc->desc->state_version), 0);
	p->resaved = bench_save(&p->copy);
}

static void pair_free(struct pair *p)
{
	free(p->orig.dev);
	free(p->copy.dev);
	state_writer_free(&p->saved);
	state_writer_free(&p->resaved);
}

/* The device refuses every corruption of its dirty state's payload and newer versions, into a fresh device. */
static void check_device_section(const struct device_case *dc)
{
	struct bench src, target;
	struct section_case c = { dc->desc->name, &target, bench_snapshot, bench_load, dc->desc->state_version };
	struct state_writer good;

	bench_init(&src, dc);
	dc->dirty(&src);
	bench_pause(&src);
	good = bench_save(&src);
	bench_init(&target, dc);
	bench_pause(&target);
	assert_corruptions_refused(&c, &good, dc->out_of_range, dc->n_out_of_range);
	ck_assert_int_eq(load_checked(&c, good.buf, good.len, dc->desc->state_version + 1), -EPROTONOSUPPORT);
	ck_assert_int_eq(load_checked(&c, good.buf, good.len, 0), -EPROTONOSUPPORT);
	assert_good_payload_loads(&c, &good);
	state_writer_free(&good);
	free(src.dev);
	free(target.dev);
}

/* -- serial -- */

enum { UART_RBR = 0, UART_IER = 1, UART_IIR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };

#define SERIAL_READ_BEFORE_SAVE 30
#define SERIAL_QUEUED 50	/* 40 received, 30 read, 40 more: the FIFO wraps round its end */

static uint8_t serial_input(unsigned int i)
{
	return 0x21 + 3 * i;
}

static void serial_dirty(struct bench *b)
{
	uint8_t in[SERIAL_READ_BEFORE_SAVE + SERIAL_QUEUED];

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = serial_input(i);
	reg_write(b, UART_LCR, 1, 0x80);	/* DLAB: divisor 0x0103 */
	reg_write(b, UART_RBR, 1, 0x03);
	reg_write(b, UART_IER, 1, 0x01);
	reg_write(b, UART_LCR, 1, 0x1b);	/* 8E1 */
	reg_write(b, UART_IIR, 1, 0x01);	/* FIFO on */
	reg_write(b, UART_IER, 1, 0x03);	/* RDI and THRI */
	reg_write(b, UART_MCR, 1, 0x0b);	/* DTR, RTS, OUT2 */
	reg_write(b, UART_SCR, 1, 0x5a);
	ck_assert_uint_eq(serial_receive(b->dev, in, 40), 40);
	for (unsigned int i = 0; i < SERIAL_READ_BEFORE_SAVE; i++)
		ck_assert_uint_eq(reg_read(b, UART_RBR, 1), in[i]);
	ck_assert_uint_eq(serial_receive(b->dev, in + 40, 40), 40);
}

static const struct patch serial_out_of_range[] = {
	{ 9, SERIAL_FIFO_SIZE + 1, SERIAL_FIFO_SIZE + 1 - SERIAL_QUEUED },	/* rx_count 65, with 65 bytes */
	{ 0, 0x10, 0 },		/* IER: a reserved bit */
	{ 2, 0x20, 0 },		/* MCR: a reserved bit */
	{ 6, 2, 0 },		/* fifo_enabled: a boolean that is 2 */
	{ 8, 2, 0 },		/* irq_level: likewise */
};

static const struct device_case serial_case = {
	&serial_device, sizeof(struct serial), IRQ_COM1, serial_dirty, serial_out_of_range,
	ARRAY_SIZE(serial_out_of_range),
};

START_TEST(serial_round_trip_keeps_divisor_fifo_and_interrupt)
{
	struct pair p;

	round_trip(&serial_case, &p);
	ck_assert_uint_eq(p.saved.len, 10 + SERIAL_QUEUED);
	ck_assert(same_bytes(&p.saved, &p.resaved));
	ck_assert_int_eq(p.copy.rec.irq_calls, 1);	/* the restore re-drove the line: RDI pending */
	ck_assert_uint_eq(p.copy.rec.gsi, IRQ_COM1);
	ck_assert(p.copy.rec.level && p.orig.rec.level);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_LCR, 1), 0x1b);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_MCR, 1), 0x0b);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_SCR, 1), 0x5a);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_IER, 1), 0x03);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_MSR, 1), 0xb0);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_LSR, 1), 0x61);	/* THRE, TEMT, DR */
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_IIR, 1), 0xc4);	/* FIFO, RDI */
	both_write(&p.orig, &p.copy, UART_LCR, 1, 0x9b);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_RBR, 1), 0x03);	/* DLL */
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_IER, 1), 0x01);	/* DLM */
	both_write(&p.orig, &p.copy, UART_LCR, 1, 0x1b);
	for (unsigned int i = 0; i < SERIAL_QUEUED; i++)
		ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_RBR, 1), serial_input(SERIAL_READ_BEFORE_SAVE + i));
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_LSR, 1), 0x60);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_IIR, 1), 0xc2);	/* THRI, cleared by this read */
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, UART_IIR, 1), 0xc1);
	ck_assert(!p.orig.rec.level && !p.copy.rec.level);
	pair_free(&p);
}
END_TEST

/* -- rtc -- */

enum { RTC_INDEX = 0, RTC_DATA = 1 };

static uint8_t rtc_cmos_byte(unsigned int index)
{
	return index ^ 0xa5;
}

static void rtc_dirty(struct bench *b)
{
	reg_write(b, RTC_INDEX, 1, 0x0b);
	reg_write(b, RTC_DATA, 1, 0x06);	/* register B: binary, 24 h */
	for (unsigned int i = 0x0e; i < RTC_CMOS_SIZE; i++) {
		reg_write(b, RTC_INDEX, 1, i);
		reg_write(b, RTC_DATA, 1, rtc_cmos_byte(i));
	}
	reg_write(b, RTC_INDEX, 1, 0x80 | 0x40);	/* NMI masked: index 0x40 */
}

/* What the RTC reads at index i after rtc_dirty: registers A-D, then CMOS RAM; -1 for the host's time. */
static int rtc_expected(unsigned int i)
{
	static const uint8_t regs[] = { 0x26, 0x06, 0x00, 0x80 };

	if (i < 0x0a || i == 0x32)
		return -1;
	return i < 0x0e ? regs[i - 0x0a] : rtc_cmos_byte(i);
}

static const struct patch rtc_out_of_range[] = {
	{ 0, 0x80, 0 },		/* index 0x80: bit 7 is the NMI mask, never an index */
};

static const struct device_case rtc_case = {
	&rtc_device, sizeof(struct rtc), IRQ_RTC, rtc_dirty, rtc_out_of_range, ARRAY_SIZE(rtc_out_of_range),
};

START_TEST(rtc_round_trip_keeps_index_and_cmos)
{
	struct pair p;

	round_trip(&rtc_case, &p);
	ck_assert_uint_eq(p.saved.len, 1 + RTC_CMOS_SIZE);
	ck_assert(same_bytes(&p.saved, &p.resaved));
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, RTC_INDEX, 1), 0x40);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, RTC_DATA, 1), rtc_cmos_byte(0x40));
	for (unsigned int i = 0; i < RTC_CMOS_SIZE; i++) {
		if (rtc_expected(i) < 0)
			continue;
		both_write(&p.orig, &p.copy, RTC_INDEX, 1, i);
		ck_assert_uint_eq(both_read(&p.orig, &p.copy, RTC_DATA, 1), rtc_expected(i));
	}
	ck_assert_int_eq(p.copy.rec.irq_calls, 0);
	pair_free(&p);
}
END_TEST

/* -- pm -- */

enum { PM_STS = 0, PM_EN = 2, PM_CNT = 4, PM_TMR = 8, PM_GPE_STS = 12, PM_GPE_EN = 14 };

#define PM_TIMER_AT 7	/* the payload's u64 timer count, after status, enable, control and sci_level */
#define PM_CONTROL (PM1_CNT_SCI_EN | ACPI_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT)

static void pm_dirty(struct bench *b)
{
	reg_write(b, PM_EN, 2, PM1_STS_PWRBTN);
	pm_press_power_button(b->dev);		/* PWRBTN_STS: the SCI rises */
	reg_write(b, PM_CNT, 2, PM_CONTROL);	/* SLP_TYP without SLP_EN: no sleep yet */
	reg_write(b, PM_GPE_EN, 2, 1U << GPE_PCI_HOTPLUG);
	pm_raise_gpe(b->dev, GPE_PCI_HOTPLUG);	/* a hotplug event the guest has not handled */
	ck_assert(b->rec.level);
	ck_assert_int_eq(b->rec.stops, 0);
}

static const struct patch pm_out_of_range[] = {
	{ PM_CNT + 1, (PM_CONTROL | PM1_CNT_SLP_EN) >> 8, 0 },	/* control with SLP_EN */
	{ 6, 2, 0 },						/* sci_level 2 */
};

static const struct device_case pm_case = {
	&pm_device, sizeof(struct pm), IRQ_SCI, pm_dirty, pm_out_of_range, ARRAY_SIZE(pm_out_of_range),
};

START_TEST(pm_round_trip_keeps_status_enable_control_and_sci)
{
	uint64_t saved_ns, resaved_ns;
	uint32_t frozen, running;
	struct pair p;

	round_trip(&pm_case, &p);
	/* The same bytes, but for the timer, which runs on from the restore. */
	ck_assert_uint_eq(p.saved.len, PM_TIMER_AT + 8 + 4);
	ck_assert_uint_eq(p.resaved.len, PM_TIMER_AT + 8 + 4);
	ck_assert_mem_eq(p.saved.buf, p.resaved.buf, PM_TIMER_AT);
	ck_assert_mem_eq(p.saved.buf + PM_TIMER_AT + 8, p.resaved.buf + PM_TIMER_AT + 8, 4);	/* GPE0 */
	saved_ns = le64(p.saved.buf + PM_TIMER_AT);
	resaved_ns = le64(p.resaved.buf + PM_TIMER_AT);
	ck_assert_msg(resaved_ns >= saved_ns && resaved_ns - saved_ns < 1000000000ULL, "timer %llu ns restored as %llu",
		      (unsigned long long)saved_ns, (unsigned long long)resaved_ns);
	ck_assert_int_eq(p.copy.rec.irq_calls, 1);	/* the restore re-drove the SCI */
	ck_assert_uint_eq(p.copy.rec.gsi, IRQ_SCI);
	ck_assert(p.copy.rec.level);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_STS, 2), PM1_STS_PWRBTN);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_EN, 2), PM1_STS_PWRBTN);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_CNT, 2), PM_CONTROL);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_GPE_STS, 2), 1U << GPE_PCI_HOTPLUG);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_GPE_EN, 2), 1U << GPE_PCI_HOTPLUG);
	both_write(&p.orig, &p.copy, PM_GPE_STS, 2, 1U << GPE_PCI_HOTPLUG);	/* write one to clear */
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_GPE_STS, 2), 0);
	frozen = reg_read(&p.orig, PM_TMR, 4);
	running = reg_read(&p.copy, PM_TMR, 4);
	ck_assert_uint_eq(reg_read(&p.orig, PM_TMR, 4), frozen);	/* the original is paused */
	ck_assert_uint_lt((running - frozen) & 0xffffff, PM_TIMER_HZ);	/* the copy within a second of it */
	both_write(&p.orig, &p.copy, PM_STS, 2, PM1_STS_PWRBTN);	/* write one to clear */
	ck_assert(!p.orig.rec.level && !p.copy.rec.level);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PM_STS, 2), 0);
	both_write(&p.orig, &p.copy, PM_CNT, 2, PM_CONTROL | PM1_CNT_SLP_EN);	/* S5 */
	ck_assert_int_eq(p.copy.rec.stops, 1);
	ck_assert_int_eq(p.copy.rec.reason, VM_EXIT_POWEROFF);
	ck_assert_int_eq(p.orig.rec.stops, 1);
	pair_free(&p);
}
END_TEST

/* -- reset control -- */

#define CF9_SYS_RST 0x02
#define CF9_RST_CPU 0x04

static void reset_control_dirty(struct bench *b)
{
	reg_write(b, 0, 1, CF9_SYS_RST);	/* a reset announced */
	ck_assert_int_eq(b->rec.stops, 0);
}

static const struct patch reset_control_out_of_range[] = {
	{ 0, 0xff, 0 },		/* bits other than SYS_RST and RST_CPU */
	{ 1, 2, 0 },		/* reboot_requested 2 */
};

static const struct device_case reset_control_case = {
	&reset_control_device, sizeof(struct reset_control), 0, reset_control_dirty, reset_control_out_of_range,
	ARRAY_SIZE(reset_control_out_of_range),
};

START_TEST(reset_control_round_trip_keeps_the_announced_reset)
{
	struct pair p;

	round_trip(&reset_control_case, &p);
	ck_assert_uint_eq(p.saved.len, 2);
	ck_assert(same_bytes(&p.saved, &p.resaved));
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, 0, 1), CF9_SYS_RST);
	ck_assert(reset_control_reboot_requested(p.orig.dev));
	ck_assert(reset_control_reboot_requested(p.copy.dev));
	ck_assert_int_eq(p.copy.rec.stops, 0);
	both_write(&p.orig, &p.copy, 0, 1, CF9_SYS_RST | CF9_RST_CPU);
	ck_assert_int_eq(p.copy.rec.stops, 1);
	ck_assert_int_eq(p.copy.rec.reason, VM_EXIT_REBOOT);
	ck_assert_int_eq(p.orig.rec.stops, 1);
	pair_free(&p);
}
END_TEST

/* -- pci bus -- */

enum { PCI_ADDRESS = 0, PCI_DATA = 4 };

#define PCI_FIRST_CONFIG 5	/* the payload: address u32, slot u8, then its 4 KiB */

static void pci_dirty(struct bench *b)
{
	reg_write(b, PCI_ADDRESS, 4, 0x8000000c);	/* 00:00.0, dword 0x0c */
	reg_write(b, PCI_DATA, 1, 0x10);		/* cache line size */
	reg_write(b, PCI_DATA + 1, 1, 0x40);		/* latency timer */
	reg_write(b, PCI_DATA + 2, 2, 0xffff);		/* header type, BIST: read-only */
	reg_write(b, PCI_ADDRESS, 4, 0x80000090);	/* PAM0-3, as SeaBIOS shadows itself */
	reg_write(b, PCI_DATA, 4, 0x33333330);
	reg_write(b, PCI_ADDRESS, 4, 0x8000000c);
}

static const struct patch pci_out_of_range[] = {
	{ 0, 0x0d, 0 },			/* config_address with its low bits set */
	{ 3, 0x81, 0 },			/* reserved bits 24-30 */
	{ 4, 5, 0 },			/* slot 5: no emulated function there */
	{ 4, PCI_SLOTS, 0 },		/* no such slot */
};

static const struct device_case pci_case = {
	&pci_bus_device, sizeof(struct pci_bus), 0, pci_dirty, pci_out_of_range, ARRAY_SIZE(pci_out_of_range),
};

START_TEST(pci_round_trip_keeps_latched_address_and_host_bridge_registers)
{
	struct pair p;

	round_trip(&pci_case, &p);
	ck_assert_uint_eq(p.saved.len, PCI_FIRST_CONFIG + PCI_CONFIG_SIZE);
	ck_assert(same_bytes(&p.saved, &p.resaved));
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PCI_ADDRESS, 4), 0x8000000c);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PCI_DATA, 4), 0x00004010);
	ck_assert_uint_eq(pci_ecam_ops.read(p.orig.dev, 0x0d, 1), 0x40);
	ck_assert_uint_eq(pci_ecam_ops.read(p.copy.dev, 0x0d, 1), 0x40);
	both_write(&p.orig, &p.copy, PCI_ADDRESS, 4, 0x80000000);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PCI_DATA, 4), 0x29c08086);
	both_write(&p.orig, &p.copy, PCI_ADDRESS, 4, 0x80000004);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PCI_DATA, 2), 0x0006);
	both_write(&p.orig, &p.copy, PCI_ADDRESS, 4, 0x80000090);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, PCI_DATA, 4), 0x33333330);
	/* Identity registers stay sheer's own: a payload's vendor ID is not taken. */
	p.saved.buf[PCI_FIRST_CONFIG] = 0x34;
	ck_assert_int_eq(device_restore(&pci_bus_device, p.copy.dev, p.saved.buf, p.saved.len, 1), 0);
	ck_assert_uint_eq(pci_ecam_ops.read(p.copy.dev, 0, 4), 0x29c08086);
	ck_assert_uint_eq(pci_ecam_ops.read(p.copy.dev, 0x0c, 4), 0x00004010);
	pair_free(&p);
}
END_TEST

/* -- fw_cfg: the selected item and how far the firmware has read it -- */

enum { FW_CFG_SELECTOR = 0, FW_CFG_DATA = 1 };

static void fw_cfg_dirty(struct bench *b)
{
	reg_write(b, FW_CFG_SELECTOR, 2, FW_CFG_SIGNATURE);
	ck_assert_uint_eq(reg_read(b, FW_CFG_DATA, 1), 'Q');
	ck_assert_uint_eq(reg_read(b, FW_CFG_DATA, 1), 'E');
}

static const struct patch fw_cfg_out_of_range[] = {
	{ 5, 0x01, 0 },		/* a read offset past any item */
};

static const struct device_case fw_cfg_case = {
	&fw_cfg_device, sizeof(struct fw_cfg), 0, fw_cfg_dirty, fw_cfg_out_of_range, ARRAY_SIZE(fw_cfg_out_of_range),
};

START_TEST(fw_cfg_round_trip_keeps_the_item_and_read_offset)
{
	struct pair p;

	round_trip(&fw_cfg_case, &p);
	ck_assert_uint_eq(p.saved.len, 6);
	ck_assert(same_bytes(&p.saved, &p.resaved));
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, FW_CFG_DATA, 1), 'M');
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, FW_CFG_DATA, 1), 'U');
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, FW_CFG_DATA, 1), 0);
	pair_free(&p);
}
END_TEST

START_TEST(fw_cfg_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&fw_cfg_case);
}
END_TEST

/* -- pci-hotplug: what the guest has yet to be told, and what it released -- */

enum { HP_UP = 0, HP_DOWN = 4, HP_EJECT = 8 };

static void hotplug_dirty(struct bench *b)
{
	pci_hotplug_plugged(b->dev, 5);
	pci_hotplug_request_eject(b->dev, 3);
	pci_hotplug_request_eject(b->dev, 7);
	reg_write(b, HP_EJECT, 4, 1U << 7 | 1U << 9);	/* 9 was never asked for: not a release */
}

static const struct patch hotplug_out_of_range[] = {
	{ 0, 0x01, 0 },		/* slot 0, the host bridge, never comes or goes */
	{ 8, 0x20, 0 },		/* released slot 5, which was never asked back */
};

static const struct device_case hotplug_case = {
	&pci_hotplug_device, sizeof(struct pci_hotplug), 0, hotplug_dirty, hotplug_out_of_range,
	ARRAY_SIZE(hotplug_out_of_range),
};

START_TEST(pci_hotplug_round_trip_keeps_pending_events_and_releases)
{
	struct pair p;

	round_trip(&hotplug_case, &p);
	ck_assert_uint_eq(p.saved.len, 16);
	ck_assert(same_bytes(&p.saved, &p.resaved));
	ck_assert(pci_hotplug_take_ejected(p.copy.dev, 7));
	ck_assert(!pci_hotplug_take_ejected(p.copy.dev, 7));	/* taken once */
	ck_assert(!pci_hotplug_take_ejected(p.copy.dev, 9));
	ck_assert(!pci_hotplug_take_ejected(p.copy.dev, 3));	/* asked, not yet released */
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, HP_UP, 4), 1U << 5);
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, HP_UP, 4), 0);	/* reading clears */
	ck_assert_uint_eq(both_read(&p.orig, &p.copy, HP_DOWN, 4), 1U << 3 | 1U << 7);
	pair_free(&p);
}
END_TEST

START_TEST(pci_hotplug_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&hotplug_case);
}
END_TEST

START_TEST(pci_hotplug_cancelled_eject_ignores_a_late_release)
{
	struct pci_hotplug hp = { 0 };

	pci_hotplug_device.init(&hp, NULL, 0);
	pci_hotplug_request_eject(&hp, 4);
	pci_hotplug_cancel_eject(&hp, 4);
	ck_assert_uint_eq(pci_hotplug_device.io->read(&hp, HP_DOWN, 4), 0);	/* the guest is not told */
	pci_hotplug_device.io->write(&hp, HP_EJECT, 4, 1U << 4);	/* it releases anyway, late */
	pci_hotplug_request_eject(&hp, 4);				/* a new request starts afresh */
	ck_assert(!pci_hotplug_take_ejected(&hp, 4));
	pci_hotplug_device.io->write(&hp, HP_EJECT, 2, 1U << 4);	/* a 16-bit write is no release */
	ck_assert(!pci_hotplug_take_ejected(&hp, 4));
}
END_TEST

/* ---- 3. corrupted sections, one test per type ---- */

START_TEST(serial_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&serial_case);
}
END_TEST

START_TEST(rtc_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&rtc_case);
}
END_TEST

START_TEST(pm_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&pm_case);
}
END_TEST

START_TEST(reset_control_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&reset_control_case);
}
END_TEST

START_TEST(pci_corrupted_section_is_refused_and_changes_nothing)
{
	check_device_section(&pci_case);
}
END_TEST

/* -- resources -- */

#define TEST_SLOTS 32
#define TEST_GSIS 64

static void resources_snapshot(const void *target, struct state_writer *w)
{
	resources_save(target, w);
}

static int resources_load(void *target, const void *payload, size_t len, uint16_t version)
{
	struct state_reader r;

	(void)version;
	state_reader_init(&r, payload, len);
	return resources_restore(target, &r);
}

static struct state_writer resources_payload(const struct resources *res)
{
	struct state_writer w;

	state_writer_init(&w);
	resources_save(res, &w);
	ck_assert_int_eq(w.error, 0);
	return w;
}

/* One of each: an MMIO window, an I/O window, KVM slots and a GSI. */
static void resources_use(struct resources *res)
{
	uint64_t addr;
	uint32_t port, slot, gsi;

	ck_assert_int_eq(resources_alloc_mmio(res, 0x100000, &addr), 0);
	ck_assert_int_eq(resources_alloc_io(res, 0x100, &port), 0);
	ck_assert_int_eq(resources_alloc_slots(res, 2, &slot), 0);
	ck_assert_int_eq(resources_alloc_gsi(res, &gsi), 0);
}

START_TEST(resources_corrupted_section_is_refused_and_changes_nothing)
{
	static const struct patch out_of_range[] = {
		{ 3, 0xbf, 0 },		/* MMIO position below the start of its range */
		{ 4, 0x01, 0 },		/* ... and beyond its end */
		{ 9, 0x00, 0 },		/* I/O position below 0xc000 */
		{ 10, 0x01, 0 },	/* ... and beyond 0x10000 */
		{ 15, 0x01, 0 },	/* slot position beyond the slots KVM has */
		{ 16, 0x00, 0 },	/* GSI position among the IO-APIC's pins */
		{ 19, 0x01, 0 },	/* ... and beyond the routing table */
	};
	struct resources src, target;
	struct section_case c = { "resources", &target, resources_snapshot, resources_load, 0 };
	struct state_writer good;

	resources_init(&src, TEST_SLOTS, TEST_GSIS);
	resources_use(&src);
	good = resources_payload(&src);
	ck_assert_uint_eq(good.len, 20);
	resources_init(&target, TEST_SLOTS, TEST_GSIS);
	check_section(&c, &good, out_of_range, ARRAY_SIZE(out_of_range));
	state_writer_free(&good);
}
END_TEST

/* -- cpuid -- */

/* An Intel CPU: leaf 1 with the hypervisor bit, leaf 7 with AVX2 (ebx bit 5). */
static const struct kvm_cpuid_entry2 test_cpuid[] = {
	{ .function = 0, .eax = 0xd, .ebx = 0x756e6547, .edx = 0x49656e69, .ecx = 0x6c65746e },
	{ .function = 1, .eax = 0x906ea, .ecx = 0xfeda3203U | 1U << 31, .edx = 0x178bfbff },
	{ .function = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 0x029c67af, .ecx = 0x40000000,
	  .edx = 0xbc000400 },
	{ .function = 0xd, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0xf },
	{ .function = 0x80000001, .ecx = 0x121, .edx = 0x2c100800 },
};

#define CPUID_ENTRY_BYTES 28

static struct kvm_cpuid2 *cpuid_table(size_t nent)
{
	struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + nent * sizeof(t->entries[0]));

	ck_assert_ptr_nonnull(t);
	t->nent = nent;
	for (size_t i = 0; i < nent; i++)
		t->entries[i] = test_cpuid[i % ARRAY_SIZE(test_cpuid)];
	return t;
}

static struct kvm_cpuid2 *test_cpuid_table(void)
{
	return cpuid_table(ARRAY_SIZE(test_cpuid));
}

static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->entries[i].function == function && t->entries[i].index == index)
			return &t->entries[i];
	ck_abort_msg("no CPUID leaf %#x.%u", function, index);
	return NULL;
}

static struct state_writer cpuid_payload(const struct kvm_cpuid2 *t)
{
	struct state_writer w;

	state_writer_init(&w);
	cpuid_save(t, &w);
	ck_assert_int_eq(w.error, 0);
	return w;
}

static int cpuid_load_only(void *target, const void *payload, size_t len, uint16_t version)
{
	struct kvm_cpuid2 *t;
	int ret = 0;

	(void)target;
	(void)version;
	t = cpuid_load(payload, len, &ret);
	if (!t)
		ck_assert_int_ne(ret, 0);
	free(t);
	return t ? 0 : ret;
}

START_TEST(cpuid_corrupted_section_is_refused)
{
	static const struct patch out_of_range[] = {
		{ 0, ARRAY_SIZE(test_cpuid) + 1, 0 },	/* one entry more than there are */
		{ 1, 0x01, 0 },				/* nent > 256 */
	};
	/* A full table (256 entries) claiming 257, without and with the 257th entry. */
	static const struct patch too_many[] = {
		{ 0, 0x01, 0 },
		{ 0, 0x01, CPUID_ENTRY_BYTES },
	};
	struct section_case c = { "cpuid", NULL, NULL, cpuid_load_only, 0 };
	struct kvm_cpuid2 *t = test_cpuid_table(), *full = cpuid_table(CPUID_MAX_ENTRIES);
	struct state_writer good = cpuid_payload(t), full_payload = cpuid_payload(full);

	check_section(&c, &good, out_of_range, ARRAY_SIZE(out_of_range));
	ck_assert_uint_eq(full_payload.len, 4 + CPUID_MAX_ENTRIES * CPUID_ENTRY_BYTES);
	check_section(&c, &full_payload, too_many, ARRAY_SIZE(too_many));
	state_writer_free(&good);
	state_writer_free(&full_payload);
	free(t);
	free(full);
}
END_TEST

/* -- memory blocks -- */

#define BLOCK MEMORY_BLOCK_SIZE

/* Pages with data: a run of two, one alone, the block's last, and one in the third block (high RAM). */
static const unsigned int pattern_pages[] = { 0, 1, 5, 511, 1024 + 3 };
#define LONE_BYTE_PAGE (1024 + 188)	/* only its very last byte is not zero */
#define PATTERN_PAGES (ARRAY_SIZE(pattern_pages) + 1)

static void ram_init(struct guest_memory *mem, uint64_t low_size, uint64_t high_size, uint8_t fill)
{
	*mem = (struct guest_memory){ .fd = -1, .size = low_size + high_size, .low_size = low_size,
				      .high_size = high_size };
	mem->host = aligned_alloc(BLOCK, mem->size);
	ck_assert_ptr_nonnull(mem->host);
	memset(mem->host, fill, mem->size);
}

static void ram_pattern(struct guest_memory *mem)
{
	for (size_t i = 0; i < ARRAY_SIZE(pattern_pages); i++) {
		uint64_t at = (uint64_t)pattern_pages[i] * PAGE;

		for (unsigned int j = 0; at < mem->size && j < PAGE; j++)
			mem->host[at + j] = (pattern_pages[i] + j) % 251 + 1;
	}
	if ((uint64_t)(LONE_BYTE_PAGE + 1) * PAGE <= mem->size)
		mem->host[(uint64_t)(LONE_BYTE_PAGE + 1) * PAGE - 1] = 0x01;
}

/* 4 MiB below the hole (the second block all zero) and 2 MiB from 4 GiB. */
static void ram_source(struct guest_memory *mem)
{
	ram_init(mem, 2 * BLOCK, BLOCK, 0);
	ram_pattern(mem);
}

static struct state_writer ram_stream(const struct guest_memory *mem, struct memory_save_stats *stats)
{
	struct state_writer stream;
	struct state_sink sink = buffer_sink(&stream);

	state_writer_init(&stream);
	ck_assert_int_eq(memory_save(mem, &sink, stats), 0);
	ck_assert_uint_eq(sink.bytes, stream.len);
	return stream;
}

/* Every MEM0 section of stream into mem; returns how many there were. */
static unsigned int restore_blocks(struct guest_memory *mem, const struct state_writer *stream, bool fresh)
{
	struct state_section s;
	const uint8_t *payload;
	unsigned int n = 0;
	size_t pos = 0;

	while (next_section(stream, &pos, &s, &payload)) {
		ck_assert_uint_eq(s.type, MEMORY_STATE_TYPE);
		ck_assert_uint_eq(s.version, MEMORY_STATE_VERSION);
		ck_assert_int_eq(memory_restore_block(mem, payload, s.length, fresh), 0);
		n++;
	}
	return n;
}

START_TEST(memory_blocks_round_trip_skipping_zero_pages)
{
	static const uint64_t want_gpa[] = { 0, LAYOUT_HIGH_RAM };	/* the all-zero block writes nothing */
	struct guest_memory src, dst;
	struct memory_save_stats stats;
	struct state_writer stream;
	struct state_section s;
	const uint8_t *payload;
	unsigned int n = 0;
	size_t pos = 0;

	ram_source(&src);
	stream = ram_stream(&src, &stats);
	ck_assert_uint_eq(stats.pages, PATTERN_PAGES);
	ck_assert_uint_eq(stats.zero_pages, 3 * MEMORY_BLOCK_PAGES - PATTERN_PAGES);
	ck_assert_uint_eq(stream.len, 2 * (STATE_HEADER_SIZE + MEMORY_BLOCK_HEADER) + PATTERN_PAGES * PAGE);
	while (next_section(&stream, &pos, &s, &payload)) {
		ck_assert_uint_lt(n, ARRAY_SIZE(want_gpa));
		ck_assert_uint_eq(le64(payload), want_gpa[n]);
		n++;
	}
	ck_assert_uint_eq(n, ARRAY_SIZE(want_gpa));
	ram_init(&dst, 2 * BLOCK, BLOCK, 0);
	ck_assert_uint_eq(restore_blocks(&dst, &stream, true), 2);
	ck_assert_int_eq(memcmp(src.host, dst.host, src.size), 0);
	ck_assert_uint_eq(dst.host[(uint64_t)(LONE_BYTE_PAGE + 1) * PAGE - 1], 0x01);
	state_writer_free(&stream);
	free(src.host);
	free(dst.host);
}
END_TEST

START_TEST(memory_restore_over_old_contents_zeroes_pages_absent_from_the_map)
{
	struct guest_memory src, stale, trusted;
	struct memory_save_stats stats;
	struct state_writer stream;

	ram_source(&src);
	stream = ram_stream(&src, &stats);
	ram_init(&stale, 2 * BLOCK, BLOCK, 0xee);
	ck_assert_uint_eq(restore_blocks(&stale, &stream, false), 2);
	ck_assert_int_eq(memcmp(stale.host, src.host, BLOCK), 0);
	ck_assert_int_eq(memcmp(stale.host + 2 * BLOCK, src.host + 2 * BLOCK, BLOCK), 0);
	/* fresh: the block is known to be zero, so what the map leaves out is not touched. */
	ram_init(&trusted, 2 * BLOCK, BLOCK, 0xee);
	ck_assert_uint_eq(restore_blocks(&trusted, &stream, true), 2);
	ck_assert_uint_eq(trusted.host[2 * PAGE], 0xee);
	ck_assert_int_eq(memcmp(trusted.host, src.host, 2 * PAGE), 0);
	state_writer_free(&stream);
	free(src.host);
	free(stale.host);
	free(trusted.host);
}
END_TEST

static void ram_snapshot(const void *target, struct state_writer *w)
{
	const struct guest_memory *mem = target;

	state_put_u32(w, crc32c(0, mem->host, mem->size));
}

static int ram_load(void *target, const void *payload, size_t len, uint16_t version)
{
	(void)version;
	return memory_restore_block(target, payload, len, false);
}

START_TEST(memory_block_corrupted_section_is_refused_and_changes_nothing)
{
	static const struct patch out_of_range[] = {
		{ 1, 0x10, 0 },		/* gpa 0x1000: in RAM, but not 2 MiB aligned */
		{ 2, 0x40, 0 },		/* gpa 4 MiB: past the end of RAM */
		{ 4, 0x01, 0 },		/* gpa 4 GiB: no high RAM here */
		{ 8, 0x27, 0 },		/* the map claims page 2 too: the length does not match it */
		{ 8 + 63, 0x00, 0 },	/* the map drops page 511: likewise */
	};
	struct guest_memory src, target;
	struct section_case c = { "memory block", &target, ram_snapshot, ram_load, MEMORY_STATE_VERSION };
	struct memory_save_stats stats;
	struct state_writer stream, good;
	struct state_section s;
	const uint8_t *payload;
	size_t pos = 0;

	ram_init(&src, BLOCK, 0, 0);
	ram_pattern(&src);
	stream = ram_stream(&src, &stats);
	ck_assert(next_section(&stream, &pos, &s, &payload));
	ck_assert_uint_eq(payload[8], 0x23);	/* pages 0, 1 and 5 */
	state_writer_init(&good);
	state_put_bytes(&good, payload, s.length);
	ram_init(&target, 2 * BLOCK, 0, 0xee);
	check_section(&c, &good, out_of_range, ARRAY_SIZE(out_of_range));
	ck_assert_int_eq(memcmp(target.host, src.host, BLOCK), 0);
	state_writer_free(&good);
	state_writer_free(&stream);
	free(src.host);
	free(target.host);
}
END_TEST

/* -- checkpoint header and end -- */

static void good_info(struct checkpoint_info *info)
{
	memset(info, 0, sizeof(*info));
	info->format_version = CHECKPOINT_FORMAT_VERSION;
	strcpy(info->sheer_version, "0.1.0");
	strcpy(info->cpu_vendor, "GenuineIntel");
	for (int i = 0; i < 5; i++)
		info->cpu_features[i] = 0x1000 + i;
	info->created_unix = 1700000000;
	strcpy(info->cfg.name, "web1");
	info->cfg.cpus = 2;
	info->cfg.memory_bytes = 64 * MiB;
	strcpy(info->cfg.kernel, "/srv/bzImage");
	strcpy(info->cfg.cmdline, "console=ttyS0");
}

static struct state_writer header_payload(const struct checkpoint_info *info)
{
	struct state_writer w;

	state_writer_init(&w);
	checkpoint_header_encode(info, &w);
	ck_assert_int_eq(w.error, 0);
	return w;
}

static int header_load(void *target, const void *payload, size_t len, uint16_t version)
{
	(void)version;
	return checkpoint_header_decode(payload, len, target);
}

static int end_load(void *target, const void *payload, size_t len, uint16_t version)
{
	(void)version;
	return checkpoint_end_decode(payload, len, target);
}

START_TEST(checkpoint_header_corrupted_section_is_refused)
{
	static const struct { const char *name; unsigned int cpus; uint64_t memory; } bad_configs[] = {
		{ "web/1", 2, 64 * MiB },			/* a '/' in the name */
		{ "", 2, 64 * MiB },
		{ "-web1", 2, 64 * MiB },
		{ "web1", 0, 64 * MiB },			/* no vCPU */
		{ "web1", SERVER_MAX_CPUS + 1, 64 * MiB },
		{ "web1", 2, 0 },
		{ "web1", 2, 65 * MiB },			/* not whole 2 MiB pages */
	};
	struct checkpoint_info *info = malloc(sizeof(*info)), *decoded = malloc(sizeof(*decoded));
	struct section_case c = { "HDR0", decoded, NULL, header_load, 0 };
	struct state_writer good, bad;
	struct patch text[2] = {
		{ 4, sizeof(info->sheer_version), 0 },	/* a text as long as its field: no room for the NUL */
	};
	const uint8_t *name;

	good_info(info);
	good = header_payload(info);
	name = memmem(good.buf, good.len, "web1", 4);
	ck_assert_ptr_nonnull(name);
	text[1] = (struct patch){ name + 1 - good.buf, 0, 0 };	/* a NUL inside the name */
	check_section(&c, &good, text, ARRAY_SIZE(text));
	ck_assert_str_eq(decoded->cfg.name, "web1");
	ck_assert_str_eq(decoded->cfg.cmdline, "console=ttyS0");
	ck_assert_uint_eq(decoded->cfg.cpus, 2);
	ck_assert_uint_eq(decoded->cpu_features[4], 0x1004);
	ck_assert_int_eq(decoded->cfg.numa_node, -1);
	for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		good_info(info);
		strcpy(info->cfg.name, bad_configs[i].name);
		info->cfg.cpus = bad_configs[i].cpus;
		info->cfg.memory_bytes = bad_configs[i].memory;
		bad = header_payload(info);
		assert_refused(&c, bad.buf, bad.len, "bad configuration", i);
		state_writer_free(&bad);
	}
	state_writer_free(&good);
	free(info);
	free(decoded);
}
END_TEST

START_TEST(checkpoint_end_corrupted_section_is_refused)
{
	const struct checkpoint_end want = { 7, 0x123456789ULL };
	struct checkpoint_end decoded;
	struct section_case c = { "END0", &decoded, NULL, end_load, 0 };
	struct state_writer good;

	state_writer_init(&good);
	checkpoint_end_encode(&want, &good);
	ck_assert_uint_eq(good.len, 16);
	check_section(&c, &good, NULL, 0);
	ck_assert_uint_eq(decoded.sections, 7);
	ck_assert_uint_eq(decoded.bytes, 0x123456789ULL);
	state_writer_free(&good);
}
END_TEST

/* ---- 4. the resource allocator ---- */

START_TEST(allocator_hands_out_naturally_aligned_windows)
{
	struct resources res;
	uint64_t addr;
	uint32_t port, first, gsi;

	resources_init(&res, TEST_SLOTS, TEST_GSIS);
	ck_assert_int_eq(resources_alloc_mmio(&res, 0x1000, &addr), 0);
	ck_assert_uint_eq(addr, LAYOUT_PCI_MMIO);
	ck_assert_int_eq(resources_alloc_mmio(&res, 0x100000, &addr), 0);
	ck_assert_uint_eq(addr, LAYOUT_PCI_MMIO + 0x100000);	/* rounded up past the 4 KiB window */
	ck_assert_int_eq(resources_alloc_mmio(&res, 0x10, &addr), 0);
	ck_assert_uint_eq(addr, LAYOUT_PCI_MMIO + 0x200000);
	ck_assert_int_eq(resources_alloc_io(&res, 0x10, &port), 0);
	ck_assert_uint_eq(port, RESOURCES_IO_BASE);
	ck_assert_int_eq(resources_alloc_io(&res, 0x100, &port), 0);
	ck_assert_uint_eq(port, RESOURCES_IO_BASE + 0x100);
	ck_assert_int_eq(resources_alloc_io(&res, 4, &port), 0);
	ck_assert_uint_eq(port, RESOURCES_IO_BASE + 0x200);
	ck_assert_int_eq(resources_alloc_slots(&res, 2, &first), 0);
	ck_assert_uint_eq(first, 0);
	ck_assert_int_eq(resources_alloc_slots(&res, 1, &first), 0);
	ck_assert_uint_eq(first, 2);
	ck_assert_int_eq(resources_alloc_gsi(&res, &gsi), 0);
	ck_assert_uint_eq(gsi, IOAPIC_PINS);
}
END_TEST

START_TEST(allocator_reports_enospc_at_the_end_of_each_range)
{
	static const uint64_t mmio_sizes[] = { 0x20000000, 0x10000000, 0x8000000, 0x4000000, 0x2000000,
					       0x800000, 0x400000 };	/* exactly up to the IO-APIC */
	struct resources res;
	uint64_t addr;
	uint32_t port, first, gsi;

	resources_init(&res, TEST_SLOTS, IOAPIC_PINS + 2);
	for (size_t i = 0; i < ARRAY_SIZE(mmio_sizes); i++) {
		ck_assert_int_eq(resources_alloc_mmio(&res, mmio_sizes[i], &addr), 0);
		if (i == 4)	/* the next 16 MiB window would cross LAYOUT_PCI_MMIO_END */
			ck_assert_int_eq(resources_alloc_mmio(&res, 0x1000000, &addr), -ENOSPC);
	}
	ck_assert_uint_eq(addr + 0x400000, LAYOUT_PCI_MMIO_END);
	ck_assert_int_eq(resources_alloc_mmio(&res, 1, &addr), -ENOSPC);
	ck_assert_uint_eq(addr, LAYOUT_PCI_MMIO_END - 0x400000);	/* untouched by the failure */

	ck_assert_int_eq(resources_alloc_io(&res, 0x4000, &port), 0);
	ck_assert_uint_eq(port, RESOURCES_IO_BASE);
	ck_assert_int_eq(resources_alloc_io(&res, 1, &port), -ENOSPC);

	ck_assert_int_eq(resources_alloc_slots(&res, TEST_SLOTS - 2, &first), 0);
	ck_assert_int_eq(resources_alloc_slots(&res, 3, &first), -ENOSPC);
	ck_assert_int_eq(resources_alloc_slots(&res, 2, &first), 0);
	ck_assert_uint_eq(first, TEST_SLOTS - 2);
	ck_assert_int_eq(resources_alloc_slots(&res, 1, &first), -ENOSPC);
	ck_assert_int_eq(resources_alloc_slots(&res, TEST_SLOTS + 1, &first), -ENOSPC);

	ck_assert_int_eq(resources_alloc_gsi(&res, &gsi), 0);
	ck_assert_int_eq(resources_alloc_gsi(&res, &gsi), 0);
	ck_assert_uint_eq(gsi, IOAPIC_PINS + 1);
	ck_assert_int_eq(resources_alloc_gsi(&res, &gsi), -ENOSPC);
}
END_TEST

START_TEST(allocator_refuses_sizes_not_a_power_of_two)
{
	static const uint64_t sizes[] = { 0, 3, 0x3000, 0x100001 };
	struct resources res;
	uint64_t addr;
	uint32_t port;

	resources_init(&res, TEST_SLOTS, TEST_GSIS);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		ck_assert_int_eq(resources_alloc_mmio(&res, sizes[i], &addr), -EINVAL);
		ck_assert_int_eq(resources_alloc_io(&res, sizes[i], &port), -EINVAL);
	}
	ck_assert_int_eq(resources_alloc_mmio(&res, 0x1000, &addr), 0);	/* nothing was used up */
	ck_assert_uint_eq(addr, LAYOUT_PCI_MMIO);
	ck_assert_int_eq(resources_alloc_io(&res, 8, &port), 0);
	ck_assert_uint_eq(port, RESOURCES_IO_BASE);
}
END_TEST

START_TEST(allocator_position_round_trips)
{
	struct resources orig, copy;
	struct state_writer saved, resaved;
	uint64_t addr[2];
	uint32_t port[2], slot[2], gsi[2];

	resources_init(&orig, TEST_SLOTS, TEST_GSIS);
	resources_use(&orig);
	resources_use(&orig);
	saved = resources_payload(&orig);
	resources_init(&copy, TEST_SLOTS, TEST_GSIS);
	resources_use(&copy);	/* a machine built from the same configuration has handed out less */
	ck_assert_int_eq(resources_load(&copy, saved.buf, saved.len, 0), 0);
	resaved = resources_payload(&copy);
	ck_assert(same_bytes(&saved, &resaved));
	/* Both hand out the same next values. */
	ck_assert_int_eq(resources_alloc_mmio(&orig, 0x1000, &addr[0]), 0);
	ck_assert_int_eq(resources_alloc_mmio(&copy, 0x1000, &addr[1]), 0);
	ck_assert_int_eq(resources_alloc_io(&orig, 0x10, &port[0]), 0);
	ck_assert_int_eq(resources_alloc_io(&copy, 0x10, &port[1]), 0);
	ck_assert_int_eq(resources_alloc_slots(&orig, 1, &slot[0]), 0);
	ck_assert_int_eq(resources_alloc_slots(&copy, 1, &slot[1]), 0);
	ck_assert_int_eq(resources_alloc_gsi(&orig, &gsi[0]), 0);
	ck_assert_int_eq(resources_alloc_gsi(&copy, &gsi[1]), 0);
	ck_assert_uint_eq(addr[0], LAYOUT_PCI_MMIO + 0x200000);
	ck_assert_uint_eq(addr[1], addr[0]);
	ck_assert_uint_eq(port[0], RESOURCES_IO_BASE + 0x200);
	ck_assert_uint_eq(port[1], port[0]);
	ck_assert_uint_eq(slot[0], 4);
	ck_assert_uint_eq(slot[1], slot[0]);
	ck_assert_uint_eq(gsi[0], IOAPIC_PINS + 2);
	ck_assert_uint_eq(gsi[1], gsi[0]);
	state_writer_free(&saved);
	state_writer_free(&resaved);
}
END_TEST

/* Hand out one resource of a kind: 0 MMIO, 1 I/O, 2 slot, 3 GSI. */
static void resources_take(struct resources *res, unsigned int kind)
{
	uint64_t addr;
	uint32_t v;

	switch (kind) {
	case 0: ck_assert_int_eq(resources_alloc_mmio(res, 0x1000, &addr), 0); break;
	case 1: ck_assert_int_eq(resources_alloc_io(res, 0x10, &v), 0); break;
	case 2: ck_assert_int_eq(resources_alloc_slots(res, 1, &v), 0); break;
	default: ck_assert_int_eq(resources_alloc_gsi(res, &v), 0); break;
	}
}

START_TEST(allocator_restore_refuses_a_position_behind_a_fresh_allocator)
{
	struct resources fresh, target;
	struct section_case c = { "resources", &target, resources_snapshot, resources_load, 0 };
	struct state_writer unused;

	resources_init(&fresh, TEST_SLOTS, TEST_GSIS);
	unused = resources_payload(&fresh);	/* every range at its start */
	for (unsigned int kind = 0; kind < 4; kind++) {
		resources_init(&target, TEST_SLOTS, TEST_GSIS);
		resources_take(&target, kind);
		assert_refused(&c, unused.buf, unused.len, "position behind what was handed out, kind", kind);
	}
	resources_init(&target, TEST_SLOTS, TEST_GSIS);
	ck_assert_int_eq(resources_load(&target, unused.buf, unused.len, 0), 0);	/* level with it: fine */
	state_writer_free(&unused);
}
END_TEST

/* ---- 5. CPUID ---- */

START_TEST(cpuid_table_round_trips_through_its_section)
{
	struct kvm_cpuid2 *t = test_cpuid_table(), *loaded, *copy;
	struct state_writer saved = cpuid_payload(t), resaved;
	char vendor[13];
	int err = 0;

	ck_assert_uint_eq(saved.len, 4 + ARRAY_SIZE(test_cpuid) * CPUID_ENTRY_BYTES);
	loaded = cpuid_load(saved.buf, saved.len, &err);
	ck_assert_ptr_nonnull(loaded);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(loaded->nent, ARRAY_SIZE(test_cpuid));
	ck_assert_mem_eq(loaded->entries, test_cpuid, sizeof(test_cpuid));
	resaved = cpuid_payload(loaded);
	ck_assert(same_bytes(&saved, &resaved));
	copy = cpuid_copy(loaded);
	ck_assert_ptr_nonnull(copy);
	ck_assert_uint_eq(copy->nent, ARRAY_SIZE(test_cpuid));
	ck_assert_mem_eq(copy->entries, test_cpuid, sizeof(test_cpuid));
	cpuid_vendor(copy, vendor);
	ck_assert_str_eq(vendor, "GenuineIntel");
	state_writer_free(&saved);
	state_writer_free(&resaved);
	free(t);
	free(loaded);
	free(copy);
}
END_TEST

/* cpuid_check_host of the test table against a host table changed by change; err is what it says. */
static int check_against_host(void (*change)(struct kvm_cpuid2 *host), char *err, size_t errlen)
{
	struct kvm_cpuid2 *guest = test_cpuid_table(), *host = test_cpuid_table();
	int ret;

	if (change)
		change(host);
	err[0] = '\0';
	ret = cpuid_check_host(guest, host, err, errlen);
	free(guest);
	free(host);
	return ret;
}

static void host_has_more(struct kvm_cpuid2 *host)
{
	cpuid_entry(host, 7, 0)->ebx = ~0U;
	cpuid_entry(host, 0x80000001, 0)->edx = ~0U;
}

static void host_lacks_avx2(struct kvm_cpuid2 *host)
{
	cpuid_entry(host, 7, 0)->ebx &= ~(1U << 5);
}

static void host_lacks_leaf_7(struct kvm_cpuid2 *host)
{
	struct kvm_cpuid_entry2 *leaf7 = cpuid_entry(host, 7, 0);

	host->nent--;
	*leaf7 = host->entries[host->nent];
}

static void host_is_amd(struct kvm_cpuid2 *host)
{
	struct kvm_cpuid_entry2 *leaf0 = cpuid_entry(host, 0, 0);

	leaf0->ebx = 0x68747541;	/* "Auth" */
	leaf0->edx = 0x69746e65;	/* "enti" */
	leaf0->ecx = 0x444d4163;	/* "cAMD" */
}

static void host_not_a_guest(struct kvm_cpuid2 *host)
{
	cpuid_entry(host, 1, 0)->ecx &= ~(1U << 31);
}

static void host_lacks_rdrand(struct kvm_cpuid2 *host)
{
	cpuid_entry(host, 1, 0)->ecx &= ~(1U << 30 | 1U << 31);
}

START_TEST(cpuid_check_host_passes_for_the_same_table)
{
	char err[200];

	ck_assert_int_eq(check_against_host(NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(check_against_host(host_has_more, err, sizeof(err)), 0);
}
END_TEST

START_TEST(cpuid_check_host_names_a_missing_leaf_7_ebx_bit)
{
	char err[200];

	ck_assert_int_eq(check_against_host(host_lacks_avx2, err, sizeof(err)), -ENOTSUP);
	ck_assert_msg(strstr(err, "leaf 0x7.0 ebx bit 5"), "err: %s", err);
	ck_assert_int_eq(check_against_host(host_lacks_leaf_7, err, sizeof(err)), -ENOTSUP);
	ck_assert_msg(strstr(err, "leaf 0x7.0 ebx bit 0"), "err: %s", err);
}
END_TEST

START_TEST(cpuid_check_host_refuses_another_vendor)
{
	char err[200];

	ck_assert_int_eq(check_against_host(host_is_amd, err, sizeof(err)), -ENOTSUP);
	ck_assert_msg(strstr(err, "GenuineIntel") && strstr(err, "AuthenticAMD"), "err: %s", err);
}
END_TEST

START_TEST(cpuid_check_host_ignores_the_hypervisor_bit)
{
	char err[200];

	ck_assert_int_eq(check_against_host(host_not_a_guest, err, sizeof(err)), 0);
	/* ... but not the rest of that word. */
	ck_assert_int_eq(check_against_host(host_lacks_rdrand, err, sizeof(err)), -ENOTSUP);
	ck_assert_msg(strstr(err, "leaf 0x1.0 ecx bit 30"), "err: %s", err);
}
END_TEST

/* ---- 7. checkpoint images parsed in memory ---- */

struct image_spec {
	uint32_t format_version;
	int sections_off;		/* added to END0's section count */
	int bytes_off;			/* added to END0's byte count */
	bool trailing_byte;		/* a byte after END0 */
	unsigned int cpuid_short;	/* bytes dropped from the CPID payload, framed all the same */
};

static const struct image_spec good_image = { CHECKPOINT_FORMAT_VERSION, 0, 0, false, 0 };

static void sink_payload(struct state_sink *sink, uint32_t type, uint16_t version, struct state_writer *w)
{
	ck_assert_int_eq(state_sink_writer(sink, type, version, 0, w), 0);
	state_writer_free(w);
}

/* "SHEERCKP", HDR0, CPID, END0, as checkpoint_write lays them out. */
static struct state_writer build_image(const struct image_spec *spec)
{
	struct checkpoint_info *info = malloc(sizeof(*info));
	struct kvm_cpuid2 *cpuid = test_cpuid_table();
	struct state_writer img, w;
	struct state_sink sink = buffer_sink(&img);
	struct checkpoint_end end;

	state_writer_init(&img);
	state_put_bytes(&img, CHECKPOINT_MAGIC, 8);
	good_info(info);
	info->format_version = spec->format_version;
	w = header_payload(info);
	sink_payload(&sink, CHECKPOINT_HEADER_TYPE, CHECKPOINT_SECTION_VERSION, &w);
	w = cpuid_payload(cpuid);
	w.len -= spec->cpuid_short;
	sink_payload(&sink, CPUID_STATE_TYPE, CPUID_STATE_VERSION, &w);
	end = (struct checkpoint_end){ 2 + spec->sections_off, img.len + spec->bytes_off };
	checkpoint_end_encode(&end, &w);
	sink_payload(&sink, CHECKPOINT_END_TYPE, CHECKPOINT_SECTION_VERSION, &w);
	if (spec->trailing_byte)
		state_put_u8(&img, 0);
	ck_assert_int_eq(img.error, 0);
	free(info);
	free(cpuid);
	return img;
}

/* checkpoint_parse of an exact-size copy of img's first len bytes, byte at ^ flip (ASan sees any read past len). */
static int parse_prefix(const struct state_writer *img, size_t len, uint8_t flip, size_t at, char *err,
			size_t errlen)
{
	struct checkpoint_info *info = malloc(sizeof(*info));
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, img->buf, len);
	if (at < len)
		copy[at] ^= flip;
	err[0] = '\0';
	ret = checkpoint_parse(copy, len, info, err, errlen);
	free(copy);
	free(info);
	return ret;
}

START_TEST(checkpoint_good_image_parses)
{
	struct state_writer img = build_image(&good_image);
	struct checkpoint_info *info = malloc(sizeof(*info));
	char err[256] = "";

	ck_assert_int_eq(checkpoint_parse(img.buf, img.len, info, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(info->format_version, CHECKPOINT_FORMAT_VERSION);
	ck_assert_str_eq(info->sheer_version, "0.1.0");
	ck_assert_str_eq(info->cpu_vendor, "GenuineIntel");
	ck_assert_uint_eq(info->created_unix, 1700000000);
	ck_assert_str_eq(info->cfg.name, "web1");
	ck_assert_uint_eq(info->cfg.cpus, 2);
	ck_assert_uint_eq(info->cfg.memory_bytes, 64 * MiB);
	ck_assert_str_eq(info->cfg.kernel, "/srv/bzImage");
	ck_assert_str_eq(info->cfg.cmdline, "console=ttyS0");
	free(info);
	state_writer_free(&img);
}
END_TEST

START_TEST(checkpoint_any_flipped_byte_is_refused)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct state_writer img = build_image(&good_image);
	char err[256];

	for (size_t off = 0; off < img.len; off++) {
		for (size_t f = 0; f < ARRAY_SIZE(flips); f++) {
			int ret = parse_prefix(&img, img.len, flips[f], off, err, sizeof(err));

			ck_assert_msg(ret == -EBADMSG && err[0], "byte %zu of %zu ^ %#x: returned %d (%s)", off, img.len,
				      flips[f], ret, err);
		}
	}
	state_writer_free(&img);
}
END_TEST

START_TEST(checkpoint_any_truncation_is_refused)
{
	struct state_writer img = build_image(&good_image);
	char err[256];

	ck_assert_int_eq(parse_prefix(&img, img.len, 0, 0, err, sizeof(err)), 0);
	for (size_t len = 0; len < img.len; len++) {
		int ret = parse_prefix(&img, len, 0, 0, err, sizeof(err));

		ck_assert_msg(ret == -EBADMSG && err[0], "cut to %zu of %zu bytes: returned %d", len, img.len, ret);
	}
	state_writer_free(&img);
}
END_TEST

START_TEST(checkpoint_newer_format_version_is_refused_by_name)
{
	const struct image_spec newer = { CHECKPOINT_FORMAT_VERSION + 1, 0, 0, false, 0 };
	struct state_writer img = build_image(&newer);
	char err[256], want[32];

	ck_assert_int_eq(parse_prefix(&img, img.len, 0, 0, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want), "format version %d", CHECKPOINT_FORMAT_VERSION + 1);
	ck_assert_msg(strstr(err, want), "err: %s", err);
	state_writer_free(&img);
}
END_TEST

START_TEST(checkpoint_end_section_must_count_what_came_before_it)
{
	static const struct { struct image_spec spec; const char *says; } bad[] = {
		{ { CHECKPOINT_FORMAT_VERSION, 1, 0, false, 0 }, "end section" },
		{ { CHECKPOINT_FORMAT_VERSION, -1, 0, false, 0 }, "end section" },
		{ { CHECKPOINT_FORMAT_VERSION, 0, 1, false, 0 }, "end section" },
		{ { CHECKPOINT_FORMAT_VERSION, 0, -1, false, 0 }, "end section" },
		{ { CHECKPOINT_FORMAT_VERSION, 0, 0, true, 0 }, "data after the end section" },
		{ { CHECKPOINT_FORMAT_VERSION, 0, 0, false, 1 }, "malformed CPUID section" },	/* framed all right */
	};
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct state_writer img = build_image(&bad[i].spec);
		int ret = parse_prefix(&img, img.len, 0, 0, err, sizeof(err));

		ck_assert_msg(ret == -EBADMSG && strstr(err, bad[i].says), "image %zu: returned %d (%s)", i, ret, err);
		state_writer_free(&img);
	}
}
END_TEST

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase(s, "framing");

	tcase_add_test(tc, crc32c_matches_the_castagnoli_check_value);
	tcase_add_test(tc, section_header_round_trips_and_refuses_any_flipped_bit);
	tcase_add_test(tc, writer_encodes_little_endian);
	tcase_add_test(tc, reader_reads_past_the_end_as_zeros_with_an_error);
	tcase_add_test(tc, reader_finish_refuses_leftover_bytes);
	tcase_add_test(tc, reader_bool_is_only_0_or_1);
	tcase_add_test(tc, sink_section_checksum_is_crc32c_of_the_payload);
	tc = tcase(s, "device round trip");
	tcase_add_test(tc, serial_round_trip_keeps_divisor_fifo_and_interrupt);
	tcase_add_test(tc, rtc_round_trip_keeps_index_and_cmos);
	tcase_add_test(tc, pm_round_trip_keeps_status_enable_control_and_sci);
	tcase_add_test(tc, reset_control_round_trip_keeps_the_announced_reset);
	tcase_add_test(tc, pci_round_trip_keeps_latched_address_and_host_bridge_registers);
	tcase_add_test(tc, fw_cfg_round_trip_keeps_the_item_and_read_offset);
	tcase_add_test(tc, pci_hotplug_round_trip_keeps_pending_events_and_releases);
	tcase_add_test(tc, pci_hotplug_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, pci_hotplug_cancelled_eject_ignores_a_late_release);
	tc = tcase(s, "corrupted sections");
	tcase_add_test(tc, serial_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, rtc_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, pm_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, reset_control_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, pci_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, fw_cfg_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, resources_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, cpuid_corrupted_section_is_refused);
	tcase_add_test(tc, memory_block_corrupted_section_is_refused_and_changes_nothing);
	tcase_add_test(tc, checkpoint_header_corrupted_section_is_refused);
	tcase_add_test(tc, checkpoint_end_corrupted_section_is_refused);
	tc = tcase(s, "allocator");
	tcase_add_test(tc, allocator_hands_out_naturally_aligned_windows);
	tcase_add_test(tc, allocator_reports_enospc_at_the_end_of_each_range);
	tcase_add_test(tc, allocator_refuses_sizes_not_a_power_of_two);
	tcase_add_test(tc, allocator_position_round_trips);
	tcase_add_test(tc, allocator_restore_refuses_a_position_behind_a_fresh_allocator);
	tc = tcase(s, "cpuid");
	tcase_add_test(tc, cpuid_table_round_trips_through_its_section);
	tcase_add_test(tc, cpuid_check_host_passes_for_the_same_table);
	tcase_add_test(tc, cpuid_check_host_names_a_missing_leaf_7_ebx_bit);
	tcase_add_test(tc, cpuid_check_host_refuses_another_vendor);
	tcase_add_test(tc, cpuid_check_host_ignores_the_hypervisor_bit);
	tc = tcase(s, "memory blocks");
	tcase_add_test(tc, memory_blocks_round_trip_skipping_zero_pages);
	tcase_add_test(tc, memory_restore_over_old_contents_zeroes_pages_absent_from_the_map);
	tc = tcase(s, "checkpoint images");
	tcase_add_test(tc, checkpoint_good_image_parses);
	tcase_add_test(tc, checkpoint_any_flipped_byte_is_refused);
	tcase_add_test(tc, checkpoint_any_truncation_is_refused);
	tcase_add_test(tc, checkpoint_newer_format_version_is_refused_by_name);
	tcase_add_test(tc, checkpoint_end_section_must_count_what_came_before_it);
	return s;
}
