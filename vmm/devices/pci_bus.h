/*
 * PCI bus 0 of a q35-like root complex: configuration space through the
 * 0xcf8/0xcfc mechanism and through ECAM (MCFG), and the host bridge at
 * 00:00.0. Other functions (passed-through devices) plug in with pci_bus_add().
 */
#ifndef SHEER_VMM_DEVICES_PCI_BUS_H
#define SHEER_VMM_DEVICES_PCI_BUS_H

#include <stdint.h>

#include "vmm/machine/device.h"

#define PCI_CONFIG_SIZE 4096
#define PCI_SLOTS 32

/* A function whose configuration space is not a plain array (a passed-through device). */
struct pci_device_ops {
	uint32_t (*read)(void *owner, unsigned int reg, unsigned int size);
	void (*write)(void *owner, unsigned int reg, unsigned int size, uint32_t value);
};

struct pci_device {
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t writable[PCI_CONFIG_SIZE];	/* bits the guest may change */
	const struct pci_device_ops *ops;	/* NULL: config/writable above */
	/* Optional, with config/writable: told after each guest write (a BAR moved, MSI-X enabled). */
	void (*written)(void *owner, unsigned int reg, unsigned int size);
	void *owner;
};

struct pci_bus {
	uint32_t config_address;		/* latched at 0xcf8 */
	struct pci_device *slots[PCI_SLOTS];	/* function 0 of each slot */
	struct pci_device host_bridge;
};

extern const struct device_desc pci_bus_device;	/* its io: 0xcf8, 8 ports */
extern const struct bus_device_ops pci_port_ops;	/* 0xcf8, 8 ports */
extern const struct bus_device_ops pci_ecam_ops;	/* ECAM window, 1 MiB per bus */

void pci_bus_init(struct pci_bus *pci);
/* Power-on state of the bus and its emulated functions; plugged-in devices stay. */
void pci_bus_reset(struct pci_bus *pci);
/* Section "PCI0": the latched 0xcf8 address and the config space of each emulated function. */
void pci_bus_save(const struct pci_bus *pci, struct state_writer *w);
/* -EBADMSG (nothing changed) for a slot that holds no emulated function here, one missing, or a bad payload. */
int pci_bus_restore(struct pci_bus *pci, struct state_reader *r);
int pci_bus_add(struct pci_bus *pci, unsigned int slot, struct pci_device *fn);
/* Unplug fn from slot (nothing if another function is there). */
void pci_bus_remove(struct pci_bus *pci, unsigned int slot, struct pci_device *fn);
uint32_t pci_bus_config_read(struct pci_bus *pci, unsigned int devfn, unsigned int reg, unsigned int size);
void pci_bus_config_write(struct pci_bus *pci, unsigned int devfn, unsigned int reg, unsigned int size,
		      uint32_t value);

#define PCI_VENDOR_INTEL		0x8086
#define PCI_DEVICE_Q35_HOST_BRIDGE	0x29c0

#endif
