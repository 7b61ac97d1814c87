/* A hostile passed-through device (config space, BARs, MSI-X layout, interrupts) and the guest that drives it. */
/*
 * vfio_pci_create() builds the device model as `sheer run --device` does,
 * from what the device reports: its config space (capability chain, BAR
 * types, the MSI-X table and PBA location), VFIO's region sizes and mmap
 * flags, and its interrupt counts. Then the guest writes and reads config
 * space (command register, BARs, MSI and MSI-X control) through the PCI bus,
 * and accesses the trapped parts of the BARs through the buses, with pauses
 * (quiesce) in between; at the end the device is destroyed.
 *
 * There is no VFIO device and no VM: this executable defines ioctl(), which
 * takes precedence over libc's, and answers VFIO and KVM requests on the fds
 * it made (the device fd is a memfd, so its regions read and write like
 * VFIO's); requests on any other fd go to the kernel. It checks what real
 * KVM would be handed, and a violation aborts:
 *   - a memory slot lies inside a BAR's mmap (issue 9, defect 1: past it
 *     lies sheer's own heap), page aligned, clear of guest RAM, and does not
 *     overlap another slot;
 *   - a GSI route names GSIs below the routing table's limit;
 * and that the device gives back every fd it opened.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "passthru/vfio/vfio_pci_device.h"
#include "tests/fuzz/fuzz_input.h"
#include "vmm/machine/layout.h"

#define GUEST_SLOT 3
#define RAM_END (LAYOUT_HIGH_RAM + 1 * GiB)	/* a 3.75 GiB guest */
#define REGION_SPACING (4 * GiB)		/* where each region lies in the device fd */
#define MMAP_MAX (1 * GiB)			/* larger BARs are reported without the mmap flag */
#define SLOTS_MAX 64
#define PAGE 4096ULL

struct fake_region {
	uint64_t size;
	uint32_t flags;
};

/* What the device reports, and what the fake kernel knows of it. */
struct fake_device {
	bool can_reset;
	struct fake_region regions[VFIO_PCI_NUM_REGIONS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
	uint8_t config[CONFIG_SPACE_SIZE];
	int fd;				/* the memfd standing for the device fd; -1 before it is opened */
	int irq_active;			/* the VFIO interrupt index enabled, -1: none (one at a time) */
	struct vfio_pci_device *model;	/* sheer's device model, once created */
};

struct fake_slot {
	uint64_t gpa, size;
};

struct fake_kernel {
	int vm_fd, group_fd;		/* fds of our own, so that ioctls on them are recognised */
	struct fake_device device;
	struct fake_slot slots[SLOTS_MAX];
};

static struct fake_kernel fake = { .vm_fd = -1, .group_fd = -1 };

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_vfio_pci: %s\n", what);
	abort();
}

/* ---- the fake VFIO device ---- */

static int device_get_info(struct vfio_device_info *info)
{
	info->flags = VFIO_DEVICE_FLAGS_PCI | (fake.device.can_reset ? VFIO_DEVICE_FLAGS_RESET : 0);
	info->num_regions = VFIO_PCI_NUM_REGIONS;
	info->num_irqs = VFIO_PCI_NUM_IRQS;
	return 0;
}

static int device_region_info(struct vfio_region_info *info)
{
	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info->size = fake.device.regions[info->index].size;
	info->flags = fake.device.regions[info->index].flags;
	info->offset = info->index * REGION_SPACING;
	return 0;
}

