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
	put16(fn->config + PCI_SUBSYS_VENDOR, PCI_VENDOR_INTEL);
	put16(fn->config + PCI_SUBSYS_ID, PCI_DEVICE_Q35_HOST_BRIDGE);
	fn->writable[PCI_CACHE_LINE] = 0xff;
	fn->writable[PCI_LATENCY] = 0xff;
}
