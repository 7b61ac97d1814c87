/*
 * QEMU's firmware configuration interface (docs/specs/fw_cfg.rst in QEMU),
 * the one way SeaBIOS learns about the machine it boots: a selector port
 * (0x510, 16 bits) picks an item and the data port (0x511) reads it byte by
 * byte. Items are the fixed ones SeaBIOS asks for (signature, interface
 * version, CPU count, "no graphics") and named files listed in the file
 * directory: the memory map, the ACPI tables and the loader script that
 * places them (vmm/boot/firmware.c adds them). Only the traditional
 * interface is offered: no DMA, no writes, so the guest never makes the
 * device touch its memory.
 *
 * The files are the host's, rebuilt from the server's configuration when a
 * VM is made; the guest-visible state is the selector and the read offset
 * (section "FWC0").
 */
#ifndef SHEER_VMM_DEVICES_FW_CFG_H
#define SHEER_VMM_DEVICES_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/machine/device.h"

#define FW_CFG_FILES_MAX	16
#define FW_CFG_NAME_MAX		56	/* with its NUL, as the file directory holds it */
#define FW_CFG_DATA_MAX		(128 * 1024)

/* Fixed items. */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20

struct fw_cfg_file {
	char name[FW_CFG_NAME_MAX];
	uint32_t start, len;	/* in fw_cfg.data */
};

struct fw_cfg_state {
	uint16_t selector;
	uint32_t offset;	/* next byte of the selected item */
};

struct fw_cfg {
	struct fw_cfg_state s;
	uint16_t cpus;
	unsigned int n_files;
	struct fw_cfg_file files[FW_CFG_FILES_MAX];
	uint32_t used;
	uint8_t data[FW_CFG_DATA_MAX];
};

extern const struct device_desc fw_cfg_device;

void fw_cfg_set_cpus(struct fw_cfg *cfg, uint16_t cpus);
/* Add a file (copied). -EEXIST: the name is taken; -ENOSPC: no room; -ENAMETOOLONG. */
int fw_cfg_add_file(struct fw_cfg *cfg, const char *name, const void *data, size_t len);

#endif