static int device_irq_info(struct vfio_irq_info *info)
{
	if (info->index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info->count = fake.device.irq_count[info->index];
	info->flags = VFIO_IRQ_INFO_EVENTFD;
	return 0;
}

/* As vfio-pci checks it: the kind enabled, within its vector count, one kind at a time. */
static int device_set_irqs(const struct vfio_irq_set *set)
{
	bool triggers = (set->flags & VFIO_IRQ_SET_ACTION_TRIGGER) && (set->flags & VFIO_IRQ_SET_DATA_EVENTFD);
	bool disable = (set->flags & VFIO_IRQ_SET_ACTION_TRIGGER) && (set->flags & VFIO_IRQ_SET_DATA_NONE) &&
		       set->count == 0;

	if (set->index >= VFIO_PCI_NUM_IRQS || set->start + set->count > fake.device.irq_count[set->index] ||
	    (set->flags & VFIO_IRQ_SET_DATA_EVENTFD && set->argsz < sizeof(*set) + set->count * sizeof(int)))
		return -EINVAL;
	if (disable && (int)set->index == fake.device.irq_active)
		fake.device.irq_active = -1;
	if (triggers && set->count) {
		if (fake.device.irq_active >= 0 && fake.device.irq_active != (int)set->index)
			return -EINVAL;
		fake.device.irq_active = set->index;
	}
	return 0;
}

static int device_ioctl(unsigned long request, void *arg)
{
	switch (request) {
	case VFIO_DEVICE_GET_INFO: return device_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO: return device_region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO: return device_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS: return device_set_irqs(arg);
	case VFIO_DEVICE_RESET: return fake.device.can_reset ? 0 : -ENOTTY;
	default: return -ENOTTY;
	}
}

/* The device fd: a memfd holding every region at its offset, the config space filled in. */
static int group_get_device_fd(void)
{
	int fd = memfd_create("fuzz-vfio-device", MFD_CLOEXEC);
	uint64_t config_offset = VFIO_PCI_CONFIG_REGION_INDEX * REGION_SPACING;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, VFIO_PCI_NUM_REGIONS * REGION_SPACING) < 0 ||
	    pwrite(fd, fake.device.config, sizeof(fake.device.config), config_offset) != sizeof(fake.device.config)) {
		close(fd);
		return -EIO;
	}
	fake.device.fd = fd;
	return fd;
}

/* ---- the fake KVM VM ---- */

static bool ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* Some BAR's mmap holds [host, host + size). */
static bool inside_a_bar_mapping(uint64_t host, uint64_t size)
{
	const struct vfio_pci_device *model = fake.device.model;

	for (unsigned int i = 0; model && i < CONFIG_BARS; i++) {
		uint64_t map = (uintptr_t)model->bars[i].map;

		if (model->bars[i].map && host >= map && size <= model->bars[i].size &&
		    host - map <= model->bars[i].size - size)
			return true;
	}
	return false;
}

static bool covers_guest_ram(uint64_t gpa, uint64_t size)
{
	return ranges_overlap(gpa, size, 0, LAYOUT_LOW_RAM_MAX) ||
	       ranges_overlap(gpa, size, LAYOUT_HIGH_RAM, RAM_END - LAYOUT_HIGH_RAM);
}

static int vm_set_memory_region(const struct kvm_userspace_memory_region *region)
{
	if (region->slot >= SLOTS_MAX)
		return -EINVAL;
	fake.slots[region->slot] = (struct fake_slot){ 0, 0 };
	if (region->memory_size == 0)
		return 0;	/* a slot deleted */
	if (!inside_a_bar_mapping(region->userspace_addr, region->memory_size))
		fail("KVM slot outside the BAR's mmap: the guest would reach sheer's memory");
	if (region->guest_phys_addr % PAGE || region->memory_size % PAGE || region->userspace_addr % PAGE)
		fail("KVM slot not page aligned (KVM refuses it)");
	if (region->guest_phys_addr + region->memory_size < region->guest_phys_addr ||
	    covers_guest_ram(region->guest_phys_addr, region->memory_size))
		fail("KVM slot over guest RAM");
	for (unsigned int i = 0; i < SLOTS_MAX; i++)
		if (fake.slots[i].size && ranges_overlap(region->guest_phys_addr, region->memory_size,
							 fake.slots[i].gpa, fake.slots[i].size))
			return -EEXIST;
	fake.slots[region->slot] = (struct fake_slot){ region->guest_phys_addr, region->memory_size };
	return 0;
}

static int vm_set_gsi_routing(const struct kvm_irq_routing *routing)
{
	for (unsigned int i = 0; i < routing->nr; i++)
		if (routing->entries[i].gsi >= IRQ_ROUTING_GSI_LIMIT)
			fail("GSI route past the routing table");
	return 0;
}

