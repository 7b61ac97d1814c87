/* PCI configuration space of the host bridge through 0xcf8/0xcfc and through ECAM (from MCFG). */
#include "lib.h"

static uint32_t cf8_read(unsigned int dev, unsigned int reg)
{
	outl(0xcf8, 0x80000000U | dev << 11 | reg);
	return inl(0xcfc);
}

void guest_main(const uint8_t *zp)
{
	const uint8_t *rsdp = (const uint8_t *)zp64(zp, ZP_ACPI_RSDP);
	const struct acpi_header *mcfg = acpi_find(rsdp, "MCFG");
	uint64_t ecam;

	if (!mcfg)
		guest_fail("no MCFG");
	ecam = *(const uint64_t *)((const uint8_t *)mcfg + 44);
	gprintf("pci: cf8 00:00.0 id 0x%x class 0x%x\n", cf8_read(0, 0), cf8_read(0, 8) >> 16);
	gprintf("pci: cf8 00:01.0 id 0x%x\n", cf8_read(1, 0));
	gprintf("pci: ecam base 0x%lx\n", ecam);
	gprintf("pci: ecam 00:00.0 id 0x%x class 0x%x\n", mmio_read32(ecam), mmio_read32(ecam + 8) >> 16);
	gprintf("pci: ecam 00:01.0 id 0x%x\n", mmio_read32(ecam + (1 << 15)));
	/* Latency timer (0x0d) is writable: a byte written through 0xcfd shows through ECAM. */
	outl(0xcf8, 0x8000000cU);
	outb(0xcfd, 0x40);
	gprintf("pci: latency via ecam 0x%x\n", (mmio_read32(ecam + 0xc) >> 8) & 0xff);
	/* The vendor ID is read-only. */
	mmio_write32(ecam, 0x12345678);
	gprintf("pci: id after write 0x%x\n", cf8_read(0, 0));
}
