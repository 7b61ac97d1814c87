/* The BIOS memory map handed to the kernel in the zero page. */
#ifndef SHEER_VMM_BOOT_E820_H
#define SHEER_VMM_BOOT_E820_H

#include <stdint.h>

#define E820_MAX_ENTRIES 128	/* room in the zero page */
#define E820_RAM 1
#define E820_RESERVED 2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct e820_table {
	unsigned int n;
	struct e820_entry entries[E820_MAX_ENTRIES];
};

/* RAM of low_size bytes from 0 and high_size bytes from 4 GiB, with the BIOS and ECAM holes. */
int e820_build(struct e820_table *table, uint64_t low_size, uint64_t high_size);

#endif
