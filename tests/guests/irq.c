/*
 * Interrupts end to end: the UART's transmit-empty and receive interrupts
 * (IRQ 4, edge, through the IO-APIC; received bytes come from sheer's stdin)
 * and the ACPI SCI of the power button (GSI 9, level), each delivered to an
 * IDT handler through the in-kernel IO-APIC and local APIC.
 */
#include "lib.h"

#define COM1		0x3f8
#define LAPIC		0xfee00000ULL
#define LAPIC_TPR	0x80
#define LAPIC_EOI	0xb0
#define LAPIC_SVR	0xf0
#define VEC_SERIAL	0x24
#define VEC_SCI		0x29
#define VEC_SPURIOUS	0xff
#define PWRBTN		(1U << 8)

static volatile unsigned int thr_interrupts, rx_len, sci_count;
static volatile uint16_t sci_status, sci_first_status;
static volatile char rx[64];
static uint16_t pm1_evt;

extern void isr_serial(void), isr_sci(void), isr_spurious(void);

void serial_interrupt(void)
{
	uint8_t iir;

	while (!((iir = inb(COM1 + 2)) & 1)) {
		if ((iir & 0x0e) == 0x02)
			thr_interrupts++;
		while (inb(COM1 + 5) & 1) {
			char c = inb(COM1);

			if (rx_len < sizeof(rx) - 1)
				rx[rx_len++] = c == '\n' ? '|' : c;
		}
		if (thr_interrupts > 1000)
			outb(COM1 + 1, 0x01);	/* enough: keep only the receive interrupt */
	}
	mmio_write32(LAPIC + LAPIC_EOI, 0);
}

void sci_interrupt(void)
{
	sci_status = inw(pm1_evt);
	if (!sci_count)
		sci_first_status = sci_status;
	outw(pm1_evt, sci_status);	/* acknowledge: the level line drops */
	sci_count++;
	mmio_write32(LAPIC + LAPIC_EOI, 0);
}

void spurious_interrupt(void)
{
}

/* Sleep until *done: "sti; hlt" cannot lose a wake-up, sti's shadow covers the hlt. */
static void wait_for(int (*done)(void))
{
	for (;;) {
		__asm__ volatile("cli");
		if (done())
			break;
		__asm__ volatile("sti; hlt");
	}
	__asm__ volatile("sti");
}

static int got_serial(void)
{
	return thr_interrupts > 0 && rx_len >= 5;
}

static int got_sci(void)
{
	return sci_count > 0;
}

void guest_main(const uint8_t *zp)
{
	const struct acpi_header *fadt = acpi_find((const uint8_t *)zp64(zp, ZP_ACPI_RSDP), "FACP");

	pm1_evt = acpi_fadt32(fadt, FADT_PM1A_EVT);
	idt_set_gate(VEC_SERIAL, isr_serial);
	idt_set_gate(VEC_SCI, isr_sci);
	idt_set_gate(VEC_SPURIOUS, isr_spurious);
	idt_load();
	pic_mask_all();
	mmio_write32(LAPIC + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	mmio_write32(LAPIC + LAPIC_TPR, 0);
	ioapic_route(4, VEC_SERIAL, 0);
	ioapic_route(9, VEC_SCI, 1);

	gprintf("irq: serial interrupts on, waiting for input\n");
	outb(COM1 + 4, 0x0b);		/* DTR, RTS, OUT2 */
	outb(COM1 + 1, 0x03);		/* receive and transmit-empty interrupts */
	wait_for(got_serial);
	outb(COM1 + 1, 0x00);
	rx[rx_len] = 0;
	gprintf("irq: serial THRI interrupts seen, received [%s]\n", (const char *)rx);

	outw(pm1_evt + 2, PWRBTN);	/* PWRBTN_EN: the button raises the SCI */
	gprintf("irq: waiting for the SCI\n");
	wait_for(got_sci);
	gprintf("irq: SCI vector 0x%x first status 0x%x, now 0x%x (%u SCIs, last status 0x%x)\n", VEC_SCI,
		sci_first_status, inw(pm1_evt), sci_count, sci_status);
}
