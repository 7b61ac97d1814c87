#include <errno.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "passthru/vfio/vfio_pci_device.h"
#include "vmm/machine/bus.h"
#include "vmm/machine/layout.h"

#define IO_SPACE_END 0x10000ULL
#define GUEST_PHYS_END (1ULL << 40)	/* what sheer lets a guest put a 64-bit BAR below */

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t align_down(uint64_t value, uint64_t align)
{
	return value & ~(align - 1);
}

static uint64_t align_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static bool bar_forward_ok(const struct vfio_pci_bar *bar, uint64_t offset, unsigned int size)
{
	return size <= 8 && offset < bar->size && size <= bar->size - offset;
}

static uint64_t bar_forward_read(struct vfio_pci_bar *bar, uint64_t offset, unsigned int size)
{
	uint64_t value = 0;

	if (!bar_forward_ok(bar, offset, size) ||
	    pread(bar->device->vfio.fd, &value, size, bar->region_offset + offset) != (ssize_t)size)
		return ~0ULL;
	return value;
}

static void bar_forward_write(struct vfio_pci_bar *bar, uint64_t offset, unsigned int size, uint64_t value)
{
	if (bar_forward_ok(bar, offset, size))
		(void)!pwrite(bar->device->vfio.fd, &value, size, bar->region_offset + offset);
}

static bool bar_in_msix_table(const struct vfio_pci_bar *bar, uint64_t offset)
{
	const struct vfio_pci_msix *msix = &bar->device->msix;

	return bar->device->has_msix && msix->bar == bar->index && offset >= msix->table_offset &&
	       offset - msix->table_offset < (uint64_t)msix->table.size * MSIX_ENTRY_SIZE;
}

/* offset is from the start of the trapped part (the bus range). */
static uint64_t bar_trap_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct vfio_pci_bar *bar = opaque;
	struct vfio_pci_msix *msix = &bar->device->msix;

	offset += bar->trap_start;
	if (bar_in_msix_table(bar, offset))
		return msix_table_read(&msix->table, offset - msix->table_offset, size);
	return bar_forward_read(bar, offset, size);
}

static void bar_trap_write(void *opaque, uint64_t offset, unsigned int size, uint64_t value)
{
	struct vfio_pci_bar *bar = opaque;
	struct vfio_pci_msix *msix = &bar->device->msix;
	int vector;

	offset += bar->trap_start;
	if (!bar_in_msix_table(bar, offset)) {
		bar_forward_write(bar, offset, size, value);
		return;
	}
	vector = msix_table_write(&msix->table, offset - msix->table_offset, size, value);
	if (vector >= 0)
		vfio_pci_msix_vector_update(bar->device, vector);
}

static const struct bus_device_ops bar_trap_ops = { bar_trap_read, bar_trap_write };

