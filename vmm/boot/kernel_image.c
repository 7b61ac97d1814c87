#include <endian.h>
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#include "vmm/boot/kernel_image.h"
#include "vmm/machine/layout.h"

#define HDR_PAYLOAD_OFFSET	0x248	/* relative to the protected-mode kernel */
#define HDR_PAYLOAD_LENGTH	0x24c
#define VMLINUX_MIN_SIZE	64	/* an ELF header */
#define VMLINUX_MAX_SIZE	(512 * MiB)
/* The kernel packs with a 32 MiB dictionary; a hostile stream must not make us allocate more. */
#define XZ_MEMORY_LIMIT		(128 * MiB)

static const uint8_t xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
static const uint8_t gzip_magic[] = { 0x1f, 0x8b, 0x08 };

static uint32_t read_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static int payload_identify(struct kernel_payload *payload)
{
	if (payload->size >= sizeof(xz_magic) && !memcmp(payload->data, xz_magic, sizeof(xz_magic)))
		payload->format = PAYLOAD_XZ;
	else if (payload->size >= sizeof(gzip_magic) && !memcmp(payload->data, gzip_magic, sizeof(gzip_magic)))
		payload->format = PAYLOAD_GZIP;
	else
		return -ENOTSUP;
	return 0;
}

int kernel_payload_find(const struct boot_image *image, struct kernel_payload *payload, char *why, size_t why_len)
{
	const struct bzimage *hdr = &image->header;
	uint64_t offset, length;

	/* bzimage_parse() asked for protocol 2.12, whose header has the payload fields (2.08). */
	offset = read_le32(image->data + HDR_PAYLOAD_OFFSET);
	length = read_le32(image->data + HDR_PAYLOAD_LENGTH);
	/* No payload described: a kernel that decompresses itself some other way, nothing wrong with it. */
	if (length == 0) {
		snprintf(why, why_len, "no payload described in the setup header");
		return -ENOTSUP;
	}
	if (offset > hdr->kernel_size || length > hdr->kernel_size - offset || length < 4 + sizeof(xz_magic)) {
		snprintf(why, why_len, "payload (offset %llu, %llu bytes) outside the kernel's %zu bytes",
			 (unsigned long long)offset, (unsigned long long)length, hdr->kernel_size);
		return -ENOEXEC;
	}
	payload->data = image->data + hdr->kernel_offset + offset;
	payload->size = length;
	if (payload_identify(payload) < 0) {
		snprintf(why, why_len, "payload is not XZ or gzip");
		return -ENOTSUP;
	}
	payload->vmlinux_size = read_le32(payload->data + length - 4);
	if (payload->vmlinux_size < VMLINUX_MIN_SIZE || payload->vmlinux_size > VMLINUX_MAX_SIZE) {
		snprintf(why, why_len, "payload claims to unpack to %zu bytes", payload->vmlinux_size);
		return -ENOEXEC;
	}
	return 0;
}

/* Stops at the end of the XZ stream: the four size bytes after it are not XZ. */
static int xz_decompress(const struct kernel_payload *payload, uint8_t *out, char *why, size_t why_len)
{
	lzma_stream stream = LZMA_STREAM_INIT;
	lzma_ret ret = lzma_stream_decoder(&stream, XZ_MEMORY_LIMIT, 0);

	if (ret != LZMA_OK) {
		snprintf(why, why_len, "XZ decoder: liblzma error %d", ret);
		return ret == LZMA_MEM_ERROR ? -ENOMEM : -EINVAL;
	}
	stream.next_in = payload->data;
	stream.avail_in = payload->size;
	stream.next_out = out;
	stream.avail_out = payload->vmlinux_size;
	do
		ret = lzma_code(&stream, LZMA_FINISH);
	while (ret == LZMA_OK);
	if (ret != LZMA_STREAM_END || stream.total_out != payload->vmlinux_size) {
		snprintf(why, why_len, "XZ payload corrupt or not of the announced size (liblzma %d, %llu bytes)",
			 ret, (unsigned long long)stream.total_out);
		lzma_end(&stream);
		return -EBADMSG;
	}
	lzma_end(&stream);
	return 0;
}

static int gzip_decompress(const struct kernel_payload *payload, uint8_t *out, char *why, size_t why_len)
{
	z_stream stream = {
		.next_in = (Bytef *)payload->data,
		.avail_in = payload->size,
		.next_out = out,
		.avail_out = payload->vmlinux_size,
	};
	int ret = inflateInit2(&stream, 16 + MAX_WBITS);	/* 16: gzip header and trailer */

	if (ret != Z_OK) {
		snprintf(why, why_len, "gzip decoder: zlib error %d", ret);
		return ret == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	}
	do
		ret = inflate(&stream, Z_FINISH);
	while (ret == Z_OK);
	if (ret != Z_STREAM_END || stream.total_out != payload->vmlinux_size) {
		snprintf(why, why_len, "gzip payload corrupt or not of the announced size (zlib %d, %lu bytes)",
			 ret, stream.total_out);
		inflateEnd(&stream);
		return -EBADMSG;
	}
	inflateEnd(&stream);
	return 0;
}

int kernel_payload_decompress(const struct kernel_payload *payload, struct vmlinux *vmlinux, char *why,
			      size_t why_len)
{
	uint8_t *out = malloc(payload->vmlinux_size);
	int ret;

	if (!out) {
		snprintf(why, why_len, "%zu bytes for the decompressed kernel", payload->vmlinux_size);
		return -ENOMEM;
	}
	if (payload->format == PAYLOAD_XZ)
		ret = xz_decompress(payload, out, why, why_len);
	else
		ret = gzip_decompress(payload, out, why, why_len);
	if (ret < 0) {
		free(out);
		return ret;
	}
	*vmlinux = (struct vmlinux){ .data = out, .size = payload->vmlinux_size, .heap = out };
	return 0;
}

void vmlinux_release(struct vmlinux *vmlinux)
{
	free(vmlinux->heap);
	if (vmlinux->map)
		munmap(vmlinux->map, vmlinux->map_size);
	*vmlinux = (struct vmlinux){ 0 };
}
