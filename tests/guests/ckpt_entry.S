/* Interrupt entry stubs for the ckpt guest (the ISR macro: isr.inc). */
#include "isr.inc"

	ISR ckpt_isr_timer, ckpt_timer_interrupt
	ISR ckpt_isr_serial, ckpt_serial_interrupt
	ISR ckpt_isr_spurious, ckpt_spurious_interrupt
