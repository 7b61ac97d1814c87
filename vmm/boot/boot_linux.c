#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/boot_linux.h"
#include "vmm/boot/direct_boot.h"
#include "vmm/lib/le.h"
#include "vmm/machine/layout.h"

/* Offsets in the bzImage file and in the zero page (they coincide for the setup header). */
#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_HEAP_END_PTR	0x224
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_INIT_SIZE		0x260
#define HDR_MIN_SIZE		0x264	/* through init_size */
#define ZP_ACPI_RSDP_ADDR	0x070
#define ZP_EXT_RAMDISK_IMAGE	0x0c0
#define ZP_EXT_RAMDISK_SIZE	0x0c4
#define ZP_EXT_CMD_LINE_PTR	0x0c8
#define ZP_E820_ENTRIES		0x1e8
#define ZP_E820_TABLE		0x2d0
#define ZERO_PAGE_SIZE		4096

#define BOOT_FLAG_MAGIC		0xaa55
#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define LOADFLAG_LOADED_HIGH	0x01
#define LOADFLAG_CAN_USE_HEAP	0x80
#define XLF_KERNEL_64		0x01
#define LOADER_UNDEFINED	0xff
#define ENTRY_64_OFFSET		0x200
#define MAX_KERNEL_FILE		(256 * MiB)

/* Where the kernel went: its 64-bit entry point and the first byte it leaves free. */
struct kernel_placement {
	uint64_t entry;
	uint64_t end;
};

int bzimage_parse(const uint8_t *data, size_t size, struct bzimage *image, char *why, size_t why_len)
{
	unsigned int setup_sects;

	if (size < HDR_MIN_SIZE || le_get(data + HDR_MAGIC, 4) != HDRS_MAGIC) {
		snprintf(why, why_len, "not a bzImage (no HdrS header)");
		return -ENOEXEC;
	}
	image->version = le_get(data + HDR_VERSION, 2);
	if (le_get(data + HDR_BOOT_FLAG, 2) != BOOT_FLAG_MAGIC) {
		snprintf(why, why_len, "not a bzImage (no 0xaa55 boot flag)");
		return -ENOEXEC;
	}
	if (image->version < 0x020c) {
		snprintf(why, why_len, "boot protocol %u.%02u too old (2.12 needed)", image->version >> 8,
			 image->version & 0xff);
		return -ENOEXEC;
	}
	if (!(data[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH) || !(le_get(data + HDR_XLOADFLAGS, 2) & XLF_KERNEL_64)) {
		snprintf(why, why_len, "not a 64-bit bzImage (no 64-bit entry point)");
		return -ENOEXEC;
	}
	setup_sects = data[HDR_SETUP_SECTS] ? data[HDR_SETUP_SECTS] : 4;
	image->kernel_offset = (setup_sects + 1) * 512;
	image->header_end = HDR_MAGIC + data[HDR_JUMP + 1];
	if (image->header_end < HDR_MIN_SIZE || image->header_end > image->kernel_offset ||
	    image->kernel_offset + ENTRY_64_OFFSET + 16 > size) {
		snprintf(why, why_len, "truncated bzImage (setup header or kernel missing)");
		return -ENOEXEC;
	}
	image->kernel_size = size - image->kernel_offset;
	image->init_size = le_get(data + HDR_INIT_SIZE, 4);
	image->initrd_addr_max = le_get(data + HDR_INITRD_ADDR_MAX, 4);
	image->cmdline_size = le_get(data + HDR_CMDLINE_SIZE, 4);
	return 0;
}

static int read_file(const char *path, uint8_t **data, size_t *size, size_t max)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		ret = -EFBIG;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += n;
	}
	close(fd);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*data = buf;
	*size = done;
	return 0;
}

