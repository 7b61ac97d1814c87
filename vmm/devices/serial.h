/* A 16550A UART: COM1 at 0x3f8, IRQ 4. Transmit goes to a host fd, receive comes from the console. */
#ifndef SHEER_VMM_DEVICES_SERIAL_H
#define SHEER_VMM_DEVICES_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine/bus.h"
#include "vmm/machine/machine.h"

#define SERIAL_FIFO_SIZE 64

struct serial {
	const struct machine *machine;
	unsigned int irq;
	int out_fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;
	bool thr_interrupt;	/* "transmitter empty" pending until IIR read or THR write */
	bool irq_level;
	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

extern const struct bus_device_ops serial_ops;

void serial_init(struct serial *uart, const struct machine *machine, unsigned int irq, int out_fd);
/* Queue input for the guest; returns how many bytes fit. Call with the device lock held. */
size_t serial_receive(struct serial *uart, const uint8_t *data, size_t len);
size_t serial_rx_room(const struct serial *uart);

#endif
