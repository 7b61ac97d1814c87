/* A triple fault: no IDT, then an exception. sheer must report a crash, not hang or die. */
#include "lib.h"

void guest_main(const uint8_t *zp)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) empty = { 0, 0 };

	(void)zp;
	gprintf("crash: loading an empty IDT and executing ud2\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty));
}
