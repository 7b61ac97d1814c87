#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "passthru/vfio/vfio_pci_device.h"
#include "vmm/machine/layout.h"

static uint32_t vfio_pci_msi_control(const struct vfio_pci_device *device)
{
	return config_space_get(&device->config, device->config.msi_cap + PCI_MSI_FLAGS, 2);
}

static uint32_t vfio_pci_msix_control(const struct vfio_pci_device *device)
{
	return config_space_get(&device->config, device->config.msix_cap + PCI_MSIX_FLAGS, 2);
}

static enum vfio_pci_irq_mode vfio_pci_wanted_mode(const struct vfio_pci_device *device)
{
	if (device->has_msix && (vfio_pci_msix_control(device) & PCI_MSIX_FLAGS_ENABLE))
		return IRQ_MODE_MSIX;
	if (device->config.msi_cap && (vfio_pci_msi_control(device) & PCI_MSI_FLAGS_ENABLE))
		return IRQ_MODE_MSI;
	return device->has_intx ? IRQ_MODE_INTX : IRQ_MODE_NONE;
}

static const unsigned int vfio_index_of_mode[] = {
	[IRQ_MODE_INTX] = VFIO_PCI_INTX_IRQ_INDEX,
	[IRQ_MODE_MSI] = VFIO_PCI_MSI_IRQ_INDEX,
	[IRQ_MODE_MSIX] = VFIO_PCI_MSIX_IRQ_INDEX,
};

