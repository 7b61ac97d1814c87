#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/e820.h"
#include "vmm/boot/firmware.h"
#include "vmm/machine/layout.h"

#define FILE_RSDP		"etc/acpi/rsdp"
#define FILE_TABLES		"etc/acpi/tables"
#define FILE_LOADER		"etc/table-loader"
#define FILE_E820		"etc/e820"
#define FILE_BOOT_FAIL_WAIT	"etc/boot-fail-wait"
#define BOOT_FAIL_WAIT_MS	1000
#define ACPI_AREA_MAX		(32 * 1024)

/* QEMU's table-loader script (SeaBIOS src/fw/romfile_loader.h): 128-byte commands. */
#define LOADER_ALLOCATE		1
#define LOADER_ADD_POINTER	2
#define LOADER_ADD_CHECKSUM	3
#define LOADER_ZONE_HIGH	1
#define LOADER_ZONE_FSEG	2
#define LOADER_NAME		56
#define LOADER_COMMANDS_MAX	(2 + 2 * ACPI_LINKS_MAX)

struct loader_command {
	uint32_t command;
	union {
		struct {
			char file[LOADER_NAME];
			uint32_t align;
			uint8_t zone;
		} __attribute__((packed)) allocate;
		struct {
			char dest_file[LOADER_NAME];
			char src_file[LOADER_NAME];
			uint32_t offset;
			uint8_t size;
		} __attribute__((packed)) pointer;
		struct {
			char file[LOADER_NAME];
			uint32_t offset, start, length;
		} __attribute__((packed)) checksum;
		uint8_t pad[124];
	};
} __attribute__((packed));

_Static_assert(sizeof(struct loader_command) == 128, "table-loader commands are 128 bytes");
_Static_assert(4 * GiB - FIRMWARE_SIZE_MAX >= LAYOUT_KVM_TSS + 3 * 4096, "the ROM would cover KVM's TSS pages");

int firmware_load(struct firmware_rom *rom, const char *path, char *why, size_t why_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t got = -1;

	rom->host = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, why_len, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < FIRMWARE_SIZE_MIN || st.st_size > FIRMWARE_SIZE_MAX ||
	    st.st_size % FIRMWARE_SIZE_MIN) {
		snprintf(why, why_len, "not a BIOS image (a file of 64 KiB to 256 KiB, in 64 KiB blocks)");
		errno = EINVAL;
		goto fail;
	}
	rom->size = st.st_size;
	rom->host = mmap(NULL, rom->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rom->host == MAP_FAILED) {
		rom->host = NULL;
		snprintf(why, why_len, "%s", strerror(errno));
		goto fail;
	}
	got = pread(fd, rom->host, rom->size, 0);
	if (got != (ssize_t)rom->size) {
		snprintf(why, why_len, "%s", got < 0 ? strerror(errno) : "it changed while being read");
		errno = got < 0 ? errno : EIO;
		goto fail;
	}
	close(fd);
	return 0;
fail:;
	int ret = -errno;

	if (fd >= 0)
		close(fd);
	firmware_unload(rom);
	return ret;
}

int firmware_map(const struct firmware_rom *rom, int vm_fd, uint32_t slot, struct guest_memory *mem)
{
	size_t low = rom->size < FIRMWARE_LOW_WINDOW ? rom->size : FIRMWARE_LOW_WINDOW;
	uint8_t *window = memory_at(mem, LAYOUT_BIOS_END - low, low);

	if (!window)
		return -ENOSPC;
	memcpy(window, rom->host + rom->size - low, low);
	return memory_map_rom(vm_fd, slot, 4 * GiB - rom->size, rom->host, rom->size);
}

void firmware_unload(struct firmware_rom *rom)
{
	if (rom->host)
		munmap(rom->host, rom->size);
	rom->host = NULL;
}

/* RAM only, as QEMU gives it: the firmware reserves what it uses itself. */
static int describe_memory(struct fw_cfg *fw_cfg, const struct guest_memory *mem)
{
	struct e820_entry ram[2] = {
		{ 0, mem->low_size, E820_RAM },
		{ LAYOUT_HIGH_RAM, mem->high_size, E820_RAM },
	};

	return fw_cfg_add_file(fw_cfg, FILE_E820, ram, (mem->high_size ? 2 : 1) * sizeof(ram[0]));
}

