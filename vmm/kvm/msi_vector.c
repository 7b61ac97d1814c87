#include <errno.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/kvm/msi_vector.h"

int msi_vector_init(struct msi_vector *vector, struct irq_routing *routing)
{
	vector->live = false;
	vector->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vector->eventfd < 0)
		return -errno;
	return irq_routing_add_msi(routing, &vector->gsi);
}

int msi_vector_update(struct msi_vector *vector, struct irq_routing *routing, uint64_t address, uint32_t data,
		      bool live)
{
	int ret = 0;

	if (live)
		ret = irq_routing_set_msi(routing, vector->gsi, address, data);
	if (ret == 0 && live != vector->live)
		ret = live ? kvm_irqfd_assign(routing->vm_fd, vector->eventfd, vector->gsi, -1)
			   : kvm_irqfd_deassign(routing->vm_fd, vector->eventfd, vector->gsi);
	if (ret == 0)
		vector->live = live;
	return ret;
}

void msi_vector_destroy(struct msi_vector *vector, struct irq_routing *routing)
{
	if (vector->eventfd < 0)
		return;
	if (vector->live)
		kvm_irqfd_deassign(routing->vm_fd, vector->eventfd, vector->gsi);
	irq_routing_remove_msi(routing, vector->gsi);
	close(vector->eventfd);
	vector->eventfd = -1;
	vector->live = false;
}
