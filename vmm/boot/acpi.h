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
	uint32_t hotplug_slots;	/* bus 0 slots a device may be hot-plugged into or ejected from */
};

#define ACPI_RSDP_SIZE	36
#define ACPI_LINKS_MAX	16

/* A field of the area holding the address of one of its tables. */
struct acpi_pointer {
	uint32_t offset;
	uint8_t size;		/* 4 or 8 */
};

/* A checksum byte of the area and the bytes it covers (itself included). */
struct acpi_checksum_range {
	uint32_t checksum;
	uint32_t start, length;
};

/* What a firmware must patch when it places the area elsewhere (QEMU's table-loader: vmm/boot/firmware.c). */
struct acpi_links {
	unsigned int n_pointers, n_checksums;
	struct acpi_pointer pointers[ACPI_LINKS_MAX];
	struct acpi_checksum_range checksums[ACPI_LINKS_MAX];
};

/*
 * Build the tables into area (guest-physical area_gpa, area_size bytes);
 * the RSDP comes first, 16-byte aligned as the RSDP scan requires.
 * Returns bytes used or a negative errno.
 */
long acpi_build(const struct acpi_config *cfg, uint8_t *area, uint64_t area_gpa, size_t area_size);
/*
 * The same tables for a firmware to place: built at address 0 (every pointer
 * holds an offset into the area, the RSDP its first ACPI_RSDP_SIZE bytes),
 * with the pointers and checksums it must patch listed in links.
 */
long acpi_build_linked(const struct acpi_config *cfg, uint8_t *area, size_t area_size, struct acpi_links *links);
uint8_t acpi_checksum(const void *data, size_t len);

#endif
