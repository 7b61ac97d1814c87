/*
 * One guest interrupt vector of a device that signals from outside sheer (a
 * passed-through function through VFIO, a vhost worker): an eventfd the
 * device signals, wired by a KVM irqfd to an MSI route, so that interrupts go
 * from the device to the guest without passing through sheer.
 */
#ifndef SHEER_VMM_KVM_MSI_VECTOR_H
#define SHEER_VMM_KVM_MSI_VECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/kvm/irq_routing.h"

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
