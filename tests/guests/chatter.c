/*
 * chatter: prints to the serial console without end and never powers off, for
 * tests/guests/slow_console.sh. Each `rep outsb` hands the UART a 4 KiB block in one
 * exit, so the guest outruns any reader within a second even where its
 * instructions are emulated one by one. After each block, a line "chatter:
 * keys LETTERS" names the letters typed on its console so far, in order of the
 * alphabet (lifecycle.sh: keys a viewer sends just before it detaches reach the
 * guest); the next line repeats it, since a reader that falls behind loses some.
 */
#include "lib.h"

#define COM1 0x3f8
#define BLOCK_SIZE 4096
#define LINE_SIZE 64
#define LSR_DATA_READY 0x01

static char block[BLOCK_SIZE];
static char typed[26];		/* typed['x' - 'a'] == 'x' once x came */

static const char *letters_typed(void)
{
	static char letters[27];
	unsigned int n = 0;

	for (unsigned int i = 0; i < 26; i++)
		if (typed[i])
			letters[n++] = typed[i];
	letters[n] = '\0';
	return letters;
}

static void fill_block(void)
{
	static const char line[] = "chatter: console output without end, nobody needs to read it";

	for (unsigned int i = 0; i < BLOCK_SIZE; i++) {
		unsigned int column = i % LINE_SIZE;

		block[i] = column == LINE_SIZE - 1 ? '\n' : column < sizeof(line) - 1 ? line[column] : '.';
	}
}

void guest_main(const uint8_t *zero_page)
{
	(void)zero_page;
	fill_block();
	for (;;) {
		const char *next = block;
		uint64_t left = BLOCK_SIZE;

		__asm__ volatile("rep outsb" : "+S"(next), "+c"(left) : "d"(COM1) : "memory");
		while (inb(COM1 + 5) & LSR_DATA_READY) {
			char key = (char)inb(COM1);

			if (key >= 'a' && key <= 'z')
				typed[key - 'a'] = key;
		}
		gprintf("\nchatter: keys %s\n", letters_typed());
	}
}
