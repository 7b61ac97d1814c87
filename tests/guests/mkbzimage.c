/*
 * Wraps a flat test-guest binary (linked at 1 MiB, 64-bit entry at +0x200) in
 * a minimal bzImage: one boot sector and one setup sector carrying a 2.15
 * setup header, so test guests go through the same boot protocol path as a
 * Linux kernel. Usage: mkbzimage GUEST.bin GUEST.bzImage
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETUP_SECTS 1
#define HEADER_END 0x26c

static void put(uint8_t *p, unsigned int offset, uint64_t value, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		p[offset + i] = value >> (8 * i);
}

int main(int argc, char **argv)
{
	uint8_t setup[(SETUP_SECTS + 1) * 512] = { 0 };
	static uint8_t payload[16 << 20];
	size_t size;
	FILE *in, *out;

	if (argc != 3) {
		fprintf(stderr, "usage: mkbzimage GUEST.bin GUEST.bzImage\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	size = fread(payload, 1, sizeof(payload), in);
	fclose(in);
	put(setup, 0x1f1, SETUP_SECTS, 1);
	put(setup, 0x1f4, (size + 15) / 16, 4);		/* syssize */
	put(setup, 0x1fe, 0xaa55, 2);			/* boot_flag */
	put(setup, 0x200, 0xeb | (HEADER_END - 0x202) << 8, 2);	/* jmp over the header */
	memcpy(setup + 0x202, "HdrS", 4);
	put(setup, 0x206, 0x020f, 2);			/* boot protocol 2.15 */
	put(setup, 0x211, 0x01, 1);			/* loadflags: LOADED_HIGH */
	put(setup, 0x214, 0x100000, 4);			/* code32_start */
	put(setup, 0x22c, 0x7fffffff, 4);		/* initrd_addr_max */
	put(setup, 0x230, 0x200000, 4);			/* kernel_alignment */
	put(setup, 0x236, 0x01, 2);			/* xloadflags: XLF_KERNEL_64 */
	put(setup, 0x238, 2047, 4);			/* cmdline_size */
	put(setup, 0x260, size + (1 << 20), 4);		/* init_size: image, bss and stack */
	out = fopen(argv[2], "wb");
	if (!out || fwrite(setup, 1, sizeof(setup), out) != sizeof(setup) || fwrite(payload, 1, size, out) != size ||
	    fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
