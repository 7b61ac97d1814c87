/*
 * The MSI-X table a guest programs, kept by sheer (the device's own table is
 * VFIO's): 16 bytes per vector, address, data and a mask bit. Accesses are
 * the guest's and may be anything: only aligned dword and qword accesses
 * inside the table count, as the PCI specification allows no others.
 */
#ifndef SHEER_VMM_DEVICES_MSIX_H
#define SHEER_VMM_DEVICES_MSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSIX_ENTRY_SIZE 16
#define MSIX_MAX_VECTORS 2048

struct msix_entry {
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
	uint32_t control;	/* bit 0: masked */
};

struct msix_table {
	unsigned int size;
	struct msix_entry *entries;
};

/* Every vector starts masked, as after reset. */
int msix_table_init(struct msix_table *table, unsigned int size);
void msix_table_destroy(struct msix_table *table);
uint64_t msix_table_read(const struct msix_table *table, uint64_t offset, unsigned int size);
/* Returns the vector written, or -1 when the access was outside the table or malformed. */
int msix_table_write(struct msix_table *table, uint64_t offset, unsigned int size, uint64_t value);

/*
 * Where a device says its MSI-X table (vectors entries) and PBA (pba_size
 * bytes; 0: in another BAR) lie in a BAR of bar_size bytes: both must lie
 * wholly inside it, as QEMU requires. The device's word is firmware's, so
 * hostile: -ERANGE with why ("MSI-X table ends at 0x5000, past the end of
 * BAR 3 (16 KiB)") otherwise.
 */
int msix_layout_check(uint64_t table_offset, unsigned int vectors, uint64_t pba_offset, uint64_t pba_size,
		      unsigned int bar, uint64_t bar_size, char *why, size_t why_len);

uint64_t msix_entry_address(const struct msix_entry *entry);
bool msix_entry_masked(const struct msix_entry *entry);

#endif
