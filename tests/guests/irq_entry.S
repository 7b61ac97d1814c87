/* Interrupt entry stubs for the irq guest (the ISR macro: isr.inc). */
#include "isr.inc"

	ISR isr_serial, serial_interrupt
	ISR isr_sci, sci_interrupt
	ISR isr_spurious, spurious_interrupt
