#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devices/msix.h"

#define MSIX_VECTOR_MASKED 1u

int msix_table_init(struct msix_table *table, unsigned int size)
{
	table->size = 0;
	table->entries = NULL;
	if (size == 0 || size > MSIX_MAX_VECTORS)
		return -EINVAL;
	table->entries = calloc(size, sizeof(table->entries[0]));
	if (!table->entries)
		return -ENOMEM;
	for (unsigned int i = 0; i < size; i++)
		table->entries[i].control = MSIX_VECTOR_MASKED;
	table->size = size;
	return 0;
}

void msix_table_destroy(struct msix_table *table)
{
	free(table->entries);
	table->entries = NULL;
	table->size = 0;
}

static bool msix_access_ok(const struct msix_table *table, uint64_t offset, unsigned int size)
{
	return (size == 4 || size == 8) && offset % size == 0 && offset < (uint64_t)table->size * MSIX_ENTRY_SIZE;
}

static uint32_t *msix_word(const struct msix_table *table, uint64_t offset)
{
	return (uint32_t *)&table->entries[offset / MSIX_ENTRY_SIZE] + (offset % MSIX_ENTRY_SIZE) / 4;
}

uint64_t msix_table_read(const struct msix_table *table, uint64_t offset, unsigned int size)
{
	uint64_t value;

	if (!msix_access_ok(table, offset, size))
		return 0;
	value = *msix_word(table, offset);
	if (size == 8)
		value |= (uint64_t)*msix_word(table, offset + 4) << 32;
	return value;
}

int msix_table_write(struct msix_table *table, uint64_t offset, unsigned int size, uint64_t value)
{
	if (!msix_access_ok(table, offset, size))
		return -1;
	*msix_word(table, offset) = (uint32_t)value;
	if (size == 8)
		*msix_word(table, offset + 4) = value >> 32;
	/* Only the mask bit of the control word is defined. */
	table->entries[offset / MSIX_ENTRY_SIZE].control &= MSIX_VECTOR_MASKED;
	return offset / MSIX_ENTRY_SIZE;
}

uint64_t msix_entry_address(const struct msix_entry *entry)
{
	return (uint64_t)entry->address_hi << 32 | entry->address_lo;
}

bool msix_entry_masked(const struct msix_entry *entry)
{
	return entry->control & MSIX_VECTOR_MASKED;
}

/* [offset, offset + len) inside [0, size), with no overflow on the way. */
static bool range_inside(uint64_t offset, uint64_t len, uint64_t size)
{
	return offset <= size && len <= size - offset;
}

int msix_layout_check(uint64_t table_offset, unsigned int vectors, uint64_t pba_offset, uint64_t pba_size,
		      unsigned int bar, uint64_t bar_size, char *why, size_t why_len)
{
	uint64_t table_size = (uint64_t)vectors * MSIX_ENTRY_SIZE;

	if (!range_inside(table_offset, table_size, bar_size)) {
		snprintf(why, why_len, "MSI-X table at 0x%llx (%u vectors) ends past the end of BAR %u (0x%llx bytes)",
			 (unsigned long long)table_offset, vectors, bar, (unsigned long long)bar_size);
		return -ERANGE;
	}
	if (pba_size && !range_inside(pba_offset, pba_size, bar_size)) {
		snprintf(why, why_len, "MSI-X PBA at 0x%llx (0x%llx bytes) ends past the end of BAR %u (0x%llx bytes)",
			 (unsigned long long)pba_offset, (unsigned long long)pba_size, bar, (unsigned long long)bar_size);
		return -ERANGE;
	}
	return 0;
}