static int vm_ioctl(unsigned long request, void *arg)
{
	switch (request) {
	case KVM_SET_USER_MEMORY_REGION: return vm_set_memory_region(arg);
	case KVM_SET_GSI_ROUTING: return vm_set_gsi_routing(arg);
	case KVM_IRQFD: return 0;
	default: return -ENOTTY;
	}
}

/* Every ioctl of this executable, sheer's included: ours answered here, others passed to the kernel. */
int ioctl(int fd, unsigned long request, ...)
{
	va_list args;
	void *arg;
	int ret;

	va_start(args, request);
	arg = va_arg(args, void *);
	va_end(args);
	if (fd >= 0 && fd == fake.group_fd && request == VFIO_GROUP_GET_DEVICE_FD)
		ret = group_get_device_fd();
	else if (fd >= 0 && fd == fake.device.fd)
		ret = device_ioctl(request, arg);
	else if (fd >= 0 && fd == fake.vm_fd)
		ret = vm_ioctl(request, arg);
	else
		return (int)syscall(SYS_ioctl, fd, request, arg);
	if (ret >= 0)
		return ret;
	errno = -ret;
	return -1;
}

/* ---- what the device reports ---- */

/* A BAR of 2^n bytes (VFIO reports powers of two), or none; mmap-able when VFIO says so. */
static struct fake_region take_bar_region(struct fuzz_input *in)
{
	unsigned int byte = (unsigned int)fuzz_take(in, 1), shift = (byte & 0x7f) % 40;
	struct fake_region region = { 0, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE };

	if (shift >= 2)
		region.size = 1ULL << shift;
	if ((byte & 0x80) && region.size && region.size <= MMAP_MAX)
		region.flags |= VFIO_REGION_INFO_FLAG_MMAP;
	return region;
}

static void take_device(struct fuzz_input *in)
{
	unsigned int flags = (unsigned int)fuzz_take(in, 1);
	struct fake_device *dev = &fake.device;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	dev->irq_active = -1;
	dev->can_reset = flags & 1;
	for (unsigned int i = 0; i < CONFIG_BARS; i++)
		dev->regions[VFIO_PCI_BAR0_REGION_INDEX + i] = take_bar_region(in);
	dev->regions[VFIO_PCI_CONFIG_REGION_INDEX] = (struct fake_region){ flags & 2 ? CONFIG_SPACE_SIZE : 256,
									   VFIO_REGION_INFO_FLAG_READ |
									   VFIO_REGION_INFO_FLAG_WRITE };
	dev->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = (flags >> 2) & 1;
	dev->irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1u << ((flags >> 3) & 7) >> 1;
	dev->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = (unsigned int)fuzz_take(in, 2) % (MSIX_MAX_VECTORS + 1);
	for (unsigned int i = 0; i < 256 && fuzz_left(in) > 0; i++)
		dev->config[i] = (uint8_t)fuzz_take(in, 1);
}

/* ---- what the guest does ---- */

struct guest {
	pthread_mutex_t lock;
	struct pci_bus pci;
	struct bus pio, mmio;
	struct resources res;
	struct irq_routing routing;
	struct vfio_pci_machine machine;
};

/* Mostly the standard header and its capabilities, where the glue acts; now and then anywhere. */
static unsigned int take_config_reg(struct fuzz_input *in)
{
	unsigned int reg = (unsigned int)fuzz_take(in, 2);

	return reg & 0x8000 ? reg % CONFIG_SPACE_SIZE : reg % 256;
}

static void config_access(struct guest *g, struct fuzz_input *in, bool is_write)
{
	unsigned int reg = take_config_reg(in), size = fuzz_access_size(in, 4);
	uint32_t value = (uint32_t)fuzz_take(in, 4);

	pthread_mutex_lock(&g->lock);
	if (is_write)
		pci_bus_config_write(&g->pci, GUEST_SLOT * 8, reg, size, value);
	else
		pci_bus_config_read(&g->pci, GUEST_SLOT * 8, reg, size);
	pthread_mutex_unlock(&g->lock);
}

