/*
 * Booting through firmware (boot = disk): the VM starts like a PC at its
 * reset vector in a BIOS image (SeaBIOS, Debian's bios-256k.bin by default),
 * which finds the passed-through disk controller and loads the boot loader
 * from the disk, exactly as on a physical server.
 *
 * What SeaBIOS needs of the machine (its src/fw/paravirt.c, shadow.c,
 * pciinit.c): the image mapped read-only just below 4 GiB and its last
 * 128 KiB at 0xe0000-0xfffff (RAM here, so shadowing it is a no-op), a
 * Q35 host bridge with QEMU's subsystem id (vmm/devices/pci_host_bridge.c),
 * and fw_cfg (vmm/devices/fw_cfg.c) holding the memory map ("etc/e820") and
 * sheer's ACPI tables with the loader script that places and links them
 * ("etc/table-loader", "etc/acpi/tables", "etc/acpi/rsdp").
 */
#ifndef SHEER_VMM_BOOT_FIRMWARE_H
#define SHEER_VMM_BOOT_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/acpi.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/kvm/memory.h"

#define FIRMWARE_SIZE_MIN	(64 * 1024)
#define FIRMWARE_SIZE_MAX	(256 * 1024)	/* what fits below 4 GiB above KVM's pages (layout.h) */
#define FIRMWARE_LOW_WINDOW	(128 * 1024)	/* what a PC shows of it at 0xe0000 */

struct firmware_rom {
	uint8_t *host;		/* NULL: none loaded */
	size_t size;
};

/* Read the image: a whole number of 64 KiB blocks up to 256 KiB, else -EINVAL (*why says how). */
int firmware_load(struct firmware_rom *rom, const char *path, char *why, size_t why_len);
/* Give KVM the image below 4 GiB as read-only slot `slot`, and copy its top into RAM at 0xe0000. */
int firmware_map(const struct firmware_rom *rom, int vm_fd, uint32_t slot, struct guest_memory *mem);
void firmware_unload(struct firmware_rom *rom);

/* What fw_cfg tells the firmware: CPUs, memory map, ACPI tables and their loader script. */
int firmware_describe(struct fw_cfg *fw_cfg, const struct guest_memory *mem, const struct acpi_config *acpi);

#endif
