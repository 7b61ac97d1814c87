/*
 * The Q35 host bridge at 00:00.0 (8086:29c0), as QEMU shows it: SeaBIOS
 * only runs its QEMU platform code (fw_cfg, ACPI tables) behind a host
 * bridge whose subsystem is QEMU's (1af4:1100), and it shadows itself
 * through the PAM registers. Guest RAM always backs 0xc0000-0xfffff here,
 * so PAM and PCIEXBAR (ECAM stays at LAYOUT_ECAM) keep what the guest
 * writes and change nothing else.
 */
#ifndef SHEER_VMM_DEVICES_PCI_HOST_BRIDGE_H
#define SHEER_VMM_DEVICES_PCI_HOST_BRIDGE_H

#include "vmm/devices/pci_bus.h"

/* Power-on config space and write masks. */
void pci_host_bridge_init(struct pci_device *fn);

#endif
