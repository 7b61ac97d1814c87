/*
 * ACPI PCI hotplug, as QEMU's "acpi-pci-hotplug" does it for a PC: a
 * register block the DSDT's slot methods use, and general-purpose event
 * GPE_PCI_HOTPLUG that makes the guest look at it. Linux's acpiphp (built
 * into stock kernels) finds a slot for every Device(Sxx) under PCI0 with
 * _ADR and _EJ0 (vmm/boot/dsdt.c), and handles each Notify from \_GPE._E01:
 * 1 (device check) rescans the slot and binds a driver to what appeared;
 * 3 (eject request) unbinds the driver and calls the slot's _EJ0, which
 * writes EJECT: only then does sheer take the device away.
 *
 * Registers at PORT_PCI_HOTPLUG, 32-bit, one bit per slot:
 *   +0 UP     read: slots with a new device to check (reading clears it)
 *   +4 DOWN   read: slots whose device sheer asks back (reading clears it)
 *   +8 EJECT  write: the guest has let go of the device in these slots
 */
#ifndef SHEER_VMM_DEVICES_PCI_HOTPLUG_H
#define SHEER_VMM_DEVICES_PCI_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/machine/device.h"

#define PCI_HOTPLUG_UP		0
#define PCI_HOTPLUG_DOWN	4
#define PCI_HOTPLUG_EJECT	8
#define PCI_HOTPLUG_PORTS	12

/* Section "PCHP": what the guest has yet to be told, what it was asked back and what it has released. */
struct pci_hotplug_state {
	uint32_t up;
	uint32_t down;
	uint32_t ejected;	/* released, not yet taken by sheer: only slots asked */
	uint32_t asked;		/* sheer wants these back */
};

struct pci_hotplug {
	struct pci_hotplug_state s;
	/* Host wiring: the GPE that tells the guest (pm_raise_gpe through the VM). */
	void (*raise)(void *ctx);
	void *ctx;
};

extern const struct device_desc pci_hotplug_device;

/* Call with the device lock held. A device appeared in slot (1..31): the guest checks it. */
void pci_hotplug_plugged(struct pci_hotplug *hp, unsigned int slot);
/* Ask the guest to release the device in slot (it calls _EJ0 when done). */
void pci_hotplug_request_eject(struct pci_hotplug *hp, unsigned int slot);
/* Has the guest released slot since it was asked? Taking the answer clears it. */
bool pci_hotplug_take_ejected(struct pci_hotplug *hp, unsigned int slot);
/* An eject that is no longer wanted: the guest is not told (if it was not yet) and a late release is ignored. */
void pci_hotplug_cancel_eject(struct pci_hotplug *hp, unsigned int slot);

#endif
