#include <errno.h>

#include "vmm/devices/pci_bus.h"
#include "vmm/devices/pci_hotplug.h"

#define PCI_HOTPLUG_STATE_TYPE STATE_TYPE('P', 'C', 'H', 'P')
#define SLOT_BITS (~1U)	/* slot 0 is the host bridge: never hot-plugged */

static void pci_hotplug_reset(void *dev)
{
	struct pci_hotplug *hp = dev;

	hp->s = (struct pci_hotplug_state){ 0 };
}

static void pci_hotplug_init(void *dev, const struct machine *machine, unsigned int irq)
{
	(void)machine;
	(void)irq;
	pci_hotplug_reset(dev);
}

static void pci_hotplug_raise(struct pci_hotplug *hp)
{
	if (hp->raise)
		hp->raise(hp->ctx);
}

void pci_hotplug_plugged(struct pci_hotplug *hp, unsigned int slot)
{
	hp->s.ejected &= ~(1U << slot);
	hp->s.asked &= ~(1U << slot);
	hp->s.up |= (1U << slot) & SLOT_BITS;
	pci_hotplug_raise(hp);
}

void pci_hotplug_request_eject(struct pci_hotplug *hp, unsigned int slot)
{
	hp->s.down |= (1U << slot) & SLOT_BITS;
	hp->s.asked |= (1U << slot) & SLOT_BITS;
	hp->s.ejected &= ~(1U << slot);
	pci_hotplug_raise(hp);
}

bool pci_hotplug_take_ejected(struct pci_hotplug *hp, unsigned int slot)
{
	bool ejected = hp->s.ejected & (1U << slot);

	hp->s.ejected &= ~(1U << slot);
	if (ejected)
		hp->s.asked &= ~(1U << slot);
	return ejected;
}

void pci_hotplug_cancel_eject(struct pci_hotplug *hp, unsigned int slot)
{
	hp->s.down &= ~(1U << slot);
	hp->s.asked &= ~(1U << slot);
	hp->s.ejected &= ~(1U << slot);
}

static uint64_t pci_hotplug_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pci_hotplug *hp = dev;
	uint32_t value;

	if (size != 4 || (offset != PCI_HOTPLUG_UP && offset != PCI_HOTPLUG_DOWN))
		return 0;
	if (offset == PCI_HOTPLUG_UP) {
		value = hp->s.up;
		hp->s.up = 0;
	} else {
		value = hp->s.down;
		hp->s.down = 0;
	}
	return value;
}

static void pci_hotplug_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct pci_hotplug *hp = dev;

	/* A release counts only for a slot sheer asked back: an eject nobody asked for takes nothing away. */
	if (size == 4 && offset == PCI_HOTPLUG_EJECT)
		hp->s.ejected |= (uint32_t)value & hp->s.asked;
}

static const struct bus_device_ops pci_hotplug_ops = { pci_hotplug_read, pci_hotplug_write };

static void pci_hotplug_save(const void *dev, struct state_writer *w)
{
	const struct pci_hotplug *hp = dev;

	state_put_u32(w, hp->s.up);
	state_put_u32(w, hp->s.down);
	state_put_u32(w, hp->s.ejected);
	state_put_u32(w, hp->s.asked);
}

static int pci_hotplug_restore(void *dev, struct state_reader *r, uint16_t version)
{
	struct pci_hotplug *hp = dev;
	struct pci_hotplug_state s;

	(void)version;
	s.up = state_get_u32(r);
	s.down = state_get_u32(r);
	s.ejected = state_get_u32(r);
	s.asked = state_get_u32(r);
	if ((s.up | s.down | s.ejected | s.asked) & ~SLOT_BITS || (s.ejected & ~s.asked))
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	hp->s = s;
	return 0;
}

const struct device_desc pci_hotplug_device = {
	.name = "pci-hotplug",
	.io = &pci_hotplug_ops,
	.init = pci_hotplug_init,
	.reset = pci_hotplug_reset,
	.state_type = PCI_HOTPLUG_STATE_TYPE,
	.state_version = 1,
	.save = pci_hotplug_save,
	.restore = pci_hotplug_restore,
};
