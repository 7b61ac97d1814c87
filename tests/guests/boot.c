/* Reports what the boot protocol handed over: zero page, command line, initrd, e820 map, RSDP. */
#include "lib.h"

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

void guest_main(const uint8_t *zp)
{
	const struct e820_entry *e820 = (const struct e820_entry *)(zp + ZP_E820);
	const uint8_t *initrd = (const uint8_t *)(uint64_t)zp32(zp, ZP_INITRD_ADDR);
	uint32_t initrd_size = zp32(zp, ZP_INITRD_SIZE), sum = 0;
	uint64_t ram = 0;

	gprintf("boot: zero page 0x%lx magic %s loader 0x%x\n", (uint64_t)zp,
		gmemcmp(zp + ZP_MAGIC, "HdrS", 4) ? "bad" : "HdrS", zp[ZP_LOADER]);
	gprintf("boot: cmdline [%s]\n", (const char *)(uint64_t)zp32(zp, ZP_CMDLINE));
	for (uint32_t i = 0; i < initrd_size; i++)
		sum = sum * 31 + initrd[i];
	gprintf("boot: initrd addr 0x%x size %u hash 0x%x aligned %s\n", zp32(zp, ZP_INITRD_ADDR), initrd_size,
		sum, zp32(zp, ZP_INITRD_ADDR) % 4096 ? "no" : "yes");
	for (unsigned int i = 0; i < zp[ZP_E820_COUNT]; i++) {
		gprintf("boot: e820 0x%lx-0x%lx type %u\n", e820[i].addr, e820[i].addr + e820[i].size - 1,
			e820[i].type);
		if (e820[i].type == 1)
			ram += e820[i].size;
	}
	gprintf("boot: e820 ram %lu bytes\n", ram);
	gprintf("boot: rsdp 0x%lx\n", zp64(zp, ZP_ACPI_RSDP));
}
