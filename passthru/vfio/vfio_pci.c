#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthru/vfio/vfio_pci_device.h"
#include "vmm/machine/layout.h"

void vfio_pci_machine_init(struct vfio_pci_machine *machine, int vm_fd, struct pci_bus *pci, struct bus *pio,
			   struct bus *mmio, struct resources *res, struct irq_routing *routing,
			   const struct report *report, uint64_t ram_end)
{
	memset(machine, 0, sizeof(*machine));
	machine->vm_fd = vm_fd;
	machine->pci = pci;
	machine->pio = pio;
	machine->mmio = mmio;
	machine->ram_end = ram_end;
	machine->res = res;
	machine->report = report;
	machine->routing = routing;
}

void vfio_pci_warn(const struct vfio_pci_device *device, const char *what, int ret)
{
	report_warn(device->machine->report, "device %s: %s: %s", device->vfio.bdf, what, strerror(-ret));
}

/* ---- configuration space ---- */

static bool overlaps(unsigned int reg, unsigned int size, unsigned int start, unsigned int len)
{
	return reg < start + len && start < reg + size;
}

static uint32_t vfio_pci_config_read(void *owner, unsigned int reg, unsigned int size)
{
	struct vfio_pci_device *device = owner;
	unsigned int from_device = config_space_device_bytes(&device->config, reg, size);
	uint32_t value = ~0u;

	if (!config_space_access_ok(reg, size))
		return ~0u;
	if (from_device && (reg + size > device->config_size ||
			    pread(device->vfio.fd, &value, size, device->config_offset + reg) != (ssize_t)size))
		value = ~0u;
	return config_space_read(&device->config, reg, size, value);
}

static void vfio_pci_config_forward(struct vfio_pci_device *device, unsigned int reg, unsigned int size,
				    uint32_t value, unsigned int from_device)
{
	for (unsigned int i = 0; i < size; i++) {
		uint8_t byte = value >> (8 * i);

		if ((from_device & (1u << i)) && reg + i < device->config_size)
			(void)!pwrite(device->vfio.fd, &byte, 1, device->config_offset + reg + i);
	}
}

static void vfio_pci_note_command(struct vfio_pci_device *device, unsigned int reg, unsigned int size,
				  uint32_t value)
{
	for (unsigned int i = 0; i < size; i++) {
		unsigned int byte = reg + i - PCI_COMMAND;

		if (reg + i >= PCI_COMMAND && byte < 2)
			device->command = (device->command & ~(0xffu << (8 * byte))) |
					  ((value >> (8 * i)) & 0xff) << (8 * byte);
	}
}

static void vfio_pci_config_write(void *owner, unsigned int reg, unsigned int size, uint32_t value)
{
	struct vfio_pci_device *device = owner;
	unsigned int from_device = config_space_device_bytes(&device->config, reg, size);
	const struct config_space *cs = &device->config;
	uint16_t command = device->command;

	if (!config_space_access_ok(reg, size))
		return;
	config_space_write(&device->config, reg, size, value);
	vfio_pci_config_forward(device, reg, size, value, from_device);
	if (overlaps(reg, size, PCI_COMMAND, 2))
		vfio_pci_note_command(device, reg, size, value);
	if (((command ^ device->command) & PCI_COMMAND_MASTER) && device->machine->master_changed)
		device->machine->master_changed(device->machine->owner);
	if (overlaps(reg, size, PCI_COMMAND, 2) || overlaps(reg, size, PCI_BASE_ADDRESS_0, 4 * CONFIG_BARS))
		vfio_pci_bars_update(device);
	if ((cs->msi_cap && overlaps(reg, size, cs->msi_cap, PCI_MSI_DATA_64 + 2)) ||
	    (cs->msix_cap && overlaps(reg, size, cs->msix_cap, PCI_MSIX_FLAGS + 2)))
		vfio_pci_irq_update(device);
}

bool vfio_pci_bus_master(const struct vfio_pci_device *device)
{
	return device->command & PCI_COMMAND_MASTER;
}

/*
 * While the machine is paused its devices must not write guest memory
 * behind the paused vCPUs' backs: bus mastering goes off in the device, and
 * back to what the guest last wrote when the machine resumes.
 */
int vfio_pci_quiesce(struct vfio_pci_device *device, bool quiet)
{
	uint16_t command = quiet ? device->command & ~PCI_COMMAND_MASTER : device->command;

	if (pwrite(device->vfio.fd, &command, sizeof(command), device->config_offset + PCI_COMMAND) != sizeof(command))
		return -EIO;
	return 0;
}

static const struct pci_device_ops vfio_pci_config_ops = { vfio_pci_config_read, vfio_pci_config_write };

