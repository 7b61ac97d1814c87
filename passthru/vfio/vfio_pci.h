/*
 * A PCI function handed to the guest through VFIO: its virtual config space
 * on the guest's PCI bus, its BARs mapped straight into the guest (only the
 * MSI-X table and PBA trapped), and its interrupts (INTx, MSI, MSI-X) wired
 * to KVM through eventfds.
 */
#ifndef SHEER_PASSTHRU_VFIO_VFIO_PCI_H
#define SHEER_PASSTHRU_VFIO_VFIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "passthru/vfio/vfio.h"
#include "vmm/kvm/irq_routing.h"
#include "vmm/lib/report.h"

struct bus;
struct pci_bus;
struct vfio_pci_device;

/* What the VM lends its passed-through devices. */
struct vfio_pci_machine {
	int vm_fd;
	struct pci_bus *pci;
	struct bus *pio;
	struct bus *mmio;
	uint64_t ram_end;		/* end of guest RAM above 4 GiB: BARs may go past it */
	struct irq_routing *routing;	/* the VM's one GSI routing table */
	struct resources *res;		/* BAR windows, KVM slots, GSIs: the machine's allocator */
	const struct report *report;	/* problems that do not stop the guest */
	/* The guest turned a device's bus mastering on or off: its driver took the device up or let it go. */
	void (*master_changed)(void *owner);
	void *owner;
};

void vfio_pci_machine_init(struct vfio_pci_machine *machine, int vm_fd, struct pci_bus *pci, struct bus *pio,
			   struct bus *mmio, struct resources *res, struct irq_routing *routing,
			   const struct report *report, uint64_t ram_end);

/*
 * Open bdf from its (attached) group, reset it and plug it into guest slot
 * `slot`. A device that describes itself impossibly (an MSI-X table outside
 * its BAR) is refused, why saying how.
 */
int vfio_pci_create(struct vfio_pci_machine *machine, struct vfio_group *group, const char *bdf,
		    unsigned int slot, struct vfio_pci_device **out, char *why, size_t why_len);
/* Whether the guest last wrote bus mastering on. */
bool vfio_pci_bus_master(const struct vfio_pci_device *device);
/* quiet: bus mastering off (no DMA) while the machine is paused; else the guest's own setting. */
int vfio_pci_quiesce(struct vfio_pci_device *device, bool quiet);
/* Interrupts off, BARs unmapped, device reset and closed. */
void vfio_pci_destroy(struct vfio_pci_device *device);
const char *vfio_pci_bdf(const struct vfio_pci_device *device);
unsigned int vfio_pci_slot(const struct vfio_pci_device *device);

#endif
