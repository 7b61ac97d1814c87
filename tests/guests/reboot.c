/* Resets the machine the way the command line says: reset=cf9, reset=kbd or reset=triple (after a request). */
#include "lib.h"

void guest_main(const uint8_t *zp)
{
	const char *cmdline = (const char *)(uint64_t)zp32(zp, ZP_CMDLINE);
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) empty = { 0, 0 };

	if (gstrstr(cmdline, "reset=cf9")) {
		gprintf("reboot: writing 0x6 to port 0xcf9\n");
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);
	} else if (gstrstr(cmdline, "reset=kbd")) {
		gprintf("reboot: pulsing reset through the keyboard controller\n");
		outb(0x64, 0xfe);
	} else if (gstrstr(cmdline, "reset=triple")) {
		gprintf("reboot: requesting a reset, then triple fault\n");
		outb(0xcf9, 0x02);
		__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	}
	guest_fail("still running after the reset");
}
