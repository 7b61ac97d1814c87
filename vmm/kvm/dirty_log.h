/*
 * Which guest pages were written since they were last sent, for pre-copy
 * migration (p2v/migrate). KVM's dirty bitmap with manual protection
 * (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, initially set): reading the bitmap
 * does not re-protect anything; each 2 MiB block is cleared (and so
 * write-protected again) just before its pages are read and sent, so a
 * write that lands after the clear is caught by the next round, and a
 * block nobody touches costs nothing. The dirty ring would suit very large
 * guests with few dirty pages better, but needs every vCPU to drain its
 * own ring (and a ring-full exit); the bitmap needs nothing of the vCPUs
 * and works the same under nested KVM in the lab.
 */
#ifndef SHEER_VMM_KVM_DIRTY_LOG_H
#define SHEER_VMM_KVM_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/kvm/memory.h"

struct dirty_slot {
	uint32_t slot;
	uint64_t gpa;
	uint64_t pages;
	uint8_t *host;
	uint64_t *bitmap;	/* one bit per 4 KiB page, as KVM_GET_DIRTY_LOG fills it */
};

/* A device's own log of the pages it wrote (vhost's): one bit per 4 KiB of guest-physical space, from 0. */
struct dirty_source {
	uint64_t *bits;		/* the device sets bits atomically; the fetch takes them atomically */
	uint64_t words;
};

#define DIRTY_LOG_MAX_SOURCES 8

struct dirty_log {
	int vm_fd;
	unsigned int n_slots;
	struct dirty_slot slots[2];	/* RAM below and above the 32-bit hole */
	unsigned int n_sources;
	struct dirty_source sources[DIRTY_LOG_MAX_SOURCES];
};

/* Turn logging on for all guest RAM, every page dirty to begin with. */
int dirty_log_start(struct dirty_log *log, int vm_fd, const struct guest_memory *mem);
/* Writes KVM does not see (a device's DMA it logs itself) count as dirty too; -ENOSPC past the limit. */
int dirty_log_add_source(struct dirty_log *log, uint64_t *bits, uint64_t words);
/* Read KVM's bitmaps and take every source's; *dirty gets the number of dirty pages. */
int dirty_log_fetch(struct dirty_log *log, uint64_t *dirty);
/* Clear (and write-protect) the 512 pages of the block at page first of slot s. */
int dirty_log_clear_block(struct dirty_log *log, unsigned int s, uint64_t first);
void dirty_log_stop(struct dirty_log *log, const struct guest_memory *mem);

#endif
