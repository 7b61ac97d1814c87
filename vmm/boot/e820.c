#include <errno.h>

#include "vmm/boot/e820.h"
#include "vmm/machine/layout.h"

static int e820_add(struct e820_table *table, uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (table->n == E820_MAX_ENTRIES)
		return -ENOSPC;
	table->entries[table->n++] = (struct e820_entry){ addr, size, type };
	return 0;
}

int e820_build(struct e820_table *table, uint64_t low_size, uint64_t high_size)
{
	int ret = 0;

	table->n = 0;
	if (low_size < LAYOUT_BIOS_END + MiB || low_size > LAYOUT_LOW_RAM_MAX)
		return -EINVAL;
	ret |= e820_add(table, 0, LAYOUT_EBDA, E820_RAM);
	ret |= e820_add(table, LAYOUT_EBDA, 0xa0000 - LAYOUT_EBDA, E820_RESERVED);
	ret |= e820_add(table, LAYOUT_BIOS, LAYOUT_BIOS_END - LAYOUT_BIOS, E820_RESERVED);
	ret |= e820_add(table, LAYOUT_KERNEL, low_size - LAYOUT_KERNEL, E820_RAM);
	ret |= e820_add(table, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, E820_RESERVED);
	ret |= e820_add(table, LAYOUT_HIGH_RAM, high_size, E820_RAM);
	return ret < 0 ? -ENOSPC : 0;
}
