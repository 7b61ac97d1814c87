/*
 * Direct kernel boot: instead of letting the bzImage's decompressor unpack
 * the kernel inside the guest (seconds when nested), sheer puts the vmlinux
 * ELF of the compressed payload in guest RAM itself, from the kernel cache
 * or decompressing it once, and the guest starts at the ELF's 64-bit entry
 * (startup_64) with the same zero page, page tables and GDT as a bzImage.
 * The kernel then runs where it is linked, without KASLR.
 */
#ifndef SHEER_VMM_BOOT_DIRECT_BOOT_H
#define SHEER_VMM_BOOT_DIRECT_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/boot_linux.h"
#include "vmm/boot/kernel_cache.h"
#include "vmm/kvm/memory.h"
#include "vmm/lib/report.h"

struct direct_kernel {
	uint64_t entry;		/* physical */
	uint64_t end;		/* first byte the kernel leaves free (after its bss and brk) */
};

/*
 * Load the vmlinux with room_above bytes of RAM left above it (initrd).
 * -ENOTSUP: no payload sheer unpacks; -ENOSPC: RAM too small; any other
 * error: the payload or ELF is unusable (*why says how). On error nothing
 * was written to guest RAM, and the bzImage path boots the kernel instead.
 */
int direct_boot_load(struct guest_memory *mem, const struct boot_image *image, const struct kernel_cache *cache,
		     const struct report *report, uint64_t room_above, struct direct_kernel *loaded, char *why, size_t why_len);

#endif
