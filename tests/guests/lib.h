/*
 * The freestanding library of the test guests: port I/O, serial output, ACPI lookup, power off,
 * and for the interrupt guests (irq.c, ckpt.c) an IDT, the 8259s masked and IO-APIC routes.
 */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

/* Zero page (struct boot_params) fields the guests look at. */
#define ZP_ACPI_RSDP	0x070
#define ZP_E820_COUNT	0x1e8
#define ZP_MAGIC	0x202
#define ZP_LOADER	0x210
#define ZP_INITRD_ADDR	0x218
#define ZP_INITRD_SIZE	0x21c
#define ZP_CMDLINE	0x228
#define ZP_E820		0x2d0

static inline uint32_t zp32(const uint8_t *zp, unsigned int off) { return *(const uint32_t *)(zp + off); }
static inline uint64_t zp64(const uint8_t *zp, unsigned int off) { return *(const uint64_t *)(zp + off); }

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

void guest_main(const uint8_t *zero_page);
void guest_poweroff(void);
void guest_fail(const char *why);

void gprintf(const char *fmt, ...);	/* %s %c %d %u %x %lx %lu */
void gvprintf(void (*put)(char), const char *fmt, va_list ap);	/* gprintf's formats, each byte to put */
int gmemcmp(const void *a, const void *b, size_t n);
size_t gstrlen(const char *s);
const char *gstrstr(const char *haystack, const char *needle);
uint8_t acpi_sum(const void *p, size_t len);

const uint8_t *acpi_find_rsdp(void);		/* by scanning 0xe0000-0xfffff */
const struct acpi_header *acpi_find(const uint8_t *rsdp, const char *signature);
uint32_t acpi_fadt32(const struct acpi_header *fadt, unsigned int offset);
uint64_t acpi_fadt64(const struct acpi_header *fadt, unsigned int offset);
uint32_t pm_timer(const struct acpi_header *fadt);	/* 24-bit ACPI PM timer */

/* One IDT of 256 gates: an interrupt gate in the current code segment per vector set, then lidt. */
void idt_set_gate(unsigned int vector, void (*handler)(void));
void idt_load(void);
void pic_mask_all(void);	/* 8259s remapped to 0x20/0x28 and masked: the IO-APIC delivers */
void ioapic_route(unsigned int pin, unsigned int vector, int level);	/* fixed, APIC id 0, high, level or edge */

#define FADT_X_FACS	132
#define FADT_DSDT	40
#define FADT_PM1A_EVT	56
#define FADT_PM1A_CNT	64
#define FADT_PM_TMR	76
#define PM_TIMER_HZ	3579545ULL

#endif
