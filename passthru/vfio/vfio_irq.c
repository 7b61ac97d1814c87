#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "passthru/vfio/vfio_irq.h"

static int vfio_irq_set(const struct vfio_device *device, uint32_t flags, unsigned int index, unsigned int count,
			const int *fds)
{
	size_t size = sizeof(struct vfio_irq_set) + count * sizeof(int);
	struct vfio_irq_set *set = calloc(1, size);
	int ret;

	if (!set)
		return -ENOMEM;
	set->argsz = size;
	set->flags = flags;
	set->index = index;
	set->count = count;
	if (count)
		memcpy(set->data, fds, count * sizeof(int));
	ret = ioctl(device->fd, VFIO_DEVICE_SET_IRQS, set) < 0 ? -errno : 0;
	free(set);
	return ret;
}

int vfio_irq_set_triggers(const struct vfio_device *device, unsigned int index, unsigned int count,
			  const int *fds)
{
	return vfio_irq_set(device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index, count, fds);
}

int vfio_irq_disable(const struct vfio_device *device, unsigned int index)
{
	return vfio_irq_set(device, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, NULL);
}

int vfio_irq_set_unmask(const struct vfio_device *device, int fd)
{
	return vfio_irq_set(device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX,
			    1, &fd);
}

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
	close(vector->eventfd);
	vector->eventfd = -1;
	vector->live = false;
}
