/*
 * Kernel files are the operator's, but sheer opens whatever path a profile
 * names: a corrupt or hostile bzImage (setup header, payload offsets,
 * compressed stream) or vmlinux ELF (headers, segments) must be refused,
 * never read or written out of bounds. The ELF is loaded into real guest RAM.
 */
#include "tests/fuzz/fuzz_input.h"
#include "vmm/boot/elf_load.h"
#include "vmm/boot/kernel_image.h"
#include "vmm/kvm/memory.h"

#define FUZZ_GUEST_RAM (64ULL << 20)

static void try_bzimage(const uint8_t *data, size_t size)
{
	struct boot_image image = { .path = "fuzz", .data = (uint8_t *)data, .size = size };
	struct kernel_payload payload;
	struct vmlinux vmlinux;
	char why[256];

	if (bzimage_parse(data, size, &image.header, why, sizeof(why)) < 0)
		return;
	if (kernel_payload_find(&image, &payload, why, sizeof(why)) < 0 || payload.vmlinux_size > FUZZ_GUEST_RAM)
		return;
	if (kernel_payload_decompress(&payload, &vmlinux, why, sizeof(why)) == 0)
		vmlinux_release(&vmlinux);
}

static void try_elf(const uint8_t *data, size_t size)
{
	static struct guest_memory mem;
	struct elf_image elf;
	char why[256];

	if (!mem.host && memory_create(&mem, FUZZ_GUEST_RAM, -1) < 0)
		return;
	if (elf_parse(data, size, &elf, why, sizeof(why)) == 0)
		elf_load(&elf, &mem, 0, why, sizeof(why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	if (data[0] & 1)
		try_bzimage(data + 1, len - 1);
	else
		try_elf(data + 1, len - 1);
	return 0;
}
