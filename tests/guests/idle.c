/*
 * Says it is up, then halts for ever with interrupts off: a server that keeps running without
 * spending a host CPU (the vCPU sleeps in KVM), for tests that only talk to its control socket.
 */
#include "lib.h"

void guest_main(const uint8_t *zp)
{
	(void)zp;
	gprintf("idle: halted\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
