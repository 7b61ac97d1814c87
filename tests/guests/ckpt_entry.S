/* Interrupt entry stubs for the ckpt guest: save the caller-saved registers, call C, iretq. */
	.section .note.GNU-stack, "", @progbits
	.text
	.code64

.macro ISR name, handler
	.globl \name
\name:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	cld
	call	\handler
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
.endm

	ISR ckpt_isr_timer, ckpt_timer_interrupt
	ISR ckpt_isr_serial, ckpt_serial_interrupt
	ISR ckpt_isr_spurious, ckpt_spurious_interrupt
