#include <unistd.h>

#include "vmm/devices/serial.h"

enum {
	UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IER_MASK	0x0f
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

void serial_init(struct serial *uart, const struct machine *machine, unsigned int irq, int out_fd)
{
	*uart = (struct serial){ .machine = machine, .irq = irq, .out_fd = out_fd, .dll = 12 };
}

static uint8_t serial_iir(const struct serial *uart)
{
	uint8_t fifo = uart->fifo_enabled ? IIR_FIFO : 0;

	if ((uart->ier & IER_RDI) && uart->rx_count)
		return IIR_RDI | fifo;
	if ((uart->ier & IER_THRI) && uart->thr_interrupt)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

/* The line follows "an interrupt is pending"; the IO-APIC sees the edges. */
static void serial_update_irq(struct serial *uart)
{
	bool level = !(serial_iir(uart) & IIR_NO_INT);

	if (level != uart->irq_level) {
		uart->irq_level = level;
		machine_set_irq(uart->machine, uart->irq, level);
	}
}

size_t serial_rx_room(const struct serial *uart)
{
	return SERIAL_FIFO_SIZE - uart->rx_count;
}

size_t serial_receive(struct serial *uart, const uint8_t *data, size_t len)
{
	size_t n = 0;

	for (; n < len && uart->rx_count < SERIAL_FIFO_SIZE; n++) {
		uart->rx[(uart->rx_head + uart->rx_count) % SERIAL_FIFO_SIZE] = data[n];
		uart->rx_count++;
	}
	serial_update_irq(uart);
	return n;
}

static uint8_t serial_pop(struct serial *uart)
{
	uint8_t byte;

	if (!uart->rx_count)
		return 0;
	byte = uart->rx[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % SERIAL_FIFO_SIZE;
	uart->rx_count--;
	return byte;
}

static void serial_transmit(struct serial *uart, uint8_t byte)
{
	if (uart->mcr & MCR_LOOP) {
		serial_receive(uart, &byte, 1);
	} else if (uart->out_fd >= 0) {
		/* Console output is best effort: a closed or full stdout must not stop the guest. */
		ssize_t written = write(uart->out_fd, &byte, 1);

		(void)written;
	}
	uart->thr_interrupt = true;
}

static uint8_t serial_msr(const struct serial *uart)
{
	uint8_t mcr = uart->mcr;

	if (!(mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; Linux's probe checks it. */
	return (mcr & 0x01 ? MSR_DSR : 0) | (mcr & 0x02 ? MSR_CTS : 0) | (mcr & 0x04 ? MSR_RI : 0) |
	       (mcr & 0x08 ? MSR_DCD : 0);
}

static uint64_t serial_read(void *dev, uint64_t offset, unsigned int size)
{
	struct serial *uart = dev;
	bool dlab = uart->lcr & LCR_DLAB;
	uint8_t value = 0xff;

	if (size != 1)
		return ~0ULL;
	switch (offset) {
	case UART_RBR_THR:
		value = dlab ? uart->dll : serial_pop(uart);
		break;
	case UART_IER:
		value = dlab ? uart->dlm : uart->ier;
		break;
	case UART_IIR_FCR:
		value = serial_iir(uart);
		if ((value & ~IIR_FIFO) == IIR_THRI)
			uart->thr_interrupt = false;
		break;
	case UART_LCR:
		value = uart->lcr;
		break;
	case UART_MCR:
		value = uart->mcr;
		break;
	case UART_LSR:
		value = LSR_THRE | LSR_TEMT | (uart->rx_count ? LSR_DR : 0);
		break;
	case UART_MSR:
		value = serial_msr(uart);
		break;
	case UART_SCR:
		value = uart->scr;
		break;
	}
	serial_update_irq(uart);
	return value;
}

static void serial_write(void *dev, uint64_t offset, unsigned int size, uint64_t value64)
{
	struct serial *uart = dev;
	bool dlab = uart->lcr & LCR_DLAB;
	uint8_t value = value64;

	if (size != 1)
		return;
	switch (offset) {
	case UART_RBR_THR:
		if (dlab)
			uart->dll = value;
		else
			serial_transmit(uart, value);
		break;
	case UART_IER:
		if (dlab) {
			uart->dlm = value;
		} else {
			if ((value & IER_THRI) && !(uart->ier & IER_THRI))
				uart->thr_interrupt = true;
			uart->ier = value & IER_MASK;
		}
		break;
	case UART_IIR_FCR:
		uart->fifo_enabled = value & FCR_ENABLE;
		if (value & FCR_CLEAR_RX)
			uart->rx_count = 0;
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		uart->mcr = value & MCR_MASK;
		break;
	case UART_SCR:
		uart->scr = value;
		break;
	}
	serial_update_irq(uart);
}

const struct bus_device_ops serial_ops = { serial_read, serial_write };
