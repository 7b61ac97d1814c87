/* The Q35 host bridge at 00:00.0 (8086:29c0), as firmware leaves it. */
#ifndef SHEER_VMM_DEVICES_PCI_HOST_BRIDGE_H
#define SHEER_VMM_DEVICES_PCI_HOST_BRIDGE_H

#include "vmm/devices/pci_bus.h"

/* Power-on config space and write masks. */
void pci_host_bridge_init(struct pci_device *fn);

#endif