/* Where the guest put BAR i, as it reads it back from config space. */
static uint64_t bar_address(struct guest *g, unsigned int bar)
{
	uint64_t address;

	pthread_mutex_lock(&g->lock);
	address = config_space_bar_address(&fake.device.model->config, bar);
	pthread_mutex_unlock(&g->lock);
	return address;
}

/* An access in or just past a BAR, or in its MSI-X table; the buses take their own lock. */
static void bar_access(struct guest *g, struct fuzz_input *in, bool in_msix_table)
{
	const struct vfio_pci_device *model = fake.device.model;
	unsigned int bar = in_msix_table ? model->msix.bar : (unsigned int)fuzz_take(in, 1) % CONFIG_BARS;
	uint64_t offset = fuzz_take(in, 4), address = bar_address(g, bar);
	unsigned int size = fuzz_access_size(in, 8);
	bool is_write = fuzz_take(in, 1) & 1;
	uint64_t value = fuzz_take(in, 8);
	uint8_t data[8];

	if (!address)
		return;
	if (in_msix_table)
		offset = model->msix.table_offset + offset % ((uint64_t)model->msix.table.size * MSIX_ENTRY_SIZE + 16);
	else
		offset %= model->bars[bar].size + 16;
	memcpy(data, &value, sizeof(data));
	bus_access(model->bars[bar].io ? &g->pio : &g->mmio, address + offset, data, size, is_write);
}

static void quiesce(struct guest *g, struct fuzz_input *in)
{
	pthread_mutex_lock(&g->lock);
	vfio_pci_quiesce(fake.device.model, fuzz_take(in, 1) & 1);
	pthread_mutex_unlock(&g->lock);
}

static void guest_run(struct guest *g, struct fuzz_input *in)
{
	while (fuzz_left(in) > 0) {
		unsigned int op = (unsigned int)fuzz_take(in, 1) % 8;

		if (op < 3)
			config_access(g, in, op != 2);
		else if (op < 6)
			bar_access(g, in, false);
		else if (op == 6 && fake.device.model->has_msix)
			bar_access(g, in, true);
		else if (op == 7)
			quiesce(g, in);
	}
}

static void guest_init(struct guest *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pci_bus_init(&g->pci);
	bus_init(&g->pio, "port", &g->lock);
	bus_init(&g->mmio, "mmio", &g->lock);
	resources_init(&g->res, SLOTS_MAX, IRQ_ROUTING_GSI_LIMIT);
	irq_routing_init(&g->routing, fake.vm_fd, &g->res);
	vfio_pci_machine_init(&g->machine, fake.vm_fd, &g->pci, &g->pio, &g->mmio, &g->res, &g->routing, NULL, RAM_END);
	memset(fake.slots, 0, sizeof(fake.slots));
}

/* The lowest free fd: the same before and after, or something was left open. */
static int lowest_free_fd(void)
{
	int fd = dup(fake.vm_fd);

	if (fd >= 0)
		close(fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct guest g;
	struct fuzz_input in = { data, len };
	struct vfio_group group;
	struct vfio_pci_device *model;
	char why[256];
	int free_fd;

	if (fake.vm_fd < 0) {
		fake.vm_fd = memfd_create("fuzz-vm", MFD_CLOEXEC);
		fake.group_fd = memfd_create("fuzz-vfio-group", MFD_CLOEXEC);
	}
	free_fd = lowest_free_fd();
	take_device(&in);
	guest_init(&g);
	group = (struct vfio_group){ .fd = fake.group_fd, .number = 7 };
	if (vfio_pci_create(&g.machine, &group, "0000:01:00.0", GUEST_SLOT, &model, why, sizeof(why)) == 0) {
		fake.device.model = model;
		guest_run(&g, &in);
		vfio_pci_destroy(model);
	}
	fake.device = (struct fake_device){ .fd = -1, .irq_active = -1 };
	if (lowest_free_fd() != free_fd)
		fail("the device model left an fd open");
	return 0;
}
