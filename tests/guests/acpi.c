/* Finds the ACPI tables as an OS would and checks their checksums and contents. */
#include "lib.h"

static int bad;

static const struct acpi_header *check(const struct acpi_header *t, const char *sig)
{
	if (!t) {
		gprintf("acpi: %s missing\n", sig);
		bad++;
		return 0;
	}
	gprintf("acpi: %s len %u rev %u checksum %s\n", sig, t->length, t->revision,
		acpi_sum(t, t->length) ? "BAD" : "ok");
	bad += acpi_sum(t, t->length) != 0 || gmemcmp(t->signature, sig, 4) != 0;
	return t;
}

static void check_madt(const struct acpi_header *madt)
{
	const uint8_t *p = (const uint8_t *)madt + 44, *end = (const uint8_t *)madt + madt->length;
	unsigned int cpus = 0, ioapics = 0, overrides = 0;

	for (; p < end && p[1]; p += p[1]) {
		if (p[0] == 0 && (p[4] & 1)) {
			gprintf("acpi: madt lapic uid %u apic id %u\n", p[2], p[3]);
			cpus++;
		}
		ioapics += p[0] == 1;
		overrides += p[0] == 2;
	}
	gprintf("acpi: madt cpus %u ioapics %u overrides %u lapic 0x%x\n", cpus, ioapics, overrides,
		*(const uint32_t *)((const uint8_t *)madt + 36));
}

static int dsdt_has(const struct acpi_header *dsdt, const char *name)
{
	const uint8_t *p = (const uint8_t *)dsdt;

	for (uint32_t i = sizeof(*dsdt); dsdt && i + 4 <= dsdt->length; i++)
		if (!gmemcmp(p + i, name, 4))
			return 1;
	return 0;
}

void guest_main(const uint8_t *zp)
{
	const uint8_t *rsdp = acpi_find_rsdp();
	const struct acpi_header *fadt, *dsdt, *madt, *mcfg;
	const uint8_t *facs;

	if (!rsdp)
		guest_fail("no RSDP in 0xe0000-0xfffff");
	gprintf("acpi: rsdp found at 0x%lx, zero page says 0x%lx\n", (uint64_t)rsdp, zp64(zp, ZP_ACPI_RSDP));
	gprintf("acpi: rsdp rev %u checksum %s extended %s\n", rsdp[15], acpi_sum(rsdp, 20) ? "BAD" : "ok",
		acpi_sum(rsdp, 36) ? "BAD" : "ok");
	bad += acpi_sum(rsdp, 36) != 0;
	check((const struct acpi_header *)*(const uint64_t *)(rsdp + 24), "XSDT");
	fadt = check(acpi_find(rsdp, "FACP"), "FACP");
	madt = check(acpi_find(rsdp, "APIC"), "APIC");
	mcfg = check(acpi_find(rsdp, "MCFG"), "MCFG");
	if (!fadt || !madt || !mcfg)
		guest_fail("tables missing");
	dsdt = check((const struct acpi_header *)(uint64_t)acpi_fadt32(fadt, FADT_DSDT), "DSDT");
	facs = (const uint8_t *)acpi_fadt64(fadt, FADT_X_FACS);
	gprintf("acpi: facs %s\n", gmemcmp(facs, "FACS", 4) ? "BAD" : "ok");
	gprintf("acpi: fadt sci %u pm1a_evt 0x%x pm1a_cnt 0x%x\n", *(const uint16_t *)((const uint8_t *)fadt + 46),
		acpi_fadt32(fadt, FADT_PM1A_EVT), acpi_fadt32(fadt, FADT_PM1A_CNT));
	check_madt(madt);
	gprintf("acpi: mcfg base 0x%lx buses %u-%u\n", *(const uint64_t *)((const uint8_t *)mcfg + 44),
		((const uint8_t *)mcfg)[54], ((const uint8_t *)mcfg)[55]);
	gprintf("acpi: dsdt has _S5_ %s, PCI0 %s\n", dsdt_has(dsdt, "_S5_") ? "yes" : "no",
		dsdt_has(dsdt, "PCI0") ? "yes" : "no");
	gprintf("acpi: %s\n", bad ? "ERRORS" : "all checksums ok");
}