static int vfio_pci_config_init(struct vfio_pci_device *device)
{
	uint64_t bar_sizes[CONFIG_BARS] = { 0 };
	uint8_t raw[CONFIG_SPACE_SIZE] = { 0 };
	struct vfio_region_info info;
	int ret = vfio_device_region(&device->vfio, VFIO_PCI_CONFIG_REGION_INDEX, &info);

	if (ret < 0)
		return ret;
	device->config_offset = info.offset;
	device->config_size = info.size < CONFIG_SPACE_SIZE ? info.size : CONFIG_SPACE_SIZE;
	if (pread(device->vfio.fd, raw, device->config_size, info.offset) != (ssize_t)device->config_size)
		return -EIO;
	for (unsigned int i = 0; i < CONFIG_BARS; i++)
		if (vfio_device_region(&device->vfio, VFIO_PCI_BAR0_REGION_INDEX + i, &info) == 0)
			bar_sizes[i] = info.size;
	return config_space_init(&device->config, raw, device->config_size, bar_sizes);
}

/* Where the MSI-X table and PBA live, from the capability (the guest's copy of the table is ours). */
static int vfio_pci_msix_init(struct vfio_pci_device *device)
{
	unsigned int cap = device->config.msix_cap;
	uint32_t table, pba;
	unsigned int size;

	if (!cap)
		return 0;
	size = (config_space_get(&device->config, cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	table = config_space_get(&device->config, cap + PCI_MSIX_TABLE, 4);
	pba = config_space_get(&device->config, cap + PCI_MSIX_PBA, 4);
	device->msix.bar = table & PCI_MSIX_TABLE_BIR;
	device->msix.table_offset = table & PCI_MSIX_TABLE_OFFSET;
	device->msix.pba_offset = (pba & PCI_MSIX_PBA_BIR) == device->msix.bar ? pba & PCI_MSIX_PBA_OFFSET : 0;
	device->msix.pba_size = (pba & PCI_MSIX_PBA_BIR) == device->msix.bar ? (size + 63) / 64 * 8 : 0;
	if (device->msix.bar >= CONFIG_BARS)
		return -EINVAL;
	device->has_msix = true;
	return msix_table_init(&device->msix.table, size);
}

static void vfio_pci_reset(struct vfio_pci_device *device)
{
	int ret = vfio_device_reset(&device->vfio);

	if (ret == -EOPNOTSUPP)
		report_warn(device->machine->report, "device %s has no reset method; it keeps the state it has",
			    device->vfio.bdf);
	else if (ret < 0)
		vfio_pci_warn(device, "reset", ret);
}

static int vfio_pci_setup(struct vfio_pci_device *device, unsigned int slot, char *why, size_t why_len)
{
	int ret;

	vfio_pci_reset(device);
	ret = vfio_pci_config_init(device);
	if (ret == 0)
		ret = vfio_pci_msix_init(device);
	if (ret == 0)
		ret = vfio_pci_bars_init(device, why, why_len);
	if (ret == 0)
		ret = vfio_pci_irq_init(device, slot);
	if (ret < 0)
		return ret;
	device->function.ops = &vfio_pci_config_ops;
	device->function.owner = device;
	device->slot = slot;
	return pci_bus_add(device->machine->pci, slot, &device->function);
}

int vfio_pci_create(struct vfio_pci_machine *machine, struct vfio_group *group, const char *bdf,
		    unsigned int slot, struct vfio_pci_device **out, char *why, size_t why_len)
{
	struct vfio_pci_device *device = calloc(1, sizeof(*device));
	int ret;

	*out = NULL;
	if (!device)
		return -ENOMEM;
	device->machine = machine;
	device->intx.trigger_fd = device->intx.unmask_fd = device->msi.eventfd = -1;
	ret = vfio_device_open(group, bdf, &device->vfio);
	if (ret < 0) {
		free(device);
		return ret;
	}
	ret = vfio_pci_setup(device, slot, why, why_len);
	if (ret < 0) {
		vfio_pci_destroy(device);
		return ret;
	}
	*out = device;
	return 0;
}

const char *vfio_pci_bdf(const struct vfio_pci_device *device)
{
	return device->vfio.bdf;
}

unsigned int vfio_pci_slot(const struct vfio_pci_device *device)
{
	return device->slot;
}

void vfio_pci_destroy(struct vfio_pci_device *device)
{
	if (!device)
		return;
	if (device->machine->pci)
		pci_bus_remove(device->machine->pci, device->slot, &device->function);
	vfio_pci_irq_destroy(device);
	vfio_pci_bars_destroy(device);
	msix_table_destroy(&device->msix.table);
	vfio_pci_reset(device);
	vfio_device_close(&device->vfio);
	free(device);
}
