/*
 * A 16550A UART: COM1 at 0x3f8, IRQ 4. Transmit goes to the machine's
 * console, receive comes from the console thread (vmm/devices/console.c).
 */
#ifndef SHEER_VMM_DEVICES_SERIAL_H
#define SHEER_VMM_DEVICES_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine/device.h"

#define SERIAL_FIFO_SIZE 64

/* What the guest can see: saved and restored as section "SRL0". */
struct serial_state {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;
	bool thr_interrupt;	/* "transmitter empty" pending until IIR read or THR write */
	bool irq_level;
	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

struct serial {
	struct serial_state s;
	const struct machine *machine;
	unsigned int irq;
};

extern const struct device_desc serial_device;

/* Queue input for the guest; returns how many bytes fit. Call with the device lock held. */
size_t serial_receive(struct serial *uart, const uint8_t *data, size_t len);
size_t serial_rx_room(const struct serial *uart);

#endif
