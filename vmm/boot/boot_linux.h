/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit
 * entry: the protected-mode kernel of a bzImage at 1 MiB, the zero page
 * (boot_params) with the setup header, command line, initrd and e820 map,
 * and the identity page tables and GDT the 64-bit entry point expects.
 */
#ifndef SHEER_VMM_BOOT_BOOT_LINUX_H
#define SHEER_VMM_BOOT_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/e820.h"
#include "vmm/kvm/memory.h"
#include "vmm/lib/report.h"

/* What the setup header of a bzImage says about loading it. */
struct bzimage {
	uint16_t version;		/* 0x020f for 2.15 */
	size_t header_end;		/* setup header ends here in the file */
	size_t kernel_offset;		/* protected-mode kernel within the file */
	size_t kernel_size;
	uint32_t init_size;		/* memory the kernel needs from its load address */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
};

/* A kernel file read into memory and validated. */
struct boot_image {
	const char *path;
	uint8_t *data;
	size_t size;
	struct bzimage header;
};

struct kernel_cache;

struct boot_request {
	const struct kernel_cache *kernel_cache;	/* decompressed kernels for direct boot; NULL: none */
	const char *initrd_path;	/* NULL or "": none */
	const char *cmdline;
	uint64_t rsdp;
	const struct e820_table *e820;
	const struct report *report;	/* where warnings go (a kernel that cannot boot directly); NULL: nowhere */
};

struct boot_entry {
	uint64_t rip;
	uint64_t zero_page;
	uint64_t stack;
	uint64_t cr3;
};

/* Validate a bzImage in memory; on error *why says what is wrong with it. */
int bzimage_parse(const uint8_t *data, size_t size, struct bzimage *image, char *why, size_t why_len);

/* Read and validate a kernel file; *err says what is wrong ("kernel PATH: ..."). */
int boot_image_open(struct boot_image *image, const char *path, char *err, size_t err_len);
void boot_image_close(struct boot_image *image);

/* Load kernel, initrd, command line and zero page; *err says what failed. */
int boot_linux_load(struct guest_memory *mem, const struct boot_image *image, const struct boot_request *req,
		    struct boot_entry *entry, char *err, size_t err_len);

/* GDT selectors the 64-bit boot protocol requires. */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

#endif
