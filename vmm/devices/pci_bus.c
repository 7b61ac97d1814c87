#include <errno.h>
#include <string.h>

#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pci_host_bridge.h"

#define CONFIG_ENABLE		0x80000000U

void pci_bus_init(struct pci_bus *pci)
{
	memset(pci, 0, sizeof(*pci));
	pci_host_bridge_init(&pci->host_bridge);
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

void pci_bus_remove(struct pci_bus *pci, unsigned int slot, struct pci_device *fn)
{
	if (slot < PCI_SLOTS && pci->slots[slot] == fn)
		pci->slots[slot] = NULL;
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
	if (fn->written)
		fn->written(fn->owner, reg, size);
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

void pci_bus_reset(struct pci_bus *pci)
{
	pci->config_address = 0;
	pci_host_bridge_init(&pci->host_bridge);
}

/* The latched address and the config space of every function sheer emulates (not passed-through ones). */
void pci_bus_save(const struct pci_bus *pci, struct state_writer *w)
{
	state_put_u32(w, pci->config_address);
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++) {
		const struct pci_device *fn = pci->slots[slot];

		if (!fn || fn->ops)
			continue;
		state_put_u8(w, slot);
		state_put_bytes(w, fn->config, PCI_CONFIG_SIZE);
	}
}

/* Only the bits the guest may write are taken from the payload; identity registers stay sheer's own. */
static void pci_device_load(struct pci_device *fn, const uint8_t *config)
{
	for (unsigned int i = 0; i < PCI_CONFIG_SIZE; i++)
		fn->config[i] = (fn->config[i] & ~fn->writable[i]) | (config[i] & fn->writable[i]);
}

int pci_bus_restore(struct pci_bus *pci, struct state_reader *r)
{
	const uint8_t *config[PCI_SLOTS] = { NULL };
	uint32_t address = state_get_u32(r);

	while (!r->error && r->pos < r->len) {
		unsigned int slot = state_get_u8(r);

		if (slot >= PCI_SLOTS || config[slot] || !pci->slots[slot] || pci->slots[slot]->ops) {
			state_reader_reject(r);
			break;
		}
		config[slot] = state_get_ptr(r, PCI_CONFIG_SIZE);
	}
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++)
		if (pci->slots[slot] && !pci->slots[slot]->ops && !config[slot])
			state_reader_reject(r);	/* save() writes every emulated function */
	if (address & ~0x80fffffcU)
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	pci->config_address = address;
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++)
		if (config[slot])
			pci_device_load(pci->slots[slot], config[slot]);
	return 0;
}

static void pci_bus_device_init(void *dev, const struct machine *machine, unsigned int irq)
{
	(void)machine;
	(void)irq;
	pci_bus_init(dev);
}

static void pci_bus_device_reset(void *dev)
{
	pci_bus_reset(dev);
}

static void pci_bus_device_save(const void *dev, struct state_writer *w)
{
	pci_bus_save(dev, w);
}

static int pci_bus_device_restore(void *dev, struct state_reader *r, uint16_t version)
{
	(void)version;
	return pci_bus_restore(dev, r);
}

const struct device_desc pci_bus_device = {
	.name = "pci",
	.io = &pci_port_ops,
	.init = pci_bus_device_init,
	.reset = pci_bus_device_reset,
	.state_type = STATE_TYPE('P', 'C', 'I', '0'),
	.state_version = 1,
	.save = pci_bus_device_save,
	.restore = pci_bus_device_restore,
};
