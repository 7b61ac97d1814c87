/*
 * The configuration space a guest sees for a passed-through function. Each
 * byte is either the device's (read and written through VFIO, which already
 * guards what it must) or virtual (kept here, with the bits the guest may
 * change): the BARs, whose masks answer the guest's sizing, the expansion ROM
 * (hidden), the capability chain, relinked so that only PM, MSI, MSI-X and
 * PCI Express remain, and MSI/MSI-X, which sheer emulates on top of KVM.
 * Pure: no I/O, so that hostile accesses can be unit-tested.
 */
#ifndef SHEER_PASSTHRU_VFIO_CONFIG_SPACE_H
#define SHEER_PASSTHRU_VFIO_CONFIG_SPACE_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_SPACE_SIZE 4096
#define CONFIG_BARS 6

struct config_bar {
	uint64_t size;		/* 0: no BAR here (or the upper half of a 64-bit one) */
	bool io;
	bool is_64bit;
};

struct config_space {
	uint8_t shadow[CONFIG_SPACE_SIZE];
	uint8_t writable[CONFIG_SPACE_SIZE];	/* of virtual bytes */
	bool is_virtual[CONFIG_SPACE_SIZE];
	struct config_bar bars[CONFIG_BARS];
	uint8_t msi_cap;	/* offsets of the kept capabilities, 0 when absent */
	uint8_t msix_cap;
};

/*
 * raw: the device's config space as VFIO reads it (len bytes, 256 or 4096);
 * bar_sizes: VFIO's region sizes for BAR0-5. Returns 0 or -EINVAL.
 */
int config_space_init(struct config_space *cs, const uint8_t *raw, unsigned int len,
		      const uint64_t bar_sizes[CONFIG_BARS]);

/* Is [reg, reg+size) a valid guest access (1, 2 or 4 bytes, within one dword, inside the space)? */
bool config_space_access_ok(unsigned int reg, unsigned int size);
/* Bit i set: byte reg+i belongs to the device. */
unsigned int config_space_device_bytes(const struct config_space *cs, unsigned int reg, unsigned int size);
/* The guest's view: device_value for the device's bytes, the shadow for virtual ones. */
uint32_t config_space_read(const struct config_space *cs, unsigned int reg, unsigned int size,
			   uint32_t device_value);
/* Apply a guest write to the virtual bytes (within their writable bits). */
void config_space_write(struct config_space *cs, unsigned int reg, unsigned int size, uint32_t value);

/* Where the guest put BAR i (0 for an upper half or no BAR). */
uint64_t config_space_bar_address(const struct config_space *cs, unsigned int bar);
/* Firmware's job, done by sheer: give BAR i an address before the guest boots. */
void config_space_set_bar_address(struct config_space *cs, unsigned int bar, uint64_t address);

uint32_t config_space_get(const struct config_space *cs, unsigned int reg, unsigned int size);

#endif
