/*
 * first: the benchmark's guest for "VMM start to first guest instruction".
 * Its very first instruction writes a byte to COM1, so the time to the first
 * serial byte is the VMM's own start-up. Then it powers off through ACPI
 * PM1a_CNT (SLP_TYP S5 | SLP_EN at sheer's port 0x604; the other test guests
 * read these from the FADT and \_S5, which would cost instructions first).
 */
	.section .head, "ax"
	.code32
	hlt			/* the 32-bit entry is never used */

	.section .text.entry64, "ax"
	.code64
	.globl entry64
entry64:
	mov	$0x3f8, %dx
	mov	$'!', %al
	out	%al, %dx
	mov	$'\n', %al
	out	%al, %dx
	mov	$0x604, %dx
	mov	$((5 << 10) | (1 << 13)), %ax
	out	%ax, %dx
1:	hlt
	jmp	1b
