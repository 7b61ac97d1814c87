/*
 * Guest RAM as sections "MEM0": one per 2 MiB block that holds any non-zero
 * 4 KiB page. Payload: the block's guest-physical address (u64), a 512-bit
 * map of the pages that follow (64 bytes), then those pages in order. Pages
 * not in the map are zero, and are neither written nor read.
 */
#ifndef SHEER_VMM_KVM_MEMORY_STATE_H
#define SHEER_VMM_KVM_MEMORY_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/kvm/memory.h"
#include "vmm/machine/state.h"

#define MEMORY_STATE_TYPE STATE_TYPE('M', 'E', 'M', '0')
#define MEMORY_STATE_VERSION 1
#define MEMORY_BLOCK_SIZE (2ULL << 20)
#define MEMORY_BLOCK_PAGES 512
#define MEMORY_BLOCK_HEADER (8 + MEMORY_BLOCK_PAGES / 8)

struct memory_save_stats {
	uint64_t pages;		/* non-zero pages written */
	uint64_t zero_pages;	/* skipped */
};

/* Whether a 4 KiB page holds only zeros (then it is neither saved nor sent). */
bool memory_page_is_zero(const uint8_t *page);
/* Write every block with data; -errno from the sink. */
int memory_save(const struct guest_memory *mem, struct state_sink *sink, struct memory_save_stats *stats);
/*
 * Load one block. fresh: the block is known to be zero already (a new VM),
 * so absent pages are left untouched. -EBADMSG for an address outside RAM or
 * a payload whose length does not match its map; nothing is written then.
 */
int memory_restore_block(struct guest_memory *mem, const void *payload, uint64_t len, bool fresh);

#endif
