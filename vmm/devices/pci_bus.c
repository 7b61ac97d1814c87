#include <errno.h>
#include <string.h>

#include "vmm/devices/pci_bus.h"

#define CONFIG_ENABLE		0x80000000U
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_REVISION		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CLASS_DEVICE	0x0a
#define PCI_CACHE_LINE		0x0c
#define PCI_LATENCY		0x0d
#define PCI_HEADER_TYPE		0x0e
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_CLASS_BRIDGE_HOST	0x0600

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void host_bridge_init(struct pci_device *fn)
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

void pci_bus_init(struct pci_bus *pci)
{
	memset(pci, 0, sizeof(*pci));
	host_bridge_init(&pci->host_bridge);
	pci->slots[0] = &pci->host_bridge;
}

int pci_bus_add(struct pci_bus *pci, unsigned int slot, struct pci_device *fn)
{
	if (slot == 0 || slot >= PCI_SLOTS)
		return -EINVAL;
	if (pci->slots[slot])
		return -EBUSY;
	pci->slots[slot] = fn;
	return 0;
}

/* Only function 0 of each slot exists; an access must stay within one dword. */
static struct pci_device *pci_lookup(struct pci_bus *pci, unsigned int devfn, unsigned int reg,
				       unsigned int size)
{
	if (devfn >= PCI_SLOTS * 8 || devfn % 8 || reg >= PCI_CONFIG_SIZE || (size != 1 && size != 2 && size != 4) ||
	    (reg % 4) + size > 4)
		return NULL;
	return pci->slots[devfn / 8];
}

uint32_t pci_bus_config_read(struct pci_bus *pci, unsigned int devfn, unsigned int reg, unsigned int size)
{
	struct pci_device *fn = pci_lookup(pci, devfn, reg, size);
	uint32_t value = 0;

	if (!fn)
		return size >= 4 ? 0xffffffffU : (1U << (8 * size)) - 1;
	if (fn->ops)
		return fn->ops->read(fn->owner, reg, size);
	for (unsigned int i = 0; i < size; i++)
		value |= (uint32_t)fn->config[reg + i] << (8 * i);
	return value;
}

void pci_bus_config_write(struct pci_bus *pci, unsigned int devfn, unsigned int reg, unsigned int size,
		      uint32_t value)
{
	struct pci_device *fn = pci_lookup(pci, devfn, reg, size);

	if (!fn)
		return;
	if (fn->ops) {
		fn->ops->write(fn->owner, reg, size, value);
		return;
	}
	for (unsigned int i = 0; i < size; i++) {
		uint8_t mask = fn->writable[reg + i];

		fn->config[reg + i] = (fn->config[reg + i] & ~mask) | ((value >> (8 * i)) & mask);
	}
}

/* Ports 0xcf8-0xcff: a dword address register, then a 4-byte data window. */
static uint64_t pci_port_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pci_bus *pci = dev;
	uint32_t addr = pci->config_address;

	if (offset == 0 && size == 4)
		return addr;
	if (offset < 4 || !(addr & CONFIG_ENABLE) || ((addr >> 16) & 0xff) != 0)
		return ~0ULL;
	return pci_bus_config_read(pci, (addr >> 8) & 0xff, (addr & 0xfc) + (offset - 4), size);
}

static void pci_port_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct pci_bus *pci = dev;
	uint32_t addr = pci->config_address;

	if (offset == 0 && size == 4) {
		pci->config_address = value & 0x80fffffcU;
		return;
	}
	if (offset < 4 || !(addr & CONFIG_ENABLE) || ((addr >> 16) & 0xff) != 0)
		return;
	pci_bus_config_write(pci, (addr >> 8) & 0xff, (addr & 0xfc) + (offset - 4), size, value);
}

/* ECAM: bus 0 only, offset = devfn << 12 | register. */
static uint64_t pci_ecam_read(void *dev, uint64_t offset, unsigned int size)
{
	if (size > 4)
		return ~0ULL;
	return pci_bus_config_read(dev, (offset >> 12) & 0xff, offset & 0xfff, size);
}

static void pci_ecam_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	pci_bus_config_write(dev, (offset >> 12) & 0xff, offset & 0xfff, size, value);
}

const struct bus_device_ops pci_port_ops = { pci_port_read, pci_port_write };
const struct bus_device_ops pci_ecam_ops = { pci_ecam_read, pci_ecam_write };
