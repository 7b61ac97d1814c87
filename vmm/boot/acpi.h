/*
 * The ACPI tables a firmware would hand the kernel: RSDP, XSDT, FADT (with
 * FACS and DSDT), MADT and MCFG, built into one area of guest memory.
 */
#ifndef SHEER_VMM_BOOT_ACPI_H
#define SHEER_VMM_BOOT_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct acpi_config {
	unsigned int cpus;
	uint64_t ecam_base;
	uint64_t ecam_size;	/* one MiB per bus */
};

/*
 * Build the tables into area (guest-physical area_gpa, area_size bytes);
 * the RSDP comes first, 16-byte aligned as the RSDP scan requires.
 * Returns bytes used or a negative errno.
 */
long acpi_build(const struct acpi_config *cfg, uint8_t *area, uint64_t area_gpa, size_t area_size);
uint8_t acpi_checksum(const void *data, size_t len);

#endif
