/*
 * Guest RAM: one mapping on 2 MiB host pages (a hugetlbfs or THP memfd, or
 * anonymous THP memory; see memory_map()), mapped once in sheer and given to
 * KVM as up to two slots around the 32-bit hole.
 */
#ifndef SHEER_VMM_KVM_MEMORY_H
#define SHEER_VMM_KVM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_memory {
	int fd;			/* the memfd, or -1 for anonymous memory */
	uint8_t *host;		/* mapping of all RAM, low part then high part */
	uint64_t size;
	uint64_t low_size;	/* RAM below the 32-bit hole, from gpa 0 */
	uint64_t high_size;	/* RAM from 4 GiB */
	bool huge_pages;	/* reserved hugetlbfs pages */
	uint32_t first_slot;	/* KVM slot of the low part; the high part is first_slot + 1 */
};

/* How size bytes of RAM lie around the 32-bit hole: low from 0, high from LAYOUT_HIGH_RAM. */
void memory_split(uint64_t size, uint64_t *low, uint64_t *high);
int memory_create(struct guest_memory *mem, uint64_t size, int numa_node);
/* Give the RAM to KVM as slots first_slot (below the 32-bit hole) and first_slot + 1 (above it). */
int memory_register(struct guest_memory *mem, int vm_fd, uint32_t first_slot);
/* The same slots again with KVM's dirty logging on or off (vmm/kvm/dirty_log.c). */
int memory_set_dirty_logging(const struct guest_memory *mem, int vm_fd, bool on);
/* A read-only slot (a firmware ROM): the guest's writes to it exit as MMIO and are dropped. */
int memory_map_rom(int vm_fd, uint32_t slot, uint64_t gpa, const void *host, uint64_t size);
void memory_destroy(struct guest_memory *mem);
/* Host pointer to [gpa, gpa+len) if it is all RAM, else NULL. */
void *memory_at(const struct guest_memory *mem, uint64_t gpa, uint64_t len);

#endif
