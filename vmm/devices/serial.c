#include <errno.h>

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

#define SERIAL_STATE_TYPE	STATE_TYPE('S', 'R', 'L', '0')
#define SERIAL_STATE_VERSION	1

static void serial_reset(void *dev)
{
	struct serial *uart = dev;

	uart->s = (struct serial_state){ .dll = 12 };	/* 9600 baud, as a BIOS leaves it */
}

static void serial_init(void *dev, const struct machine *machine, unsigned int irq)
{
	struct serial *uart = dev;

	uart->machine = machine;
	uart->irq = irq;
	serial_reset(uart);
}

static uint8_t serial_iir(const struct serial *uart)
{
	uint8_t fifo = uart->s.fifo_enabled ? IIR_FIFO : 0;

	if ((uart->s.ier & IER_RDI) && uart->s.rx_count)
		return IIR_RDI | fifo;
	if ((uart->s.ier & IER_THRI) && uart->s.thr_interrupt)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

/* The line follows "an interrupt is pending"; the IO-APIC sees the edges. */
static void serial_update_irq(struct serial *uart)
{
	bool level = !(serial_iir(uart) & IIR_NO_INT);

	if (level != uart->s.irq_level) {
		uart->s.irq_level = level;
		machine_set_irq(uart->machine, uart->irq, level);
	}
}

size_t serial_rx_room(const struct serial *uart)
{
	return SERIAL_FIFO_SIZE - uart->s.rx_count;
}

size_t serial_receive(struct serial *uart, const uint8_t *data, size_t len)
{
	size_t n = 0;

	for (; n < len && uart->s.rx_count < SERIAL_FIFO_SIZE; n++) {
		uart->s.rx[(uart->s.rx_head + uart->s.rx_count) % SERIAL_FIFO_SIZE] = data[n];
		uart->s.rx_count++;
	}
	serial_update_irq(uart);
	return n;
}

static uint8_t serial_pop(struct serial *uart)
{
	uint8_t byte;

	if (!uart->s.rx_count)
		return 0;
	byte = uart->s.rx[uart->s.rx_head];
	uart->s.rx_head = (uart->s.rx_head + 1) % SERIAL_FIFO_SIZE;
	uart->s.rx_count--;
	return byte;
}

static void serial_transmit(struct serial *uart, uint8_t byte)
{
	if (uart->s.mcr & MCR_LOOP)
		serial_receive(uart, &byte, 1);
	else
		machine_console_write(uart->machine, &byte, 1);
	uart->s.thr_interrupt = true;
}

static uint8_t serial_msr(const struct serial *uart)
{
	uint8_t mcr = uart->s.mcr;

	if (!(mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; Linux's probe checks it. */
	return (mcr & 0x01 ? MSR_DSR : 0) | (mcr & 0x02 ? MSR_CTS : 0) | (mcr & 0x04 ? MSR_RI : 0) |
	       (mcr & 0x08 ? MSR_DCD : 0);
}

static uint64_t serial_read(void *dev, uint64_t offset, unsigned int size)
{
	struct serial *uart = dev;
	bool dlab = uart->s.lcr & LCR_DLAB;
	uint8_t value = 0xff;

	if (size != 1)
		return ~0ULL;
	switch (offset) {
	case UART_RBR_THR:
		value = dlab ? uart->s.dll : serial_pop(uart);
		break;
	case UART_IER:
		value = dlab ? uart->s.dlm : uart->s.ier;
		break;
	case UART_IIR_FCR:
		value = serial_iir(uart);
		if ((value & ~IIR_FIFO) == IIR_THRI)
			uart->s.thr_interrupt = false;
		break;
	case UART_LCR:
		value = uart->s.lcr;
		break;
	case UART_MCR:
		value = uart->s.mcr;
		break;
	case UART_LSR:
		value = LSR_THRE | LSR_TEMT | (uart->s.rx_count ? LSR_DR : 0);
		break;
	case UART_MSR:
		value = serial_msr(uart);
		break;
	case UART_SCR:
		value = uart->s.scr;
		break;
	}
	serial_update_irq(uart);
	return value;
}

static void serial_write(void *dev, uint64_t offset, unsigned int size, uint64_t value64)
{
	struct serial *uart = dev;
	bool dlab = uart->s.lcr & LCR_DLAB;
	uint8_t value = value64;

	if (size != 1)
		return;
	switch (offset) {
	case UART_RBR_THR:
		if (dlab)
			uart->s.dll = value;
		else
			serial_transmit(uart, value);
		break;
	case UART_IER:
		if (dlab) {
			uart->s.dlm = value;
		} else {
			if ((value & IER_THRI) && !(uart->s.ier & IER_THRI))
				uart->s.thr_interrupt = true;
			uart->s.ier = value & IER_MASK;
		}
		break;
	case UART_IIR_FCR:
		uart->s.fifo_enabled = value & FCR_ENABLE;
		if (value & FCR_CLEAR_RX)
			uart->s.rx_count = 0;
		break;
	case UART_LCR:
		uart->s.lcr = value;
		break;
	case UART_MCR:
		uart->s.mcr = value & MCR_MASK;
		break;
	case UART_SCR:
		uart->s.scr = value;
		break;
	}
	serial_update_irq(uart);
}

static void serial_save(const void *dev, struct state_writer *w)
{
	const struct serial_state *s = &((const struct serial *)dev)->s;

	state_put_u8(w, s->ier);
	state_put_u8(w, s->lcr);
	state_put_u8(w, s->mcr);
	state_put_u8(w, s->scr);
	state_put_u8(w, s->dll);
	state_put_u8(w, s->dlm);
	state_put_bool(w, s->fifo_enabled);
	state_put_bool(w, s->thr_interrupt);
	state_put_bool(w, s->irq_level);
	/* The receive FIFO in arrival order, so the head is always 0 on restore. */
	state_put_u8(w, s->rx_count);
	for (unsigned int i = 0; i < s->rx_count; i++)
		state_put_u8(w, s->rx[(s->rx_head + i) % SERIAL_FIFO_SIZE]);
}

static int serial_restore(void *dev, struct state_reader *r, uint16_t version)
{
	struct serial *uart = dev;
	struct serial_state s = { 0 };

	(void)version;
	s.ier = state_get_u8(r);
	s.lcr = state_get_u8(r);
	s.mcr = state_get_u8(r);
	s.scr = state_get_u8(r);
	s.dll = state_get_u8(r);
	s.dlm = state_get_u8(r);
	s.fifo_enabled = state_get_bool(r);
	s.thr_interrupt = state_get_bool(r);
	s.irq_level = state_get_bool(r);
	s.rx_count = state_get_u8(r);
	if ((s.ier & ~IER_MASK) || (s.mcr & ~MCR_MASK) || s.rx_count > SERIAL_FIFO_SIZE)
		state_reader_reject(r);
	else
		state_get_bytes(r, s.rx, s.rx_count);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	uart->s = s;
	machine_set_irq(uart->machine, uart->irq, s.irq_level);
	return 0;
}

static const struct bus_device_ops serial_ops = { serial_read, serial_write };

const struct device_desc serial_device = {
	.name = "com1",
	.io = &serial_ops,
	.init = serial_init,
	.reset = serial_reset,
	.state_type = SERIAL_STATE_TYPE,
	.state_version = SERIAL_STATE_VERSION,
	.save = serial_save,
	.restore = serial_restore,
};
