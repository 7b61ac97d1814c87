/* 64-bit boot protocol entry: rsi = zero page. Clear bss, take our own stack, run guest_main. */
	.section .head, "ax"
	.code32
	hlt			/* the 32-bit entry is never used */

	.section .text.entry64, "ax"
	.code64
	.globl entry64
entry64:
	cli
	mov	%rsi, %r12
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	lea	stack_top(%rip), %rsp
	mov	%r12, %rdi
	call	guest_main
	call	guest_poweroff
1:	hlt
	jmp	1b

	.bss
	.balign 16
	.space 16384
stack_top:
