/*
 * The compressed kernel inside a bzImage: the setup header's payload_offset
 * and payload_length locate it, its magic says how it is compressed, and
 * its last four bytes give the size of the vmlinux ELF it unpacks to (the
 * kernel build appends them to XZ; they are gzip's own ISIZE trailer).
 */
#ifndef SHEER_VMM_BOOT_KERNEL_IMAGE_H
#define SHEER_VMM_BOOT_KERNEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/boot_linux.h"

enum payload_format {
	PAYLOAD_XZ,
	PAYLOAD_GZIP,
};

struct kernel_payload {
	const uint8_t *data;		/* inside the boot image; not owned */
	size_t size;
	enum payload_format format;
	size_t vmlinux_size;		/* what it decompresses to */
};

/* The decompressed vmlinux ELF: decompressed here (heap) or mapped from the cache (map). */
struct vmlinux {
	const uint8_t *data;
	size_t size;
	uint8_t *heap;
	void *map;
	size_t map_size;
};

/*
 * Locate and identify the payload. -ENOTSUP: no payload sheer can unpack
 * (old protocol, raw or another compression); -ENOEXEC: the header points
 * outside the file or the sizes are absurd (*why says which).
 */
int kernel_payload_find(const struct boot_image *image, struct kernel_payload *payload, char *why, size_t why_len);

/* Unpack into memory of exactly payload->vmlinux_size bytes. */
int kernel_payload_decompress(const struct kernel_payload *payload, struct vmlinux *vmlinux, char *why,
			      size_t why_len);
void vmlinux_release(struct vmlinux *vmlinux);

#endif
