/*
 * count: prints "count: start", then 00000001, 00000002... one number per line
 * without end, for tests/guests/migrate.sh. Each byte is its own OUT, with hardly
 * an instruction between two (the number is kept as text and incremented in place;
 * sheer's UART takes every byte at once), so the vCPU spends much of its time in
 * sheer handling those exits and a pause mostly lands between an OUT's exit and
 * its completion: a migration that saves the registers there makes the target
 * print that byte again, and the consoles of both hosts, read as one, show it.
 */
#include "lib.h"

#define COM1 0x3f8

static char line[] = "00000000\n";

static void line_next(void)
{
	for (int digit = 7; digit >= 0; digit--) {
		if (line[digit] != '9') {
			line[digit]++;
			return;
		}
		line[digit] = '0';
	}
}

void guest_main(const uint8_t *zero_page)
{
	(void)zero_page;
	gprintf("count: start\n");
	for (;;) {
		line_next();
		for (unsigned int i = 0; i < sizeof(line) - 1; i++)
			outb(COM1, line[i]);
	}
}
