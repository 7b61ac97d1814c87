/* What a migration peer sends: the hello a target's supervisor reads first, and MPG0 page sections. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p2v/migrate/migrate.h"
#include "vmm/kvm/memory_pages.h"
#include "vmm/kvm/memory_state.h"

#define FUZZ_RAM (4 * MEMORY_BLOCK_SIZE)

static void fuzz_hello(const uint8_t *data, size_t len)
{
	struct migrate_hello hello;
	char err[256];
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		return;
	/* The whole input fits the socket's buffer (libFuzzer's max_len is 4096); then the peer hangs up. */
	if (write(pair[1], data, len) == (ssize_t)len) {
		close(pair[1]);
		pair[1] = -1;
		if (migrate_receive_hello(pair[0], &hello, err, sizeof(err)) == 0)
			migrate_hello_free(&hello);
	}
	close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
}

static void fuzz_pages(const uint8_t *data, size_t len)
{
	static uint8_t *ram;
	struct guest_memory mem = { .fd = -1, .size = FUZZ_RAM, .low_size = FUZZ_RAM };

	if (!ram)
		ram = calloc(1, FUZZ_RAM);
	if (!ram)
		return;
	mem.host = ram;
	memory_restore_pages(&mem, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	if (data[0] & 1)
		fuzz_hello(data + 1, len - 1);
	else
		fuzz_pages(data + 1, len - 1);
	return 0;
}
