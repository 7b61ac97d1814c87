#include <errno.h>
#include <stdbool.h>

#include "vmm/machine/layout.h"
#include "vmm/machine/resources.h"

#define FIRST_GSI 24	/* after the IO-APIC's pins */

void resources_init(struct resources *res, uint32_t slot_limit, uint32_t gsi_limit)
{
	res->s = (struct resources_state){
		.mmio_next = LAYOUT_PCI_MMIO,
		.io_next = RESOURCES_IO_BASE,
		.slot_next = 0,
		.gsi_next = FIRST_GSI,
	};
	res->slot_limit = slot_limit;
	res->gsi_limit = gsi_limit;
	res->freed_slots.n = res->freed_gsis.n = 0;
}

static bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Bump allocation of a naturally aligned block from [*next, end). */
static int alloc_aligned(uint64_t *next, uint64_t end, uint64_t size, uint64_t *out)
{
	uint64_t at;

	if (!is_power_of_two(size))
		return -EINVAL;
	at = (*next + size - 1) & ~(size - 1);
	if (at < *next || at > end || size > end - at)
		return -ENOSPC;
	*out = at;
	*next = at + size;
	return 0;
}

int resources_alloc_mmio(struct resources *res, uint64_t size, uint64_t *addr)
{
	return alloc_aligned(&res->s.mmio_next, LAYOUT_PCI_MMIO_END, size, addr);
}

int resources_alloc_io(struct resources *res, uint32_t size, uint32_t *port)
{
	uint64_t next = res->s.io_next, at;
	int ret = alloc_aligned(&next, RESOURCES_IO_END, size, &at);

	if (ret == 0) {
		res->s.io_next = next;
		*port = at;
	}
	return ret;
}

/* A freed run of exactly count values, taken off the list; false when there is none. */
static bool freed_take(struct resources_freed *freed, uint32_t count, uint32_t *first)
{
	for (unsigned int i = 0; i < freed->n; i++)
		if (freed->count[i] == count) {
			*first = freed->first[i];
			freed->n--;
			freed->first[i] = freed->first[freed->n];
			freed->count[i] = freed->count[freed->n];
			return true;
		}
	return false;
}

static void freed_put(struct resources_freed *freed, uint32_t first, uint32_t count)
{
	if (freed->n < RESOURCES_FREED_MAX) {
		freed->first[freed->n] = first;
		freed->count[freed->n++] = count;
	}
}

void resources_free_slots(struct resources *res, uint32_t first, uint32_t count)
{
	freed_put(&res->freed_slots, first, count);
}

void resources_free_gsi(struct resources *res, uint32_t gsi)
{
	freed_put(&res->freed_gsis, gsi, 1);
}

int resources_alloc_slots(struct resources *res, uint32_t count, uint32_t *first)
{
	if (freed_take(&res->freed_slots, count, first))
		return 0;
	if (count > res->slot_limit || res->s.slot_next > res->slot_limit - count)
		return -ENOSPC;
	*first = res->s.slot_next;
	res->s.slot_next += count;
	return 0;
}

int resources_alloc_gsi(struct resources *res, uint32_t *gsi)
{
	if (freed_take(&res->freed_gsis, 1, gsi))
		return 0;
	if (res->s.gsi_next >= res->gsi_limit)
		return -ENOSPC;
	*gsi = res->s.gsi_next++;
	return 0;
}

void resources_save(const struct resources *res, struct state_writer *w)
{
	state_put_u64(w, res->s.mmio_next);
	state_put_u32(w, res->s.io_next);
	state_put_u32(w, res->s.slot_next);
	state_put_u32(w, res->s.gsi_next);
}

int resources_restore(struct resources *res, struct state_reader *r)
{
	struct resources_state s;

	s.mmio_next = state_get_u64(r);
	s.io_next = state_get_u32(r);
	s.slot_next = state_get_u32(r);
	s.gsi_next = state_get_u32(r);
	if (s.mmio_next < LAYOUT_PCI_MMIO || s.mmio_next > LAYOUT_PCI_MMIO_END || s.io_next < RESOURCES_IO_BASE ||
	    s.io_next > RESOURCES_IO_END || s.slot_next > res->slot_limit || s.gsi_next < FIRST_GSI ||
	    s.gsi_next > res->gsi_limit)
		state_reader_reject(r);
	/* The same machine built from the same configuration has handed out at most this much. */
	if (s.mmio_next < res->s.mmio_next || s.io_next < res->s.io_next || s.slot_next < res->s.slot_next ||
	    s.gsi_next < res->s.gsi_next)
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	res->s = s;
	return 0;
}
