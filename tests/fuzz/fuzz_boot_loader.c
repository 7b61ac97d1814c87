/* A corrupt or hostile kernel file (a profile names any path): the bzImage as the whole boot loader loads it. */
/*
 * The input is the kernel file. boot_linux_load() takes it as `sheer run`
 * does after boot_image_open(): setup header, zero page, direct boot (payload
 * found, XZ or gzip unpacked, vmlinux ELF checked and loaded at 16 MiB) or
 * the fallback to the bzImage's own decompressor, a 4 KiB initrd placed under
 * the header's initrd_addr_max, and the command line. The seeds
 * (tests/fuzz/corpus/fuzz_boot_loader) are bzImages with an XZ and a gzip
 * payload, so mutations start inside the decompressors. An input that is
 * not a bzImage is taken for the vmlinux ELF inside one: the target packs it
 * (gzip) into a bzImage of its own, so that the ELF checks, and what the
 * loader does with the ELF's extent, are reached past the compressor's CRC
 * (seed: vmlinux). No kernel cache: its files are sheer's own (unit-tested
 * in check_vmm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/boot/boot_linux.h"
#include "vmm/boot/kernel_image.h"
#include "vmm/machine/layout.h"

#define GUEST_RAM (64 * MiB)
#define INITRD_SIZE 4096
/* A payload may claim up to 512 MiB unpacked; past this the target skips it, to keep each run short. */
#define VMLINUX_LIMIT (16 * MiB)
#define SETUP_SIZE 1024		/* one boot sector, one setup sector */
#define STUB_SIZE 0x210		/* the protected-mode kernel before its payload: the 64-bit entry at 0x200 */
#define PACKED_MAX (SETUP_SIZE + STUB_SIZE + 8192)

struct boot_env {
	struct guest_memory mem;
	struct e820_table e820;
	char initrd[64];	/* in a directory of its own under TMPDIR, removed at exit */
	char dir[48];
};

static struct boot_env env;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_boot_loader: %s\n", what);
	abort();
}

static void remove_initrd(void)
{
	unlink(env.initrd);
	rmdir(env.dir);
}

static void make_initrd(void)
{
	const char *tmp = getenv("TMPDIR");
	uint8_t bytes[INITRD_SIZE];
	FILE *f;

	snprintf(env.dir, sizeof(env.dir), "%.24s/fuzz-boot-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(env.dir))
		fail("cannot make a temporary directory");
	snprintf(env.initrd, sizeof(env.initrd), "%s/initrd", env.dir);
	atexit(remove_initrd);
	memset(bytes, 0x5a, sizeof(bytes));
	f = fopen(env.initrd, "we");
	if (!f || fwrite(bytes, 1, sizeof(bytes), f) != sizeof(bytes) || fclose(f) != 0)
		fail("cannot write the initrd");
}

static void env_init(void)
{
	if (memory_create(&env.mem, GUEST_RAM, -1) < 0 ||
	    e820_build(&env.e820, env.mem.low_size, env.mem.high_size) < 0)
		fail("cannot make guest memory");
	make_initrd();
}

static void put_le(uint8_t *p, uint64_t value, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		p[i] = value >> (8 * i);
}

/* A 2.15 setup header as tests/guests/mkbzimage.c writes it, with a payload after the stub. */
static void write_setup_header(uint8_t *image, size_t payload_size)
{
	memset(image, 0, SETUP_SIZE + STUB_SIZE);
	put_le(image + 0x1f1, 1, 1);			/* setup_sects */
	put_le(image + 0x1fe, 0xaa55, 2);
	put_le(image + 0x200, 0xeb | (0x26c - 0x202) << 8, 2);
	memcpy(image + 0x202, "HdrS", 4);
	put_le(image + 0x206, 0x020f, 2);
	put_le(image + 0x211, 0x01, 1);			/* LOADED_HIGH */
	put_le(image + 0x22c, 0x7fffffff, 4);		/* initrd_addr_max */
	put_le(image + 0x236, 0x01, 2);			/* XLF_KERNEL_64 */
	put_le(image + 0x238, 2047, 4);			/* cmdline_size */
	put_le(image + 0x248, STUB_SIZE, 4);		/* payload_offset */
	put_le(image + 0x24c, payload_size, 4);		/* payload_length */
	put_le(image + 0x260, 4 * MiB, 4);		/* init_size */
}

/* vmlinux gzipped into a bzImage, as the kernel build packs it; its size, or 0. */
static size_t pack_vmlinux(const uint8_t *vmlinux, size_t len, uint8_t *image)
{
	z_stream z = { .next_in = (Bytef *)vmlinux, .avail_in = len, .next_out = image + SETUP_SIZE + STUB_SIZE,
		       .avail_out = PACKED_MAX - SETUP_SIZE - STUB_SIZE };
	size_t packed = 0;

	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		packed = z.total_out;
	deflateEnd(&z);
	if (packed)
		write_setup_header(image, packed);
	return packed ? SETUP_SIZE + STUB_SIZE + packed : 0;
}

/* The decompressed size a payload announces, or 0 when it has none sheer would unpack. */
static size_t announced_vmlinux_size(const struct boot_image *image)
{
	struct kernel_payload payload;
	char why[256];

	if (kernel_payload_find(image, &payload, why, sizeof(why)) < 0)
		return 0;
	return payload.vmlinux_size;
}

static void load(const uint8_t *data, size_t len)
{
	struct boot_image image = { .path = "fuzz.bzImage", .data = (uint8_t *)data, .size = len };
	struct boot_request req = {
		.initrd_path = env.initrd,
		.cmdline = "console=ttyS0 quiet",
		.rsdp = LAYOUT_BIOS,
		.e820 = &env.e820,
	};
	struct boot_entry entry;
	char err[512];

	if (bzimage_parse(data, len, &image.header, err, sizeof(err)) < 0 ||
	    announced_vmlinux_size(&image) > VMLINUX_LIMIT)
		return;
	/* Whatever was loaded, the vCPU starts in guest RAM. */
	if (boot_linux_load(&env.mem, &image, &req, &entry, err, sizeof(err)) == 0 &&
	    !memory_at(&env.mem, entry.rip, 1))
		fail("the boot entry point is outside guest RAM");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t packed[PACKED_MAX];
	struct bzimage header;
	char why[128];
	size_t packed_len;

	if (!env.mem.host)
		env_init();
	if (bzimage_parse(data, len, &header, why, sizeof(why)) == 0) {
		load(data, len);
		return 0;
	}
	packed_len = pack_vmlinux(data, len, packed);
	if (packed_len)
		load(packed, packed_len);
	return 0;
}
