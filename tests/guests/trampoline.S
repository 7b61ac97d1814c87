/*
 * Real-mode start-up code for an application processor. The BSP copies it to
 * 0x10000 and sends SIPI vector 0x10: the AP starts here with CS = 0x1000, IP = 0.
 */
	.section .rodata
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$0x3f8, %dx
	mov	$(ap_message - ap_trampoline), %si
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	movb	$1, (ap_flag - ap_trampoline)
3:	hlt
	jmp	3b
ap_message:
	.asciz	"smp: hello from the AP in real mode\n"
	.globl ap_flag
ap_flag:
	.byte	0
ap_trampoline_end:
	.code64
