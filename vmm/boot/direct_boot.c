#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "vmm/boot/direct_boot.h"
#include "vmm/boot/elf_load.h"
#include "vmm/boot/kernel_image.h"
#include "vmm/machine/layout.h"

/* LOAD_PHYSICAL_ADDR: where x86-64 kernels are linked, and where the decompressor would put them. */
#define VMLINUX_LOAD_ADDR	(16 * MiB)

/* A cache that cannot be written costs time, never the boot. */
static int vmlinux_obtain(const struct boot_image *image, const struct kernel_payload *payload,
			  const struct kernel_cache *cache, const struct report *report, struct vmlinux *vmlinux,
			  char *why, size_t why_len)
{
	struct kernel_key key;
	bool cached = cache && cache->dir[0] && kernel_key_make(&key, image->path, payload) == 0;
	char warning[PATH_MAX + 128];
	int ret;

	if (cached && kernel_cache_find(cache, &key, vmlinux) == 0)
		return 0;
	ret = kernel_payload_decompress(payload, vmlinux, why, why_len);
	if (ret == 0 && cached && kernel_cache_store(cache, &key, vmlinux, warning, sizeof(warning)) < 0)
		report_warn(report, "%s; the kernel is decompressed at every boot", warning);
	return ret;
}

static uint64_t direct_kernel_end(const struct boot_image *image, const struct elf_image *elf)
{
	uint64_t end = VMLINUX_LOAD_ADDR + image->header.init_size;

	return elf->end > end ? elf->end : end;
}

int direct_boot_load(struct guest_memory *mem, const struct boot_image *image, const struct kernel_cache *cache,
		     const struct report *report, uint64_t room_above, struct direct_kernel *loaded, char *why,
		     size_t why_len)
{
	struct kernel_payload payload;
	struct vmlinux vmlinux;
	struct elf_image elf;
	int ret = kernel_payload_find(image, &payload, why, why_len);

	if (ret < 0)
		return ret;
	if (mem->low_size < VMLINUX_LOAD_ADDR + (uint64_t)image->header.init_size + room_above) {
		snprintf(why, why_len, "memory too small to load the kernel at 16 MiB");
		return -ENOSPC;
	}
	ret = vmlinux_obtain(image, &payload, cache, report, &vmlinux, why, why_len);
	if (ret < 0)
		return ret;
	ret = elf_parse(vmlinux.data, vmlinux.size, &elf, why, why_len);
	if (ret == 0 && direct_kernel_end(image, &elf) + room_above > mem->low_size) {
		snprintf(why, why_len, "vmlinux ends beyond the memory left for the initrd");
		ret = -ENOSPC;
	}
	if (ret == 0)
		ret = elf_load(&elf, mem, LAYOUT_KERNEL, why, why_len);
	if (ret == 0)
		*loaded = (struct direct_kernel){ .entry = elf.entry, .end = direct_kernel_end(image, &elf) };
	vmlinux_release(&vmlinux);
	return ret;
}
