#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/kvm/dirty_log.h"
#include "vmm/kvm/memory_state.h"
#include "vmm/machine/layout.h"

#define PAGE_SHIFT 12

static int dirty_log_enable_manual_protect(int vm_fd)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET },
	};
	int supported = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	/* Both flags are needed: without INITIALLY_SET the first round would miss pages written before it. */
	if (supported < 0 || !(supported & KVM_DIRTY_LOG_INITIALLY_SET))
		return -EOPNOTSUPP;
	return ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

static int dirty_slot_init(struct dirty_slot *slot, uint32_t id, uint64_t gpa, uint64_t size, uint8_t *host)
{
	*slot = (struct dirty_slot){ .slot = id, .gpa = gpa, .pages = size >> PAGE_SHIFT, .host = host };
	/* KVM writes whole 64-bit words; blocks are whole words too (512 pages). */
	slot->bitmap = calloc((slot->pages + 63) / 64, sizeof(uint64_t));
	return slot->bitmap ? 0 : -ENOMEM;
}

int dirty_log_start(struct dirty_log *log, int vm_fd, const struct guest_memory *mem)
{
	int ret;

	memset(log, 0, sizeof(*log));
	log->vm_fd = vm_fd;
	ret = dirty_slot_init(&log->slots[log->n_slots++], mem->first_slot, 0, mem->low_size, mem->host);
	if (ret == 0 && mem->high_size)
		ret = dirty_slot_init(&log->slots[log->n_slots++], mem->first_slot + 1, LAYOUT_HIGH_RAM,
				      mem->high_size, mem->host + mem->low_size);
	if (ret == 0)
		ret = dirty_log_enable_manual_protect(vm_fd);
	if (ret == 0)
		ret = memory_set_dirty_logging(mem, vm_fd, true);
	if (ret < 0)
		dirty_log_stop(log, NULL);
	return ret;
}

int dirty_log_add_source(struct dirty_log *log, uint64_t *bits, uint64_t words)
{
	if (log->n_sources >= DIRTY_LOG_MAX_SOURCES)
		return -ENOSPC;
	log->sources[log->n_sources++] = (struct dirty_source){ bits, words };
	return 0;
}

/* Slots start on 64-page boundaries (0 and 4 GiB), so a source's words line up with the slot's. */
static void dirty_slot_take_sources(struct dirty_log *log, struct dirty_slot *slot)
{
	uint64_t first_word = (slot->gpa >> PAGE_SHIFT) / 64, words = (slot->pages + 63) / 64;

	for (unsigned int i = 0; i < log->n_sources; i++) {
		const struct dirty_source *src = &log->sources[i];

		for (uint64_t w = 0; w < words && first_word + w < src->words; w++)
			if (__atomic_load_n(&src->bits[first_word + w], __ATOMIC_RELAXED))
				slot->bitmap[w] |= __atomic_exchange_n(&src->bits[first_word + w], 0, __ATOMIC_ACQ_REL);
	}
}

int dirty_log_fetch(struct dirty_log *log, uint64_t *dirty)
{
	*dirty = 0;
	for (unsigned int s = 0; s < log->n_slots; s++) {
		struct dirty_slot *slot = &log->slots[s];
		struct kvm_dirty_log get = { .slot = slot->slot, .dirty_bitmap = slot->bitmap };

		if (ioctl(log->vm_fd, KVM_GET_DIRTY_LOG, &get) < 0)
			return -errno;
		dirty_slot_take_sources(log, slot);
		for (uint64_t w = 0; w < (slot->pages + 63) / 64; w++)
			*dirty += (uint64_t)__builtin_popcountll(slot->bitmap[w]);
	}
	return 0;
}

int dirty_log_clear_block(struct dirty_log *log, unsigned int s, uint64_t first)
{
	struct dirty_slot *slot = &log->slots[s];
	struct kvm_clear_dirty_log clear = {
		.slot = slot->slot,
		.first_page = first,
		.num_pages = (uint32_t)(slot->pages - first < MEMORY_BLOCK_PAGES ? slot->pages - first
										 : MEMORY_BLOCK_PAGES),
		.dirty_bitmap = slot->bitmap + first / 64,
	};

	return ioctl(log->vm_fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0 ? -errno : 0;
}

void dirty_log_stop(struct dirty_log *log, const struct guest_memory *mem)
{
	if (mem)
		memory_set_dirty_logging(mem, log->vm_fd, false);
	for (unsigned int s = 0; s < log->n_slots; s++) {
		free(log->slots[s].bitmap);
		log->slots[s].bitmap = NULL;
	}
	log->n_slots = 0;
	log->n_sources = 0;
}
