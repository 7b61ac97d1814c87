#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "passthru/vfio/vfio.h"
#include "vmm/lib/parse.h"

#define VFIO_CONTAINER_DEV "/dev/vfio/vfio"

static int open_device_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vfio_container_open(struct vfio_container *container)
{
	int fd = open_device_node(VFIO_CONTAINER_DEV), ret = 0;

	container->fd = -1;
	container->iommu_set = false;
	if (fd < 0)
		return fd;
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		ret = -EPROTO;
	else if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0 &&
		 ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0)
		ret = -EOPNOTSUPP;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	container->fd = fd;
	return 0;
}

void vfio_container_close(struct vfio_container *container)
{
	if (container->fd >= 0)
		close(container->fd);
	container->fd = -1;
}

/* Type1v2 when the kernel has it: its unmap semantics are the ones hot-unplug needs. */
static int container_set_iommu(struct vfio_container *container)
{
	unsigned long model = ioctl(container->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? VFIO_TYPE1v2_IOMMU
											: VFIO_TYPE1_IOMMU;

	if (container->iommu_set)
		return 0;
	if (ioctl(container->fd, VFIO_SET_IOMMU, model) < 0)
		return -errno;
	container->iommu_set = true;
	return 0;
}

static int group_check_viable(int fd)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) < 0)
		return -errno;
	/* Not viable: some member of the group is still bound to a host driver. */
	return status.flags & VFIO_GROUP_FLAGS_VIABLE ? 0 : -EBUSY;
}

int vfio_group_attach(struct vfio_container *container, int number, struct vfio_group *group)
{
	char path[32];
	int fd;

	group->fd = -1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", number);
	fd = open_device_node(path);
	if (fd < 0)
		return fd;
	return vfio_group_attach_fd(container, number, fd, group);
}

int vfio_group_attach_fd(struct vfio_container *container, int number, int fd, struct vfio_group *group)
{
	int ret;

	group->fd = -1;
	group->number = number;
	ret = group_check_viable(fd);
	if (ret == 0 && ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container->fd) < 0)
		ret = -errno;
	if (ret == 0)
		ret = container_set_iommu(container);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	group->fd = fd;
	return 0;
}

void vfio_group_detach(struct vfio_group *group)
{
	if (group->fd < 0)
		return;
	ioctl(group->fd, VFIO_GROUP_UNSET_CONTAINER);
	close(group->fd);
	group->fd = -1;
}

int vfio_device_open(struct vfio_group *group, const char *bdf, struct vfio_device *device)
{
	int fd, ret;

	memset(device, 0, sizeof(*device));
	device->fd = -1;
	ret = copy_string(device->bdf, sizeof(device->bdf), bdf);
	if (ret < 0)
		return ret;
	fd = ioctl(group->fd, VFIO_GROUP_GET_DEVICE_FD, device->bdf);
	if (fd < 0)
		return -errno;
	device->info.argsz = sizeof(device->info);
	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &device->info) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	device->fd = fd;
	return 0;
}

void vfio_device_close(struct vfio_device *device)
{
	if (device->fd >= 0)
		close(device->fd);
	device->fd = -1;
}

int vfio_device_reset(struct vfio_device *device)
{
	if (!(device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		return -EOPNOTSUPP;
	return ioctl(device->fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}

int vfio_device_region(const struct vfio_device *device, unsigned int index, struct vfio_region_info *info)
{
	if (index >= device->info.num_regions)
		return -ERANGE;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(device->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0 ? -errno : 0;
}

int vfio_device_irq(const struct vfio_device *device, unsigned int index, struct vfio_irq_info *info)
{
	if (index >= device->info.num_irqs)
		return -ERANGE;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(device->fd, VFIO_DEVICE_GET_IRQ_INFO, info) < 0 ? -errno : 0;
}

int vfio_dma_map(struct vfio_container *container, uint64_t iova, void *host_va, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)host_va,
		.iova = iova,
		.size = size,
	};

	return ioctl(container->fd, VFIO_IOMMU_MAP_DMA, &map) < 0 ? -errno : 0;
}

int vfio_dma_unmap(struct vfio_container *container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = iova, .size = size };

	return ioctl(container->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0 ? -errno : 0;
}

/* VFIO_DEVICE_SET_IRQS for the three PCI interrupt kinds. */
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
