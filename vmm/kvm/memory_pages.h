/*
 * Guest pages sent during live migration, as sections "MPG0": one per
 * 2 MiB block with pages to send. Payload: the block's guest-physical
 * address (u64), a 512-bit map of the pages this section covers, a 512-bit
 * map of those that carry data (the others covered are zero), then the data
 * pages in order. Pages not covered are left as they are: a block is sent
 * again, in part, each time its pages are dirtied.
 */
#ifndef SHEER_VMM_KVM_MEMORY_PAGES_H
#define SHEER_VMM_KVM_MEMORY_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/kvm/dirty_log.h"
#include "vmm/kvm/memory.h"
#include "vmm/machine/state.h"

#define MEMORY_PAGES_TYPE STATE_TYPE('M', 'P', 'G', '0')
#define MEMORY_PAGES_VERSION 1

struct memory_send_stats {
	uint64_t data_pages;	/* sent with their contents */
	uint64_t zero_pages;	/* sent as "zero", or skipped on a fresh receiver */
};

/*
 * Send the pages the last dirty_log_fetch() found, each block cleared in the
 * log just before its pages are read. fresh: the receiver's RAM is still all
 * zero (the first round), so zero pages are not even named.
 */
int memory_send_dirty(struct dirty_log *log, struct state_sink *sink, bool fresh, struct memory_send_stats *stats);
/* Apply one MPG0 payload; -EBADMSG (nothing written) for an address outside RAM or a length that does not match. */
int memory_restore_pages(struct guest_memory *mem, const void *payload, uint64_t len);

#endif
