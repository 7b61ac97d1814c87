/*
 * KVM's GSI routing table as sheer keeps it: the in-kernel PIC and IO-APIC
 * pins KVM routes by default, plus one MSI route per passed-through vector.
 * KVM_SET_GSI_ROUTING replaces the whole table, so every change rewrites it
 * from here. Interrupts from devices reach these GSIs through irqfds, never
 * through sheer.
 */
#ifndef SHEER_VMM_KVM_IRQ_ROUTING_H
#define SHEER_VMM_KVM_IRQ_ROUTING_H

#include <linux/kvm.h>
#include <stdint.h>

#include "vmm/machine/resources.h"

#define IRQ_ROUTING_MAX 1024
#define IRQ_ROUTING_GSI_LIMIT (24 + IRQ_ROUTING_MAX)	/* the IO-APIC pins, then one GSI per MSI route */

struct irq_routing {
	int vm_fd;
	struct resources *res;	/* hands out the GSIs */
	unsigned int n_msi;
	struct kvm_irq_routing_entry msi[IRQ_ROUTING_MAX];
};

void irq_routing_init(struct irq_routing *routing, int vm_fd, struct resources *res);
/* A new GSI for an MSI route (not yet written to KVM); -ENOSPC when the table is full. */
int irq_routing_add_msi(struct irq_routing *routing, uint32_t *gsi);
/* Drop gsi's MSI route (its vector is gone) and give the GSI back. */
void irq_routing_remove_msi(struct irq_routing *routing, uint32_t gsi);
/* Point gsi at an MSI address/data pair and tell KVM. */
int irq_routing_set_msi(struct irq_routing *routing, uint32_t gsi, uint64_t address, uint32_t data);

/* Signals on fd raise gsi inside KVM; resample_fd >= 0: level-triggered, signalled at EOI. */
int kvm_irqfd_assign(int vm_fd, int fd, uint32_t gsi, int resample_fd);
int kvm_irqfd_deassign(int vm_fd, int fd, uint32_t gsi);

#endif
