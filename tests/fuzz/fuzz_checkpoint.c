/*
 * A checkpoint file as an attacker would write it. The first byte picks how
 * the rest is read:
 *   even: the bytes are the file itself (checkpoint_parse: magic, framing,
 *         checksums, header, CPUID, end section);
 *   odd:  the bytes are a list of (type, version, length, payload) that this
 *         target frames with valid checksums, so the fuzzer reaches the
 *         payload decoders behind the checksums: the file parser on the framed
 *         image, and every device's restore, the allocator's and the memory
 *         block loader on each payload. With bit 1 of the first byte set, an
 *         END0 section counting what came before closes the image, so a
 *         framed image can also parse whole (seed: corpus/.../framed-sections).
 */
#include <stdlib.h>
#include <string.h>

#include "p2v/checkpoint/checkpoint.h"
#include "p2v/checkpoint/header.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pm.h"
#include "vmm/devices/reset_control.h"
#include "vmm/devices/rtc.h"
#include "vmm/devices/serial.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/memory_state.h"
#include "vmm/machine/resources.h"
#include "tests/fuzz/fuzz_input.h"

#define FUZZ_RAM (2ULL << 20)	/* one memory block */

static void ignore_irq(void *opaque, unsigned int gsi, bool level) { (void)opaque; (void)gsi; (void)level; }
static void ignore_stop(void *opaque, enum vm_exit_reason reason, const char *detail)
{
	(void)opaque;
	(void)reason;
	(void)detail;
}
static void ignore_console(void *opaque, const uint8_t *data, size_t len) { (void)opaque; (void)data; (void)len; }

struct image {
	uint8_t *data;
	size_t len, cap;
};

static int image_write(void *ctx, const struct iovec *iov, int iovcnt)
{
	struct image *img = ctx;

	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > img->cap - img->len)
			return -1;
		memcpy(img->data + img->len, iov[i].iov_base, iov[i].iov_len);
		img->len += iov[i].iov_len;
	}
	return 0;
}

/* Every restore path that takes a payload, on fresh objects. */
static void restore_everywhere(uint32_t type, uint16_t version, const uint8_t *payload, size_t len,
			       struct guest_memory *mem)
{
	const struct machine machine = { NULL, ignore_irq, ignore_stop, ignore_console };
	const struct device_desc *devices[] = { &serial_device, &rtc_device, &pm_device, &reset_control_device,
						&pci_bus_device };
	union {
		struct serial serial;
		struct rtc rtc;
		struct pm pm;
		struct reset_control reset;
		struct pci_bus pci;
	} dev;
	struct resources res;
	struct state_reader r;
	int error;

	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		devices[i]->init(&dev, &machine, 4);
		device_restore(devices[i], &dev, payload, len, version);
	}
	resources_init(&res, 32, 1048);
	state_reader_init(&r, payload, len);
	resources_restore(&res, &r);
	free(cpuid_load(payload, len, &error));
	if (type == MEMORY_STATE_TYPE)
		memory_restore_block(mem, payload, len, version & 1);
}

/* END0 as the writer closes a file: the sections and bytes before it. */
static void close_image(struct state_sink *sink, const struct image *img, uint64_t sections)
{
	struct checkpoint_end end = { .sections = sections, .bytes = img->len };
	struct state_writer w;

	state_writer_init(&w);
	checkpoint_end_encode(&end, &w);
	state_sink_writer(sink, CHECKPOINT_END_TYPE, CHECKPOINT_SECTION_VERSION, 0, &w);
	state_writer_free(&w);
}

static void fuzz_framed(struct fuzz_input *in, struct guest_memory *mem, bool closed)
{
	/* Each section costs at least 7 input bytes and adds a 24-byte header; END0 takes 40. */
	size_t cap = 8 + 4 * fuzz_left(in) + 64;
	uint64_t sections = 0;
	struct image img = { malloc(cap), 0, cap };
	struct state_sink sink = { image_write, &img, 0 };
	struct iovec magic = { CHECKPOINT_MAGIC, 8 };
	struct checkpoint_info info;
	char err[256];

	if (!img.data)
		return;
	image_write(&img, &magic, 1);
	while (fuzz_left(in) > 0) {
		uint32_t type = (uint32_t)fuzz_take(in, 4);
		uint16_t version = (uint16_t)fuzz_take(in, 1);
		size_t len = fuzz_take(in, 2);
		struct iovec iov;

		len = len < fuzz_left(in) ? len : fuzz_left(in);
		iov = (struct iovec){ (void *)in->data, len };
		restore_everywhere(type, version, in->data, len, mem);
		if (state_sink_section(&sink, type, version, 0, &iov, 1) < 0)
			break;
		sections++;
		fuzz_take(in, len);
	}
	if (closed)
		close_image(&sink, &img, sections);
	checkpoint_parse(img.data, img.len, &info, err, sizeof(err));
	free(img.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { data, len };
	struct guest_memory mem = { .fd = -1, .size = FUZZ_RAM, .low_size = FUZZ_RAM };
	struct checkpoint_info info;
	unsigned int mode;
	char err[256];

	if (len == 0)
		return 0;
	mode = (unsigned int)fuzz_take(&in, 1);
	if (!(mode & 1)) {
		checkpoint_parse(in.data, in.len, &info, err, sizeof(err));
		return 0;
	}
	mem.host = calloc(1, FUZZ_RAM);
	if (mem.host)
		fuzz_framed(&in, &mem, mode & 2);
	free(mem.host);
	return 0;
}
