#include <string.h>

#include "vmm/devices/pci_host_bridge.h"

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_CLASS_DEVICE	0x0a
#define PCI_CACHE_LINE		0x0c
#define PCI_LATENCY		0x0d
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_CLASS_BRIDGE_HOST	0x0600
#define PCI_SUBSYS_VENDOR_QEMU	0x1af4
#define PCI_SUBSYS_QEMU		0x1100
#define Q35_PCIEXBAR		0x60	/* 8 bytes */
#define Q35_PAM0		0x90	/* 7 registers, two nibbles each (PAM0: the F segment only) */
#define Q35_PAM_COUNT		7

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

void pci_host_bridge_init(struct pci_device *fn)
{
	memset(fn, 0, sizeof(*fn));
	put16(fn->config + PCI_VENDOR_ID, PCI_VENDOR_INTEL);
	put16(fn->config + PCI_DEVICE_ID, PCI_DEVICE_Q35_HOST_BRIDGE);
	put16(fn->config + PCI_COMMAND, 0x0006);	/* memory and bus master, as firmware leaves it */
	put16(fn->config + PCI_CLASS_DEVICE, PCI_CLASS_BRIDGE_HOST);
	put16(fn->config + PCI_SUBSYS_VENDOR, PCI_SUBSYS_VENDOR_QEMU);
	put16(fn->config + PCI_SUBSYS_ID, PCI_SUBSYS_QEMU);
	fn->writable[PCI_CACHE_LINE] = 0xff;
	fn->writable[PCI_LATENCY] = 0xff;
	memset(fn->writable + Q35_PCIEXBAR, 0xff, 8);
	fn->writable[Q35_PAM0] = 0x30;
	memset(fn->writable + Q35_PAM0 + 1, 0x33, Q35_PAM_COUNT - 1);
}
