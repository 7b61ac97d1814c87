/*
 * The guest's console output on its way to the host (stdout): a bounded
 * buffer and a writer thread, so that a slow or stuck reader (`sheer run |
 * sleep 300`) never blocks the UART, the device lock, or through them the
 * control socket. What does not fit is dropped and counted.
 */
#ifndef SHEER_VMM_DEVICES_CONSOLE_OUT_H
#define SHEER_VMM_DEVICES_CONSOLE_OUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/sandbox/sandbox.h"

#define CONSOLE_OUT_SIZE (64 * 1024)

struct console_out {
	int fd;
	int wake_fd;		/* console_out_stop giving up on a reader that never reads */
	const struct sandbox *sandbox;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool stopping;
	bool broken;		/* the fd refused a write: everything after is dropped */
	size_t head, len;
	uint64_t dropped;
	uint8_t buf[CONSOLE_OUT_SIZE];
};

/* Start the writer thread on fd; 0 or a negative errno. */
int console_out_start(struct console_out *out, int fd, const struct sandbox *sandbox);
/* Queue bytes for the writer; never blocks. Before start (or after stop) the bytes are dropped. */
void console_out_write(struct console_out *out, const uint8_t *data, size_t len);
/*
 * Let the writer flush for up to timeout_ms, then stop it, even in the
 * middle of a write the reader never takes.
 */
void console_out_stop(struct console_out *out, int timeout_ms);
uint64_t console_out_dropped(struct console_out *out);

#endif
