/*
 * Hostile guest: pseudo-random writes (and reads) on every I/O port and on one
 * dword of every 4 KiB page from the ECAM window to 4 GiB, then a clean power
 * off. Every port is read as a byte, a word and a dword; writes skip only the
 * ports that would legitimately end the run (reset control, keyboard-controller
 * reset, PM1a control). MMIO skips the local APIC page (its ICR could send this
 * CPU an NMI or INIT, which is the guest's own doing).
 */
#include "lib.h"

#define HOLE_START	0xb0000000ULL
#define HOLE_END	0x100000000ULL
#define LAPIC_PAGE	0xfee00000ULL

static uint32_t state = 0x2545f491;

static uint32_t next_random(void)
{
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

static int write_skipped(unsigned int port)
{
	return port == 0xcf9 || port == 0x64 || port == 0x604 || port == 0x605;
}

void guest_main(const uint8_t *zp)
{
	unsigned long pages = 0;
	unsigned int ports = 0;
	uint32_t sink = 0;

	(void)zp;
	gprintf("garbage: ports\n");
	for (unsigned int port = 0; port <= 0xffff; port++) {
		if (!write_skipped(port))
			outb(port, next_random());
		sink += inb(port) + inw(port) + inl(port);
		if (port % 4 == 0 && !write_skipped(port) && !write_skipped(port + 1) && !write_skipped(port + 2) &&
		    !write_skipped(port + 3))
			outl(port, next_random());
		ports++;
	}
	/* Put the console back the way the ports loop may have left it. */
	outb(0x3f8 + 3, 0x03);
	outb(0x3f8 + 1, 0x00);
	outb(0x3f8 + 4, 0x03);
	gprintf("\ngarbage: %u ports done, mmio\n", ports);
	for (uint64_t page = HOLE_START; page < HOLE_END; page += 4096) {
		if (page == LAPIC_PAGE)
			continue;
		mmio_write32(page + (next_random() & 0xffc), next_random());
		pages++;
	}
	outb(0x3f8 + 3, 0x03);
	outb(0x3f8 + 4, 0x03);
	gprintf("garbage: %lu mmio pages done (sink %x)\n", pages, sink);
}