static int vfio_pci_enable_mode(struct vfio_pci_device *device, enum vfio_pci_irq_mode mode)
{
	int ret = 0, *fds;

	switch (mode) {
	case IRQ_MODE_NONE:
		break;
	case IRQ_MODE_INTX:
		ret = vfio_irq_set_triggers(&device->vfio, VFIO_PCI_INTX_IRQ_INDEX, 1, &device->intx.trigger_fd);
		if (ret == 0)
			ret = vfio_irq_set_unmask(&device->vfio, device->intx.unmask_fd);
		break;
	case IRQ_MODE_MSI:
		ret = vfio_irq_set_triggers(&device->vfio, VFIO_PCI_MSI_IRQ_INDEX, 1, &device->msi.eventfd);
		break;
	case IRQ_MODE_MSIX:
		fds = calloc(device->msix.table.size, sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		for (unsigned int i = 0; i < device->msix.table.size; i++)
			fds[i] = device->msix.vectors[i].eventfd;
		ret = vfio_irq_set_triggers(&device->vfio, VFIO_PCI_MSIX_IRQ_INDEX, device->msix.table.size, fds);
		free(fds);
		break;
	}
	return ret;
}

/* VFIO takes one interrupt kind at a time: the old one goes before the new one comes. */
static int vfio_pci_switch_mode(struct vfio_pci_device *device, enum vfio_pci_irq_mode mode)
{
	int ret = 0;

	if (device->irq_mode != IRQ_MODE_NONE)
		ret = vfio_irq_disable(&device->vfio, vfio_index_of_mode[device->irq_mode]);
	device->irq_mode = IRQ_MODE_NONE;
	if (ret == 0)
		ret = vfio_pci_enable_mode(device, mode);
	if (ret == 0)
		device->irq_mode = mode;
	return ret;
}

void vfio_pci_msix_vector_update(struct vfio_pci_device *device, unsigned int vector)
{
	const struct msix_entry *entry = &device->msix.table.entries[vector];
	bool live = device->irq_mode == IRQ_MODE_MSIX && !(vfio_pci_msix_control(device) & PCI_MSIX_FLAGS_MASKALL) &&
		    !msix_entry_masked(entry);
	int ret = msi_vector_update(&device->msix.vectors[vector], device->machine->routing,
				    msix_entry_address(entry), entry->data, live);

	if (ret < 0)
		vfio_pci_warn(device, "routing an MSI-X vector", ret);
}

static void vfio_pci_msi_update(struct vfio_pci_device *device)
{
	unsigned int cap = device->config.msi_cap;
	bool is_64bit = vfio_pci_msi_control(device) & PCI_MSI_FLAGS_64BIT;
	uint64_t address = config_space_get(&device->config, cap + PCI_MSI_ADDRESS_LO, 4);
	uint32_t data = config_space_get(&device->config, cap + (is_64bit ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2);
	int ret;

	if (is_64bit)
		address |= (uint64_t)config_space_get(&device->config, cap + PCI_MSI_ADDRESS_HI, 4) << 32;
	ret = msi_vector_update(&device->msi, device->machine->routing, address, data,
				device->irq_mode == IRQ_MODE_MSI);
	if (ret < 0)
		vfio_pci_warn(device, "routing MSI", ret);
}

void vfio_pci_irq_update(struct vfio_pci_device *device)
{
	enum vfio_pci_irq_mode mode = vfio_pci_wanted_mode(device);
	int ret;

	if (mode != device->irq_mode && (ret = vfio_pci_switch_mode(device, mode)) < 0)
		vfio_pci_warn(device, "switching interrupt mode", ret);
	if (device->config.msi_cap)
		vfio_pci_msi_update(device);
	for (unsigned int i = 0; device->has_msix && i < device->msix.table.size; i++)
		vfio_pci_msix_vector_update(device, i);
}

/* INTx is level-triggered: KVM holds the line until the guest's EOI, then VFIO unmasks the device. */
static int vfio_pci_intx_init(struct vfio_pci_device *device, unsigned int slot)
{
	uint8_t pin = config_space_get(&device->config, PCI_INTERRUPT_PIN, 1);
	struct vfio_irq_info info;
	int ret;

	device->intx.trigger_fd = device->intx.unmask_fd = -1;
	if (pin < 1 || pin > 4 || vfio_device_irq(&device->vfio, VFIO_PCI_INTX_IRQ_INDEX, &info) < 0 || !info.count)
		return 0;
	device->intx.gsi = PCI_INTX_GSI(slot, pin - 1);
	device->config.shadow[PCI_INTERRUPT_LINE] = device->intx.gsi;
	device->intx.trigger_fd = eventfd(0, EFD_CLOEXEC);
	device->intx.unmask_fd = eventfd(0, EFD_CLOEXEC);
	if (device->intx.trigger_fd < 0 || device->intx.unmask_fd < 0)
		return -errno;
	ret = kvm_irqfd_assign(device->machine->vm_fd, device->intx.trigger_fd, device->intx.gsi,
			       device->intx.unmask_fd);
	if (ret == 0)
		device->has_intx = true;
	return ret;
}

static int vfio_pci_msix_vectors_init(struct vfio_pci_device *device)
{
	device->msix.vectors = calloc(device->msix.table.size, sizeof(device->msix.vectors[0]));
	if (!device->msix.vectors)
		return -ENOMEM;
	for (unsigned int i = 0; i < device->msix.table.size; i++)
		device->msix.vectors[i].eventfd = -1;
	for (unsigned int i = 0; i < device->msix.table.size; i++) {
		int ret = msi_vector_init(&device->msix.vectors[i], device->machine->routing);

		if (ret < 0)
			return ret;
	}
	return 0;
}

int vfio_pci_irq_init(struct vfio_pci_device *device, unsigned int slot)
{
	int ret = vfio_pci_intx_init(device, slot);

	device->msi.eventfd = -1;
	if (ret == 0 && device->config.msi_cap)
		ret = msi_vector_init(&device->msi, device->machine->routing);
	if (ret == 0 && device->has_msix)
		ret = vfio_pci_msix_vectors_init(device);
	if (ret == 0)
		ret = vfio_pci_switch_mode(device, vfio_pci_wanted_mode(device));
	return ret;
}

void vfio_pci_irq_destroy(struct vfio_pci_device *device)
{
	struct irq_routing *routing = device->machine->routing;

	if (device->irq_mode != IRQ_MODE_NONE)
		vfio_irq_disable(&device->vfio, vfio_index_of_mode[device->irq_mode]);
	device->irq_mode = IRQ_MODE_NONE;
	if (device->has_intx)
		kvm_irqfd_deassign(device->machine->vm_fd, device->intx.trigger_fd, device->intx.gsi);
	if (device->intx.trigger_fd >= 0)
		close(device->intx.trigger_fd);
	if (device->intx.unmask_fd >= 0)
		close(device->intx.unmask_fd);
	device->intx.trigger_fd = device->intx.unmask_fd = -1;
	device->has_intx = false;
	msi_vector_destroy(&device->msi, routing);
	for (unsigned int i = 0; device->msix.vectors && i < device->msix.table.size; i++)
		msi_vector_destroy(&device->msix.vectors[i], routing);
	free(device->msix.vectors);
	device->msix.vectors = NULL;
}
