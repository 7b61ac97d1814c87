/*
 * The one owner of a machine's guest resources (after Firecracker's
 * vstate/resources.rs): windows in the PCI MMIO and I/O port ranges, KVM
 * memory slots and GSIs for MSI routes. Everything that needs one asks here,
 * so nothing is handed out twice; the allocator's position is saved with the
 * machine, so a restored machine hands out the same values as the original
 * would have.
 */
#ifndef SHEER_VMM_MACHINE_RESOURCES_H
#define SHEER_VMM_MACHINE_RESOURCES_H

#include <stdint.h>

#include "vmm/machine/state.h"

struct resources_state {
	uint64_t mmio_next;	/* next free address in [LAYOUT_PCI_MMIO, LAYOUT_PCI_MMIO_END) */
	uint32_t io_next;	/* next free port in [RESOURCES_IO_BASE, RESOURCES_IO_END) */
	uint32_t slot_next;	/* next free KVM memory slot */
	uint32_t gsi_next;	/* next free GSI after the IO-APIC pins */
};

#define RESOURCES_FREED_MAX 64

/*
 * What an unplugged device gave back, handed out again before anything new:
 * hot-plug cycles (a failover NIC at every migration) must not run the
 * machine out of slots or GSIs. Not saved: a machine is saved without
 * hot-plugged devices, and a free list only lists values above nothing saved.
 */
struct resources_freed {
	unsigned int n;
	uint32_t first[RESOURCES_FREED_MAX];
	uint32_t count[RESOURCES_FREED_MAX];
};

struct resources {
	struct resources_state s;
	uint32_t slot_limit;	/* KVM_CAP_NR_MEMSLOTS */
	uint32_t gsi_limit;	/* size of KVM's routing table */
	struct resources_freed freed_slots;
	struct resources_freed freed_gsis;
};

#define RESOURCES_IO_BASE 0xc000U	/* PCI I/O BARs, as SeaBIOS places them */
#define RESOURCES_IO_END  0x10000U

void resources_init(struct resources *res, uint32_t slot_limit, uint32_t gsi_limit);
/* A naturally aligned window of size bytes (a power of two); -ENOSPC when the range is full. */
int resources_alloc_mmio(struct resources *res, uint64_t size, uint64_t *addr);
int resources_alloc_io(struct resources *res, uint32_t size, uint32_t *port);
/* count consecutive KVM memory slots. */
int resources_alloc_slots(struct resources *res, uint32_t count, uint32_t *first);
int resources_alloc_gsi(struct resources *res, uint32_t *gsi);
/* Give back what an unplugged device held (dropped, not an error, when the list is full). */
void resources_free_slots(struct resources *res, uint32_t first, uint32_t count);
void resources_free_gsi(struct resources *res, uint32_t gsi);

/* Section "RES0". restore refuses a position outside the ranges (-EBADMSG). */
void resources_save(const struct resources *res, struct state_writer *w);
int resources_restore(struct resources *res, struct state_reader *r);

#endif
