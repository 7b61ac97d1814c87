/*
 * The VFIO objects a logical server holds for its assigned devices: one
 * type1 container (the guest's DMA address space), the IOMMU groups attached
 * to it, and a file descriptor per device for its regions, interrupts and
 * reset. The device model inside the VM is built on these.
 */
#ifndef SHEER_PASSTHRU_VFIO_VFIO_H
#define SHEER_PASSTHRU_VFIO_VFIO_H

#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>

struct vfio_container {
	int fd;
	bool iommu_set;		/* the IOMMU model is chosen once the first group is attached */
};

struct vfio_group {
	int fd;
	int number;
};

struct vfio_device {
	int fd;
	char bdf[16];
	struct vfio_device_info info;
};

int vfio_container_open(struct vfio_container *container);
void vfio_container_close(struct vfio_container *container);

/* Open /dev/vfio/NUMBER, check it is viable, put it into the container. */
int vfio_group_attach(struct vfio_container *container, int number, struct vfio_group *group);
/* The same for a group another process opened (hot-plug: the VMM opens no files); fd is taken either way. */
int vfio_group_attach_fd(struct vfio_container *container, int number, int fd, struct vfio_group *group);
void vfio_group_detach(struct vfio_group *group);

int vfio_device_open(struct vfio_group *group, const char *bdf, struct vfio_device *device);
void vfio_device_close(struct vfio_device *device);
/* -EOPNOTSUPP when the device has no reset method: callers warn and go on. */
int vfio_device_reset(struct vfio_device *device);
/* index: VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_CONFIG_REGION_INDEX. */
int vfio_device_region(const struct vfio_device *device, unsigned int index, struct vfio_region_info *info);
/* index: VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX. */
int vfio_device_irq(const struct vfio_device *device, unsigned int index, struct vfio_irq_info *info);

/* Let the devices DMA to [iova, iova + size) of the guest, backed by host memory at host_va. */
int vfio_dma_map(struct vfio_container *container, uint64_t iova, void *host_va, uint64_t size);
int vfio_dma_unmap(struct vfio_container *container, uint64_t iova, uint64_t size);

/* index: VFIO_PCI_INTX/MSI/MSIX_IRQ_INDEX; fds[0..count) signalled by vectors 0..count. */
int vfio_irq_set_triggers(const struct vfio_device *device, unsigned int index, unsigned int count,
			  const int *fds);
int vfio_irq_disable(const struct vfio_device *device, unsigned int index);
/* INTx: a signal on fd unmasks the line VFIO masked when it fired. */
int vfio_irq_set_unmask(const struct vfio_device *device, int fd);

#endif
