/*
 * The host side of the guest's serial console: a thread that feeds stdin to
 * the UART's receive FIFO when stdin is a terminal or a pipe.
 */
#ifndef SHEER_VMM_DEVICES_CONSOLE_H
#define SHEER_VMM_DEVICES_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>

#include "vmm/devices/serial.h"
#include "vmm/sandbox/sandbox.h"

struct console {
	int in_fd;
	int wake_fd;		/* eventfd: tells the thread to stop */
	pthread_t thread;
	bool started;
	struct serial *uart;
	pthread_mutex_t *lock;	/* the device lock the UART lives under */
	bool paused;		/* under lock: input waits while the machine is paused */
};

/* Starts nothing (and succeeds) when in_fd is neither a terminal nor a pipe. */
int console_start(struct console *console, int in_fd, struct serial *uart, pthread_mutex_t *lock,
		  const struct sandbox *sandbox);
void console_stop(struct console *console);
/* While paused, typed input stays in the host's buffer instead of reaching the UART. Call with the lock held. */
void console_set_paused(struct console *console, bool paused);

#endif
