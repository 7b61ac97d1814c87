/*
 * Loading a vmlinux ELF (ELF64, x86-64, ET_EXEC) into guest RAM at the
 * physical addresses of its PT_LOAD segments, as Firecracker and Cloud
 * Hypervisor do for direct kernel boot. The image is untrusted: every
 * offset and size is checked before anything is written.
 */
#ifndef SHEER_VMM_BOOT_ELF_LOAD_H
#define SHEER_VMM_BOOT_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/kvm/memory.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t paddr;
	uint64_t mem_size;	/* beyond file_size: zeroes (.bss) */
};

struct elf_image {
	const uint8_t *data;
	size_t size;
	uint64_t entry;		/* physical */
	uint64_t start;		/* lowest byte the segments occupy */
	uint64_t end;		/* one past the highest */
	unsigned int n_segments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* Validate the headers and segments of data; -ENOEXEC with *why on anything wrong. */
int elf_parse(const uint8_t *data, size_t size, struct elf_image *elf, char *why, size_t why_len);

/*
 * Copy the segments to guest RAM; nothing is written unless every segment
 * lies at or above min_addr and in RAM (-ERANGE with *why otherwise).
 */
int elf_load(const struct elf_image *elf, struct guest_memory *mem, uint64_t min_addr, char *why, size_t why_len);

#endif
