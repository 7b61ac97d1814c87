/* Starts the second vCPU with INIT/SIPI from the BSP's local APIC and waits for it to report. */
#include "lib.h"

#define LAPIC		0xfee00000ULL
#define LAPIC_ID	0x20
#define LAPIC_SVR	0xf0
#define LAPIC_ICR_LOW	0x300
#define LAPIC_ICR_HIGH	0x310
#define ICR_INIT	0x00004500
#define ICR_STARTUP	0x00004600
#define ICR_PENDING	0x00001000
#define TRAMPOLINE	0x10000

extern const uint8_t ap_trampoline[], ap_trampoline_end[], ap_flag[];

static void send_ipi(uint32_t apic_id, uint32_t command)
{
	mmio_write32(LAPIC + LAPIC_ICR_HIGH, apic_id << 24);
	mmio_write32(LAPIC + LAPIC_ICR_LOW, command);
	while (mmio_read32(LAPIC + LAPIC_ICR_LOW) & ICR_PENDING)
		;
}

static unsigned int other_apic_id(const uint8_t *zp)
{
	const struct acpi_header *madt = acpi_find((const uint8_t *)zp64(zp, ZP_ACPI_RSDP), "APIC");
	const uint8_t *p = (const uint8_t *)madt + 44, *end = (const uint8_t *)madt + madt->length;
	unsigned int self = mmio_read32(LAPIC + LAPIC_ID) >> 24;

	for (; p < end && p[1]; p += p[1])
		if (p[0] == 0 && (p[4] & 1) && p[3] != self)
			return p[3];
	guest_fail("MADT lists no second CPU");
	return 0;
}

void guest_main(const uint8_t *zp)
{
	volatile uint8_t *flag = (volatile uint8_t *)(TRAMPOLINE + (ap_flag - ap_trampoline));
	unsigned int ap = other_apic_id(zp);
	const struct acpi_header *fadt = acpi_find((const uint8_t *)zp64(zp, ZP_ACPI_RSDP), "FACP");
	int second_sipi = 0;

	for (long i = 0; i < ap_trampoline_end - ap_trampoline; i++)
		((uint8_t *)TRAMPOLINE)[i] = ap_trampoline[i];
	mmio_write32(LAPIC + LAPIC_SVR, 0x1ff);
	gprintf("smp: BSP apic id %u starts AP apic id %u\n", mmio_read32(LAPIC + LAPIC_ID) >> 24, ap);
	send_ipi(ap, ICR_INIT);
	send_ipi(ap, ICR_STARTUP | TRAMPOLINE >> 12);
	/* Timed with the ACPI PM timer: spinning counts vary a thousandfold between KVMs. */
	for (uint64_t waited = 0, last = pm_timer(fadt), now; !*flag; last = now) {
		now = pm_timer(fadt);
		waited += (now - last) & 0xffffff;
		if (waited > PM_TIMER_HZ / 100 && !second_sipi) {
			send_ipi(ap, ICR_STARTUP | TRAMPOLINE >> 12);	/* the second SIPI of the MP spec */
			second_sipi = 1;
		}
		if (waited > 20 * PM_TIMER_HZ)
			guest_fail("AP never reported");
	}
	gprintf("smp: AP reported, 2 CPUs up\n");
}