static void loader_name(char *dst, const char *name)
{
	strncpy(dst, name, LOADER_NAME - 1);
}

static size_t loader_script(const struct acpi_links *links, struct loader_command *cmd)
{
	size_t n = 0;

	memset(cmd, 0, LOADER_COMMANDS_MAX * sizeof(*cmd));
	cmd[n].command = LOADER_ALLOCATE;
	loader_name(cmd[n].allocate.file, FILE_RSDP);
	cmd[n].allocate.align = 16;
	cmd[n++].allocate.zone = LOADER_ZONE_FSEG;
	cmd[n].command = LOADER_ALLOCATE;
	loader_name(cmd[n].allocate.file, FILE_TABLES);
	cmd[n].allocate.align = 64;	/* the FACS's alignment */
	cmd[n++].allocate.zone = LOADER_ZONE_HIGH;
	for (unsigned int i = 0; i < links->n_pointers; i++, n++) {
		const struct acpi_pointer *p = &links->pointers[i];

		cmd[n].command = LOADER_ADD_POINTER;
		loader_name(cmd[n].pointer.dest_file, p->offset < ACPI_RSDP_SIZE ? FILE_RSDP : FILE_TABLES);
		loader_name(cmd[n].pointer.src_file, FILE_TABLES);
		cmd[n].pointer.offset = p->offset;
		cmd[n].pointer.size = p->size;
	}
	for (unsigned int i = 0; i < links->n_checksums; i++, n++) {
		const struct acpi_checksum_range *c = &links->checksums[i];

		cmd[n].command = LOADER_ADD_CHECKSUM;
		loader_name(cmd[n].checksum.file, c->checksum < ACPI_RSDP_SIZE ? FILE_RSDP : FILE_TABLES);
		cmd[n].checksum.offset = c->checksum;
		cmd[n].checksum.start = c->start;
		cmd[n].checksum.length = c->length;
	}
	return n;
}

/*
 * The tables go as two files, the RSDP (into the F segment, where the OS
 * looks for it) and the rest (offsets unchanged: the RSDP's bytes are left
 * zero in it), and the loader script adds each file's address to the
 * pointers and mends the checksums.
 */
static int describe_acpi(struct fw_cfg *fw_cfg, const struct acpi_config *acpi)
{
	struct loader_command *script = calloc(LOADER_COMMANDS_MAX, sizeof(*script));
	uint8_t *area = calloc(1, ACPI_AREA_MAX);
	struct acpi_links links;
	uint8_t rsdp[ACPI_RSDP_SIZE];
	long ret = -ENOMEM;

	if (script && area && (ret = acpi_build_linked(acpi, area, ACPI_AREA_MAX, &links)) >= 0) {
		size_t used = ret, n = loader_script(&links, script);

		memcpy(rsdp, area, sizeof(rsdp));
		memset(area, 0, sizeof(rsdp));
		ret = fw_cfg_add_file(fw_cfg, FILE_RSDP, rsdp, sizeof(rsdp));
		if (ret == 0)
			ret = fw_cfg_add_file(fw_cfg, FILE_TABLES, area, used);
		if (ret == 0)
			ret = fw_cfg_add_file(fw_cfg, FILE_LOADER, script, n * sizeof(script[0]));
	}
	free(script);
	free(area);
	return ret;
}

int firmware_describe(struct fw_cfg *fw_cfg, const struct guest_memory *mem, const struct acpi_config *acpi)
{
	uint32_t boot_fail_wait = BOOT_FAIL_WAIT_MS;
	int ret;

	fw_cfg_set_cpus(fw_cfg, acpi->cpus);
	if ((ret = describe_memory(fw_cfg, mem)) < 0)
		return ret;
	/*
	 * With nothing bootable, SeaBIOS waits this long and resets; sheer stops a guest that resets, so
	 * the run ends (saying the guest asked for a reboot) instead of a minute's wait per try.
	 */
	if ((ret = fw_cfg_add_file(fw_cfg, FILE_BOOT_FAIL_WAIT, &boot_fail_wait, sizeof(boot_fail_wait))) < 0)
		return ret;
	return describe_acpi(fw_cfg, acpi);
}