static int bar_set_slot(struct vfio_pci_bar *bar, unsigned int n, uint64_t gpa, uint64_t start, uint64_t end)
{
	struct kvm_userspace_memory_region region = {
		.slot = bar->memory_slot + n,
		.guest_phys_addr = gpa + start,
		.memory_size = end - start,
		.userspace_addr = (uintptr_t)(bar->map + start),
	};

	if (start == end)
		return 0;
	/* Never hand KVM more than the mmap behind it: past it lies sheer's own memory. */
	if (start > end || end > bar->size)
		return -ERANGE;
	return ioctl(bar->device->machine->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

static void bar_clear_slots(struct vfio_pci_bar *bar)
{
	for (unsigned int n = 0; n < 2; n++) {
		struct kvm_userspace_memory_region region = { .slot = bar->memory_slot + n };

		ioctl(bar->device->machine->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	}
}

/* The guest may program any address: a BAR only works inside the PCI window or above RAM. */
static bool bar_address_ok(const struct vfio_pci_bar *bar, uint64_t address)
{
	uint64_t end = address + bar->size;

	if (address == 0 || end < address)
		return false;
	if (bar->io)
		return end <= IO_SPACE_END;
	if (address >= LAYOUT_PCI_MMIO && end <= LAYOUT_PCI_MMIO_END)
		return true;
	return address >= bar->device->machine->ram_end && end <= GUEST_PHYS_END;
}

static int bar_map(struct vfio_pci_bar *bar, uint64_t address)
{
	struct vfio_pci_machine *machine = bar->device->machine;
	struct bus *bus = bar->io ? machine->pio : machine->mmio;
	int ret = 0;

	if (!bar_address_ok(bar, address))
		return -ERANGE;
	if (bar->map) {
		ret = bar_set_slot(bar, 0, address, 0, bar->trap_start);
		if (ret == 0)
			ret = bar_set_slot(bar, 1, address, bar->trap_end, bar->size);
	}
	if (ret == 0 && bar->trap_end > bar->trap_start)
		ret = bus_register(bus, address + bar->trap_start, bar->trap_end - bar->trap_start, &bar_trap_ops, bar,
				   "vfio-bar");
	if (ret < 0) {
		if (bar->map)
			bar_clear_slots(bar);
		return ret;
	}
	bar->guest_address = address;
	return 0;
}

static void bar_unmap(struct vfio_pci_bar *bar)
{
	struct vfio_pci_machine *machine;

	/* A device refused before its BARs were described has no bar->device: nothing was mapped. */
	if (!bar->guest_address)
		return;
	machine = bar->device->machine;
	if (bar->map)
		bar_clear_slots(bar);
	if (bar->trap_end > bar->trap_start)
		bus_unregister(bar->io ? machine->pio : machine->mmio, bar->guest_address + bar->trap_start, bar);
	bar->guest_address = 0;
}

static bool bar_decoded(const struct vfio_pci_bar *bar)
{
	return bar->device->command & (bar->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
}

void vfio_pci_bars_update(struct vfio_pci_device *device)
{
	for (unsigned int i = 0; i < CONFIG_BARS; i++) {
		struct vfio_pci_bar *bar = &device->bars[i];
		uint64_t want = 0;
		int ret;

		if (!bar->size)
			continue;
		if (bar_decoded(bar))
			want = config_space_bar_address(&device->config, i);
		if (want == bar->guest_address)
			continue;
		bar_unmap(bar);
		/* A BAR out of bounds (sizing in progress, or a hostile guest) just is not decoded. */
		if (want && bar_address_ok(bar, want) && (ret = bar_map(bar, want)) < 0)
			vfio_pci_warn(device, "mapping a BAR", ret);
	}
}

/* The MSI-X table and PBA pages stay trapped; everything else of an mmap-able BAR goes straight to the guest. */
static void bar_set_trap(struct vfio_pci_bar *bar)
{
	const struct vfio_pci_msix *msix = &bar->device->msix;
	uint64_t page = page_size(), start, end;

	bar->trap_start = bar->trap_end = 0;
	if (!bar->map) {
		bar->trap_end = bar->size;
		return;
	}
	if (!bar->device->has_msix || msix->bar != bar->index)
		return;
	start = msix->table_offset;
	end = msix->table_offset + (uint64_t)msix->table.size * MSIX_ENTRY_SIZE;
	if (msix->pba_size) {
		start = start < msix->pba_offset ? start : msix->pba_offset;
		end = end > msix->pba_offset + msix->pba_size ? end : msix->pba_offset + msix->pba_size;
	}
	bar->trap_start = align_down(start, page);
	bar->trap_end = align_up(end, page) < bar->size ? align_up(end, page) : bar->size;
}

static void bar_try_mmap(struct vfio_pci_bar *bar, const struct vfio_region_info *info)
{
	void *map;

	bar->map = NULL;
	if (bar->io || !(info->flags & VFIO_REGION_INFO_FLAG_MMAP) || bar->size < page_size() ||
	    bar->size % page_size())
		return;
	map = mmap(NULL, bar->size, PROT_READ | PROT_WRITE, MAP_SHARED, bar->device->vfio.fd, info->offset);
	if (map != MAP_FAILED)
		bar->map = map;
}

/* What firmware would do: an address for every BAR, naturally aligned, before the guest looks. */
static void bar_place(struct vfio_pci_bar *bar)
{
	struct resources *res = bar->device->machine->res;
	uint64_t size = bar->device->config.bars[bar->index].size, address;
	uint32_t port;

	/* A small memory BAR gets a page of its own, so that it can be mapped into the guest. */
	if (bar->io) {
		if (size > UINT32_MAX || resources_alloc_io(res, size, &port) < 0)
			return;
		address = port;
	} else if (resources_alloc_mmio(res, size > page_size() ? size : page_size(), &address) < 0) {
		return;
	}
	config_space_set_bar_address(&bar->device->config, bar->index, address);
}

/* The MSI-X table and PBA must lie inside the BAR the device names, or traps and slots would not. */
static int bar_check_msix(const struct vfio_pci_device *device, char *why, size_t why_len)
{
	const struct vfio_pci_msix *msix = &device->msix;

	if (!device->has_msix)
		return 0;
	return msix_layout_check(msix->table_offset, msix->table.size, msix->pba_offset, msix->pba_size, msix->bar,
				 device->bars[msix->bar].size, why, why_len);
}

/* What VFIO says of each BAR: its size and where it lies in the device fd. */
static void bar_describe(struct vfio_pci_device *device, unsigned int i, struct vfio_region_info *info)
{
	struct vfio_pci_bar *bar = &device->bars[i];

	bar->device = device;
	bar->index = i;
	if (device->config.bars[i].size == 0 || vfio_device_region(&device->vfio, i, info) < 0 || !info->size)
		return;
	bar->size = info->size;
	bar->region_offset = info->offset;
	bar->io = device->config.bars[i].io;
}

int vfio_pci_bars_init(struct vfio_pci_device *device, char *why, size_t why_len)
{
	struct vfio_region_info info[CONFIG_BARS] = { 0 };
	int ret;

	for (unsigned int i = 0; i < CONFIG_BARS; i++)
		bar_describe(device, i, &info[i]);
	ret = bar_check_msix(device, why, why_len);
	for (unsigned int i = 0; i < CONFIG_BARS && ret == 0; i++) {
		struct vfio_pci_bar *bar = &device->bars[i];

		if (device->config.bars[i].size == 0)
			continue;
		ret = resources_alloc_slots(device->machine->res, 2, &bar->memory_slot);
		bar->has_slots = ret == 0;
		if (ret < 0 || !bar->size)
			continue;
		bar_try_mmap(bar, &info[i]);
		bar_set_trap(bar);
		bar_place(bar);
	}
	return ret;
}

void vfio_pci_bars_destroy(struct vfio_pci_device *device)
{
	for (unsigned int i = 0; i < CONFIG_BARS; i++) {
		struct vfio_pci_bar *bar = &device->bars[i];

		bar_unmap(bar);
		if (bar->map)
			munmap(bar->map, bar->size);
		bar->map = NULL;
		if (bar->has_slots)
			resources_free_slots(device->machine->res, bar->memory_slot, 2);
		bar->has_slots = false;
	}
}
