#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/boot/elf_load.h"

static int refuse(char *why, size_t why_len, const char *what)
{
	snprintf(why, why_len, "vmlinux: %s", what);
	return -ENOEXEC;
}

static int elf_check_header(const uint8_t *data, size_t size, Elf64_Ehdr *ehdr, char *why, size_t why_len)
{
	if (size < sizeof(*ehdr))
		return refuse(why, why_len, "shorter than an ELF header");
	memcpy(ehdr, data, sizeof(*ehdr));
	if (memcmp(ehdr->e_ident, ELFMAG, SELFMAG))
		return refuse(why, why_len, "no ELF magic");
	if (ehdr->e_ident[EI_CLASS] != ELFCLASS64 || ehdr->e_ident[EI_DATA] != ELFDATA2LSB)
		return refuse(why, why_len, "not a little-endian 64-bit ELF");
	if (ehdr->e_machine != EM_X86_64 || ehdr->e_type != ET_EXEC)
		return refuse(why, why_len, "not an x86-64 executable");
	if (ehdr->e_phentsize != sizeof(Elf64_Phdr) || ehdr->e_phnum == 0)
		return refuse(why, why_len, "no program headers of the ELF64 size");
	if (ehdr->e_phoff > size || (uint64_t)ehdr->e_phnum * sizeof(Elf64_Phdr) > size - ehdr->e_phoff)
		return refuse(why, why_len, "program headers beyond the end of the file");
	return 0;
}

static int elf_add_segment(struct elf_image *elf, const Elf64_Phdr *phdr, char *why, size_t why_len)
{
	if (phdr->p_memsz == 0)
		return 0;
	if (elf->n_segments == ELF_MAX_SEGMENTS)
		return refuse(why, why_len, "too many loadable segments");
	if (phdr->p_filesz > phdr->p_memsz)
		return refuse(why, why_len, "segment with more file bytes than memory bytes");
	if (phdr->p_offset > elf->size || phdr->p_filesz > elf->size - phdr->p_offset)
		return refuse(why, why_len, "segment beyond the end of the file");
	if (phdr->p_paddr > UINT64_MAX - phdr->p_memsz)
		return refuse(why, why_len, "segment beyond the address space");
	elf->segments[elf->n_segments++] = (struct elf_segment){
		.file_offset = phdr->p_offset,
		.file_size = phdr->p_filesz,
		.paddr = phdr->p_paddr,
		.mem_size = phdr->p_memsz,
	};
	return 0;
}

static bool segments_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->paddr < b->paddr + b->mem_size && b->paddr < a->paddr + a->mem_size;
}

/* Extent and overlaps, and an entry point that lands on loaded code. */
static int elf_check_layout(struct elf_image *elf, char *why, size_t why_len)
{
	bool entry_loaded = false;

	if (elf->n_segments == 0)
		return refuse(why, why_len, "no loadable segment");
	elf->start = UINT64_MAX;
	elf->end = 0;
	for (unsigned int i = 0; i < elf->n_segments; i++) {
		const struct elf_segment *seg = &elf->segments[i];

		for (unsigned int j = 0; j < i; j++)
			if (segments_overlap(seg, &elf->segments[j]))
				return refuse(why, why_len, "overlapping segments");
		if (seg->paddr < elf->start)
			elf->start = seg->paddr;
		if (seg->paddr + seg->mem_size > elf->end)
			elf->end = seg->paddr + seg->mem_size;
		if (elf->entry >= seg->paddr && elf->entry - seg->paddr < seg->file_size)
			entry_loaded = true;
	}
	if (!entry_loaded)
		return refuse(why, why_len, "entry point outside the loaded segments");
	return 0;
}

int elf_parse(const uint8_t *data, size_t size, struct elf_image *elf, char *why, size_t why_len)
{
	Elf64_Ehdr ehdr;
	int ret = elf_check_header(data, size, &ehdr, why, why_len);

	if (ret < 0)
		return ret;
	memset(elf, 0, sizeof(*elf));
	elf->data = data;
	elf->size = size;
	elf->entry = ehdr.e_entry;
	for (unsigned int i = 0; i < ehdr.e_phnum; i++) {
		Elf64_Phdr phdr;

		memcpy(&phdr, data + ehdr.e_phoff + i * sizeof(phdr), sizeof(phdr));
		if (phdr.p_type != PT_LOAD)
			continue;
		ret = elf_add_segment(elf, &phdr, why, why_len);
		if (ret < 0)
			return ret;
	}
	return elf_check_layout(elf, why, why_len);
}

int elf_load(const struct elf_image *elf, struct guest_memory *mem, uint64_t min_addr, char *why, size_t why_len)
{
	for (unsigned int i = 0; i < elf->n_segments; i++) {
		const struct elf_segment *seg = &elf->segments[i];

		if (seg->paddr < min_addr || !memory_at(mem, seg->paddr, seg->mem_size)) {
			snprintf(why, why_len, "vmlinux: segment at 0x%llx (%llu bytes) outside guest RAM from 0x%llx",
				 (unsigned long long)seg->paddr, (unsigned long long)seg->mem_size,
				 (unsigned long long)min_addr);
			return -ERANGE;
		}
	}
	for (unsigned int i = 0; i < elf->n_segments; i++) {
		const struct elf_segment *seg = &elf->segments[i];
		uint8_t *dest = memory_at(mem, seg->paddr, seg->mem_size);

		memcpy(dest, elf->data + seg->file_offset, seg->file_size);
		memset(dest + seg->file_size, 0, seg->mem_size - seg->file_size);
	}
	return 0;
}
