#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/kvm/irq_routing.h"
#include "vmm/machine/layout.h"

#define PIC_PINS 16

void irq_routing_init(struct irq_routing *routing, int vm_fd, struct resources *res)
{
	memset(routing, 0, sizeof(*routing));
	routing->vm_fd = vm_fd;
	routing->res = res;
}

static struct kvm_irq_routing_entry *irq_routing_find(struct irq_routing *routing, uint32_t gsi)
{
	for (unsigned int i = 0; i < routing->n_msi; i++)
		if (routing->msi[i].gsi == gsi)
			return &routing->msi[i];
	return NULL;
}

int irq_routing_add_msi(struct irq_routing *routing, uint32_t *gsi)
{
	struct kvm_irq_routing_entry *entry;
	int ret;

	if (routing->n_msi == IRQ_ROUTING_MAX)
		return -ENOSPC;
	ret = resources_alloc_gsi(routing->res, gsi);
	if (ret < 0)
		return ret;
	entry = &routing->msi[routing->n_msi++];
	memset(entry, 0, sizeof(*entry));
	entry->gsi = *gsi;
	entry->type = KVM_IRQ_ROUTING_MSI;
	return 0;
}

static void irqchip_entry(struct kvm_irq_routing_entry *entry, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	memset(entry, 0, sizeof(*entry));
	entry->gsi = gsi;
	entry->type = KVM_IRQ_ROUTING_IRQCHIP;
	entry->u.irqchip.irqchip = chip;
	entry->u.irqchip.pin = pin;
}

/* KVM's default table (PIC pins 0-15 and IO-APIC pins 0-23 on the same GSIs) and our MSI routes. */
static int irq_routing_commit(struct irq_routing *routing)
{
	unsigned int max = PIC_PINS + IOAPIC_PINS + routing->n_msi, n = 0;
	struct kvm_irq_routing *table = calloc(1, sizeof(*table) + max * sizeof(table->entries[0]));
	int ret;

	if (!table)
		return -ENOMEM;
	for (uint32_t gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi < PIC_PINS)
			irqchip_entry(&table->entries[n++], gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				      gsi % 8);
		irqchip_entry(&table->entries[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
	}
	memcpy(&table->entries[n], routing->msi, routing->n_msi * sizeof(routing->msi[0]));
	table->nr = n + routing->n_msi;
	ret = ioctl(routing->vm_fd, KVM_SET_GSI_ROUTING, table) < 0 ? -errno : 0;
	free(table);
	return ret;
}

void irq_routing_remove_msi(struct irq_routing *routing, uint32_t gsi)
{
	struct kvm_irq_routing_entry *entry = irq_routing_find(routing, gsi);

	if (!entry)
		return;
	*entry = routing->msi[--routing->n_msi];
	resources_free_gsi(routing->res, gsi);
	irq_routing_commit(routing);
}

int irq_routing_set_msi(struct irq_routing *routing, uint32_t gsi, uint64_t address, uint32_t data)
{
	struct kvm_irq_routing_entry *entry = irq_routing_find(routing, gsi);

	if (!entry)
		return -ENOENT;
	if (entry->u.msi.address_lo == (uint32_t)address && entry->u.msi.address_hi == address >> 32 &&
	    entry->u.msi.data == data)
		return 0;
	entry->u.msi.address_lo = (uint32_t)address;
	entry->u.msi.address_hi = address >> 32;
	entry->u.msi.data = data;
	return irq_routing_commit(routing);
}

int kvm_irqfd_assign(int vm_fd, int fd, uint32_t gsi, int resample_fd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	if (resample_fd >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = resample_fd;
	}
	return ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

int kvm_irqfd_deassign(int vm_fd, int fd, uint32_t gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	return ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}