int boot_image_open(struct boot_image *image, const char *path, char *err, size_t err_len)
{
	char why[128];
	int ret;

	memset(image, 0, sizeof(*image));
	image->path = path;
	ret = read_file(path, &image->data, &image->size, MAX_KERNEL_FILE);
	if (ret < 0) {
		snprintf(err, err_len, "kernel %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = bzimage_parse(image->data, image->size, &image->header, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, err_len, "kernel %s: %s", path, why);
		boot_image_close(image);
	}
	return ret;
}

void boot_image_close(struct boot_image *image)
{
	free(image->data);
	image->data = NULL;
}

static int load_bzimage_kernel(struct guest_memory *mem, const struct boot_image *image,
			       struct kernel_placement *placed, char *err, size_t err_len)
{
	const struct bzimage *hdr = &image->header;
	uint64_t size = hdr->kernel_size > hdr->init_size ? hdr->kernel_size : hdr->init_size;
	uint8_t *dest = memory_at(mem, LAYOUT_KERNEL, size);

	if (!dest) {
		snprintf(err, err_len, "kernel %s: needs %u MiB from 1 MiB, memory too small", image->path,
			 (unsigned int)(hdr->init_size / MiB + 1));
		return -ENOSPC;
	}
	memcpy(dest, image->data + hdr->kernel_offset, hdr->kernel_size);
	*placed = (struct kernel_placement){ .entry = LAYOUT_KERNEL + ENTRY_64_OFFSET, .end = LAYOUT_KERNEL + size };
	return 0;
}

/* RAM the initrd will need above the kernel: its size, with a page of alignment to spare. */
static uint64_t initrd_room(const struct boot_request *req)
{
	struct stat st;

	if (!req->initrd_path || !req->initrd_path[0] || stat(req->initrd_path, &st) < 0)
		return 0;	/* load_initrd() reports the problem */
	return (uint64_t)st.st_size + 4096;
}

/* Direct boot when the payload allows it, else the bzImage's own decompressor. */
static int load_kernel(struct guest_memory *mem, const struct boot_image *image, const struct boot_request *req,
		       uint8_t *zero_page, struct kernel_placement *placed, char *err, size_t err_len)
{
	struct direct_kernel direct;
	char why[256];
	int ret;

	memcpy(zero_page + HDR_SETUP_SECTS, image->data + HDR_SETUP_SECTS, image->header.header_end - HDR_SETUP_SECTS);
	ret = direct_boot_load(mem, image, req->kernel_cache, req->report, initrd_room(req), &direct, why, sizeof(why));
	if (ret == 0) {
		*placed = (struct kernel_placement){ .entry = direct.entry, .end = direct.end };
		return 0;
	}
	if (ret != -ENOTSUP && ret != -ENOSPC)
		report_warn(req->report, "kernel %s: %s; booting it through its own decompressor", image->path, why);
	return load_bzimage_kernel(mem, image, placed, err, err_len);
}

/* The initrd goes as high as the kernel allows in low RAM, page aligned. */
static int load_initrd(struct guest_memory *mem, const struct boot_request *req, const struct bzimage *image,
		       uint64_t kernel_end, uint8_t *zero_page, char *err, size_t err_len)
{
	uint64_t top = (uint64_t)image->initrd_addr_max + 1, addr;
	uint8_t *data;
	size_t size;
	int ret;

	if (!req->initrd_path || !req->initrd_path[0])
		return 0;
	ret = read_file(req->initrd_path, &data, &size, mem->low_size);
	if (ret < 0) {
		snprintf(err, err_len, "initrd %s: %s", req->initrd_path, strerror(-ret));
		return ret;
	}
	if (top > mem->low_size)
		top = mem->low_size;
	addr = (top - size) & ~0xfffULL;
	if (size > top || addr < kernel_end) {
		snprintf(err, err_len, "initrd %s: %zu bytes do not fit in memory above the kernel",
			 req->initrd_path, size);
		free(data);
		return -ENOSPC;
	}
	memcpy(memory_at(mem, addr, size), data, size);
	free(data);
	le_put(zero_page + HDR_RAMDISK_IMAGE, addr, 4);
	le_put(zero_page + HDR_RAMDISK_SIZE, size, 4);
	le_put(zero_page + ZP_EXT_RAMDISK_IMAGE, addr >> 32, 4);
	le_put(zero_page + ZP_EXT_RAMDISK_SIZE, (uint64_t)size >> 32, 4);
	return 0;
}

static int load_cmdline(struct guest_memory *mem, const struct boot_request *req, const struct bzimage *image,
			uint8_t *zero_page, char *err, size_t err_len)
{
	size_t len = strlen(req->cmdline);
	uint32_t limit = image->version >= 0x0206 ? image->cmdline_size : 255;
	char *dest = memory_at(mem, LAYOUT_CMDLINE, len + 1);

	if (len > limit || !dest || LAYOUT_CMDLINE + len + 1 > LAYOUT_EBDA) {
		snprintf(err, err_len, "command line of %zu bytes is longer than the kernel accepts (%u)", len,
			 limit);
		return -E2BIG;
	}
	memcpy(dest, req->cmdline, len + 1);
	le_put(zero_page + HDR_CMD_LINE_PTR, LAYOUT_CMDLINE, 4);
	le_put(zero_page + ZP_EXT_CMD_LINE_PTR, 0, 4);
	return 0;
}

static void zero_page_finish(uint8_t *zero_page, const struct boot_request *req)
{
	zero_page[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zero_page[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	le_put(zero_page + HDR_HEAP_END_PTR, 0xfe00, 2);
	le_put(zero_page + ZP_ACPI_RSDP_ADDR, req->rsdp, 8);
	zero_page[ZP_E820_ENTRIES] = req->e820->n;
	memcpy(zero_page + ZP_E820_TABLE, req->e820->entries, req->e820->n * sizeof(struct e820_entry));
}

/* Identity map of the first 4 GiB with 2 MiB pages; Linux replaces it early. */
static void write_page_tables(struct guest_memory *mem)
{
	uint64_t *pml4 = memory_at(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = memory_at(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = memory_at(mem, LAYOUT_PD, 4 * 4096);
	const uint64_t present_rw = 0x3, huge = 0x80;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | present_rw;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | present_rw;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i * 2 * MiB) | present_rw | huge;
}

static void write_gdt(struct guest_memory *mem)
{
	uint64_t *gdt = memory_at(mem, LAYOUT_GDT, 4 * sizeof(uint64_t));

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BOOT_CS / 8] = 0x00af9b000000ffffULL;	/* 64-bit code, present, DPL 0 */
	gdt[BOOT_DS / 8] = 0x00cf93000000ffffULL;	/* flat data, read-write */
}

int boot_linux_load(struct guest_memory *mem, const struct boot_image *image, const struct boot_request *req,
		    struct boot_entry *entry, char *err, size_t err_len)
{
	uint8_t *zero_page = memory_at(mem, LAYOUT_ZERO_PAGE, ZERO_PAGE_SIZE);
	struct kernel_placement placed;
	int ret;

	if (!zero_page || mem->low_size < LAYOUT_BIOS_END + MiB) {
		snprintf(err, err_len, "memory of %llu bytes is too small to boot", (unsigned long long)mem->size);
		return -ENOSPC;
	}
	memset(zero_page, 0, ZERO_PAGE_SIZE);
	ret = load_kernel(mem, image, req, zero_page, &placed, err, err_len);
	if (ret == 0)
		ret = load_initrd(mem, req, &image->header, placed.end, zero_page, err, err_len);
	if (ret == 0)
		ret = load_cmdline(mem, req, &image->header, zero_page, err, err_len);
	if (ret < 0)
		return ret;
	zero_page_finish(zero_page, req);
	write_page_tables(mem);
	write_gdt(mem);
	*entry = (struct boot_entry){
		.rip = placed.entry,
		.zero_page = LAYOUT_ZERO_PAGE,
		.stack = LAYOUT_BOOT_STACK,
		.cr3 = LAYOUT_PML4,
	};
	return 0;
}
