#include "lib.h"

#define COM1 0x3f8
#define LSR_THRE 0x20
#define IOAPIC 0xfec00000ULL

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int gmemcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t gstrlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

const char *gstrstr(const char *h, const char *n)
{
	size_t len = gstrlen(n);

	for (; *h; h++)
		if (!gmemcmp(h, n, len))
			return h;
	return 0;
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & LSR_THRE))
		;
	outb(COM1, c);
}

static void put_unsigned(void (*put)(char), uint64_t v, unsigned int base)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		put(buf[--n]);
}

void gvprintf(void (*put)(char), const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int is_long = 0;

		if (*fmt != '%') {
			put(*fmt);
			continue;
		}
		if (*++fmt == 'l') {
			is_long = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s)
				put(*s++);
			break;
		}
		case 'c':
			put(va_arg(ap, int));
			break;
		case 'd': {
			long v = is_long ? va_arg(ap, long) : va_arg(ap, int);

			if (v < 0) {
				put('-');
				v = -v;
			}
			put_unsigned(put, v, 10);
			break;
		}
		case 'u':
			put_unsigned(put, is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 10);
			break;
		case 'x':
			put_unsigned(put, is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 16);
			break;
		default:
			put(*fmt);
		}
	}
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gvprintf(serial_putc, fmt, ap);
	va_end(ap);
}

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

void idt_set_gate(unsigned int vector, void (*handler)(void))
{
	uint64_t addr = (uint64_t)handler;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector] = (struct idt_gate){ addr, cs, 0, 0x8e, addr >> 16, addr >> 32, 0 };
}

void idt_load(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void pic_mask_all(void)
{
	/* Remap the 8259s away from the exception vectors, then mask them: the IO-APIC delivers. */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void ioapic_route(unsigned int pin, unsigned int vector, int level)
{
	mmio_write32(IOAPIC, 0x10 + 2 * pin + 1);
	mmio_write32(IOAPIC + 0x10, 0);			/* destination: APIC id 0 */
	mmio_write32(IOAPIC, 0x10 + 2 * pin);
	mmio_write32(IOAPIC + 0x10, vector | (level ? 1U << 15 : 0));	/* fixed, active high, unmasked */
}

uint8_t acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

const uint8_t *acpi_find_rsdp(void)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = (const uint8_t *)a;

		if (!gmemcmp(p, "RSD PTR ", 8) && acpi_sum(p, 20) == 0)
			return p;
	}
	return 0;
}

const struct acpi_header *acpi_find(const uint8_t *rsdp, const char *signature)
{
	const struct acpi_header *xsdt = (const struct acpi_header *)*(const uint64_t *)(rsdp + 24);
	unsigned int n = (xsdt->length - sizeof(*xsdt)) / 8;
	const uint64_t *entries = (const uint64_t *)(xsdt + 1);

	for (unsigned int i = 0; i < n; i++) {
		const struct acpi_header *t = (const struct acpi_header *)entries[i];

		if (!gmemcmp(t->signature, signature, 4))
			return t;
	}
	return 0;
}

uint32_t acpi_fadt32(const struct acpi_header *fadt, unsigned int offset)
{
	return *(const uint32_t *)((const uint8_t *)fadt + offset);
}

uint64_t acpi_fadt64(const struct acpi_header *fadt, unsigned int offset)
{
	return *(const uint64_t *)((const uint8_t *)fadt + offset);
}

uint32_t pm_timer(const struct acpi_header *fadt)
{
	return inl(acpi_fadt32(fadt, FADT_PM_TMR)) & 0xffffff;
}

/* The SLP_TYP of \_S5: "_S5_" then PackageOp, PkgLength, NumElements, first element. */
static int dsdt_s5_type(const struct acpi_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;

	for (p += sizeof(*dsdt); p + 8 < end; p++) {
		if (gmemcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		p += 5 + ((p[5] >> 6) + 1) + 1;	/* PkgLength bytes, NumElements */
		if (*p == 0x0a)
			return p[1];
		return *p == 0x01 ? 1 : 0;
	}
	return -1;
}

void guest_poweroff(void)
{
	const uint8_t *rsdp = acpi_find_rsdp();
	const struct acpi_header *fadt = rsdp ? acpi_find(rsdp, "FACP") : 0;
	int s5;

	if (!fadt) {
		gprintf("poweroff: no FADT\n");
		goto hang;
	}
	s5 = dsdt_s5_type((const struct acpi_header *)(uint64_t)acpi_fadt32(fadt, FADT_DSDT));
	if (s5 < 0) {
		gprintf("poweroff: no \\_S5 in DSDT\n");
		goto hang;
	}
	gprintf("poweroff: SLP_TYP %d to PM1a_CNT 0x%x\n", s5, acpi_fadt32(fadt, FADT_PM1A_CNT));
	outw(acpi_fadt32(fadt, FADT_PM1A_CNT), s5 << 10 | 1 << 13);
hang:
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_fail(const char *why)
{
	gprintf("GUEST FAIL: %s\n", why);
	guest_poweroff();
}
