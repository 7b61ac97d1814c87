/*
 * VFIO_DEVICE_SET_IRQS for the three PCI interrupt kinds, and one guest
 * interrupt vector: an eventfd the device signals, wired by a KVM irqfd to an
 * MSI route, so that interrupts go from the device to the guest without
 * passing through sheer.
 */
#ifndef SHEER_PASSTHRU_VFIO_VFIO_IRQ_H
#define SHEER_PASSTHRU_VFIO_VFIO_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "passthru/vfio/vfio.h"
#include "vmm/kvm/irq_routing.h"

/* index: VFIO_PCI_INTX/MSI/MSIX_IRQ_INDEX; fds[0..count) signalled by vectors 0..count. */
int vfio_irq_set_triggers(const struct vfio_device *device, unsigned int index, unsigned int count,
			  const int *fds);
int vfio_irq_disable(const struct vfio_device *device, unsigned int index);
/* INTx: a signal on fd unmasks the line VFIO masked when it fired. */
int vfio_irq_set_unmask(const struct vfio_device *device, int fd);

struct msi_vector {
	int eventfd;
	uint32_t gsi;
	bool live;		/* the irqfd is attached: the guest has it enabled and unmasked */
};

int msi_vector_init(struct msi_vector *vector, struct irq_routing *routing);
/* Route the vector to address/data and attach it when live, detach it when not (signals wait in the eventfd). */
int msi_vector_update(struct msi_vector *vector, struct irq_routing *routing, uint64_t address, uint32_t data,
		      bool live);
void msi_vector_destroy(struct msi_vector *vector, struct irq_routing *routing);

#endif
