#include <errno.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/lib/le.h"
#include "vmm/machine/bus.h"
#include "vmm/machine/layout.h"
#include "vmm/machine/resources.h"
#include "vmm/virtio/virtio_pci.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040	/* modern device ids: 0x1040 + virtio type */
#define VIRTIO_PCI_SUBSYSTEM 0x1100

/* Capability chain: four virtio structures, then MSI-X. */
#define CAP_COMMON	0x40
#define CAP_ISR		0x50
#define CAP_NOTIFY	0x60	/* 20 bytes: it carries the multiplier */
#define CAP_DEVICE	0x74
#define CAP_MSIX	0x84

#define STATUS_KNOWN (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK | \
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)

static void config_put(struct pci_device *fn, unsigned int reg, unsigned int size, uint32_t value)
{
	for (unsigned int i = 0; i < size; i++)
		fn->config[reg + i] = value >> (8 * i);
}

static void config_writable(struct pci_device *fn, unsigned int reg, unsigned int size, uint32_t mask)
{
	for (unsigned int i = 0; i < size; i++)
		fn->writable[reg + i] = mask >> (8 * i);
}

static void config_cap(struct pci_device *fn, unsigned int at, unsigned int next, unsigned int type,
		       unsigned int offset, unsigned int length, unsigned int cap_len)
{
	config_put(fn, at, 1, PCI_CAP_ID_VNDR);
	config_put(fn, at + 1, 1, next);
	config_put(fn, at + 2, 1, cap_len);
	config_put(fn, at + 3, 1, type);
	config_put(fn, at + 4, 1, 0);		/* BAR 0 */
	config_put(fn, at + 8, 4, offset);
	config_put(fn, at + 12, 4, length);
}

static void virtio_pci_build_config(struct virtio_pci *vp, uint16_t class_code)
{
	struct pci_device *fn = &vp->function;
	unsigned int vectors = vp->n_queues + 1;

	memset(fn->config, 0, sizeof(fn->config));
	memset(fn->writable, 0, sizeof(fn->writable));
	config_put(fn, PCI_VENDOR_ID, 2, VIRTIO_PCI_VENDOR);
	config_put(fn, PCI_DEVICE_ID, 2, VIRTIO_PCI_DEVICE_BASE + vp->device_id);
	config_put(fn, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	config_put(fn, PCI_REVISION_ID, 1, 1);	/* modern only */
	config_put(fn, PCI_CLASS_DEVICE, 2, class_code);
	config_put(fn, PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR);
	config_put(fn, PCI_SUBSYSTEM_ID, 2, VIRTIO_PCI_SUBSYSTEM);
	config_put(fn, PCI_CAPABILITY_LIST, 1, CAP_COMMON);
	config_writable(fn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	config_writable(fn, PCI_BASE_ADDRESS_0, 4, (uint32_t)~(VIRTIO_PCI_BAR_SIZE - 1));
	config_writable(fn, PCI_INTERRUPT_LINE, 1, 0xff);
	config_cap(fn, CAP_COMMON, CAP_ISR, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_BAR_COMMON, 0x38, 16);
	config_cap(fn, CAP_ISR, CAP_NOTIFY, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_BAR_ISR, 1, 16);
	config_cap(fn, CAP_NOTIFY, CAP_DEVICE, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_BAR_NOTIFY,
		   VIRTIO_PCI_NOTIFY_MULTIPLIER * vp->n_queues, 20);
	config_put(fn, CAP_NOTIFY + 16, 4, VIRTIO_PCI_NOTIFY_MULTIPLIER);
	config_cap(fn, CAP_DEVICE, CAP_MSIX, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_BAR_DEVICE, 0x1000, 16);
	config_put(fn, CAP_MSIX, 1, PCI_CAP_ID_MSIX);
	config_put(fn, CAP_MSIX + PCI_MSIX_FLAGS, 2, vectors - 1);
	config_writable(fn, CAP_MSIX + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	config_put(fn, CAP_MSIX + PCI_MSIX_TABLE, 4, VIRTIO_BAR_MSIX_TABLE);	/* BIR 0 */
	config_put(fn, CAP_MSIX + PCI_MSIX_PBA, 4, VIRTIO_BAR_MSIX_PBA);
}

static uint32_t config_get(const struct pci_device *fn, unsigned int reg, unsigned int size)
{
	uint32_t value = 0;

	for (unsigned int i = 0; i < size; i++)
		value |= (uint32_t)fn->config[reg + i] << (8 * i);
	return value;
}

/* ---- interrupts ---- */

static void virtio_pci_vector_update(struct virtio_pci *vp, unsigned int v)
{
	uint16_t control = config_get(&vp->function, CAP_MSIX + PCI_MSIX_FLAGS, 2);
	const struct msix_entry *entry = &vp->msix.entries[v];
	bool live = (control & PCI_MSIX_FLAGS_ENABLE) && !(control & PCI_MSIX_FLAGS_MASKALL) &&
		    !msix_entry_masked(entry);

	/* A vector the guest cannot have meant (a bad address) stays unrouted; KVM refuses nothing here. */
	msi_vector_update(&vp->vectors[v], vp->env.routing, msix_entry_address(entry), entry->data, live);
}

static void virtio_pci_vectors_update(struct virtio_pci *vp)
{
	for (unsigned int v = 0; v < vp->msix.size; v++)
		virtio_pci_vector_update(vp, v);
}

int virtio_pci_queue_call_fd(const struct virtio_pci *vp, unsigned int queue)
{
	uint16_t v = vp->regs.queues[queue].msix_vector;

	return v < vp->msix.size ? vp->vectors[v].eventfd : -1;
}

/* ---- BAR 0 ---- */

static int virtio_pci_ioeventfd(struct virtio_pci *vp, unsigned int queue, uint64_t bar, bool assign)
{
	struct kvm_ioeventfd ioeventfd = {
		.addr = bar + VIRTIO_BAR_NOTIFY + VIRTIO_PCI_NOTIFY_MULTIPLIER * queue,
		.len = 2,	/* the queue index, written as a 16-bit value */
		.fd = vp->kick_fd[queue],
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(vp->env.vm_fd, KVM_IOEVENTFD, &ioeventfd) < 0 ? -errno : 0;
}

static void virtio_pci_unmap(struct virtio_pci *vp)
{
	if (!vp->bar_address)
		return;
	for (unsigned int q = 0; q < vp->n_queues; q++)
		virtio_pci_ioeventfd(vp, q, vp->bar_address, false);
	bus_unregister(vp->env.mmio, vp->bar_address, vp);
	vp->bar_address = 0;
}

/* The guest may program any address: the BAR is decoded only inside the PCI window or above RAM. */
static bool virtio_pci_address_ok(const struct virtio_pci *vp, uint64_t address)
{
	uint64_t end = address + VIRTIO_PCI_BAR_SIZE;

	if (address >= LAYOUT_PCI_MMIO && end <= LAYOUT_PCI_MMIO_END)
		return true;
	return address >= vp->env.ram_end && end > address && end <= (1ULL << 40);
}

static int virtio_pci_map(struct virtio_pci *vp, uint64_t address)
{
	unsigned int assigned = 0;
	int ret = bus_register(vp->env.mmio, address, VIRTIO_PCI_BAR_SIZE, &virtio_pci_bar_ops, vp, "virtio-pci");

	while (ret == 0 && assigned < vp->n_queues && (ret = virtio_pci_ioeventfd(vp, assigned, address, true)) == 0)
		assigned++;
	if (ret < 0) {
		while (assigned-- > 0)
			virtio_pci_ioeventfd(vp, assigned, address, false);
		bus_unregister(vp->env.mmio, address, vp);
		return ret;
	}
	vp->bar_address = address;
	return 0;
}

static void virtio_pci_bar_update(struct virtio_pci *vp)
{
	uint16_t command = config_get(&vp->function, PCI_COMMAND, 2);
	uint64_t want = config_get(&vp->function, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (!(command & PCI_COMMAND_MEMORY) || !virtio_pci_address_ok(vp, want))
		want = 0;
	if (want == vp->bar_address)
		return;
	virtio_pci_unmap(vp);
	/* An overlap with another device's range (sizing, or a hostile guest) leaves it undecoded. */
	if (want)
		virtio_pci_map(vp, want);
}

/* ---- the common configuration ---- */

static struct virtio_queue_regs *selected_queue(struct virtio_pci *vp)
{
	return vp->regs.queue_select < vp->n_queues ? &vp->regs.queues[vp->regs.queue_select] : NULL;
}

static uint32_t common_read(struct virtio_pci *vp, unsigned int offset)
{
	struct virtio_pci_regs *r = &vp->regs;
	struct virtio_queue_regs *q = selected_queue(vp);

	switch (offset) {
	case VIRTIO_PCI_COMMON_DFSELECT: return r->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return r->device_feature_select < 2 ? (uint32_t)(vp->device_features >> (32 * r->device_feature_select)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT: return r->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		return r->driver_feature_select < 2 ? (uint32_t)(r->driver_features >> (32 * r->driver_feature_select)) : 0;
	case VIRTIO_PCI_COMMON_MSIX: return r->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ: return vp->n_queues;
	case VIRTIO_PCI_COMMON_STATUS: return r->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION: return r->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT: return r->queue_select;
	case VIRTIO_PCI_COMMON_Q_SIZE: return q ? q->size : 0;
	case VIRTIO_PCI_COMMON_Q_MSIX: return q ? q->msix_vector : VIRTIO_PCI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE: return q ? q->enabled : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF: return q ? r->queue_select : 0;
	case VIRTIO_PCI_COMMON_Q_DESCLO: return q ? (uint32_t)q->desc : 0;
	case VIRTIO_PCI_COMMON_Q_DESCHI: return q ? (uint32_t)(q->desc >> 32) : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: return q ? (uint32_t)q->avail : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILHI: return q ? (uint32_t)(q->avail >> 32) : 0;
	case VIRTIO_PCI_COMMON_Q_USEDLO: return q ? (uint32_t)q->used : 0;
	case VIRTIO_PCI_COMMON_Q_USEDHI: return q ? (uint32_t)(q->used >> 32) : 0;
	default: return 0;
	}
}

static void set_half(uint64_t *field, bool high, uint32_t value)
{
	*field = high ? (*field & 0xffffffffULL) | (uint64_t)value << 32 : (*field & ~0xffffffffULL) | value;
}

static void virtio_pci_stop_backend(struct virtio_pci *vp)
{
	if (vp->started)
		vp->ops->stop(vp->owner);
	vp->started = false;
}

static void virtio_pci_start_backend(struct virtio_pci *vp)
{
	if (vp->started)
		return;
	if (vp->ops->start(vp->owner) < 0)
		virtio_pci_set_needs_reset(vp);
	else
		vp->started = true;
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp)
{
	vp->regs.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
}

static void status_write(struct virtio_pci *vp, uint8_t status)
{
	if (status == 0) {
		virtio_pci_reset(vp);
		return;
	}
	/* A modern device only: a driver that did not take VERSION_1 (a legacy one) is not accepted. */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) && !(vp->regs.status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(vp->regs.driver_features & (1ULL << VIRTIO_F_VERSION_1)))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	vp->regs.status = (status & STATUS_KNOWN) | (vp->regs.status & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(status & VIRTIO_CONFIG_S_FEATURES_OK))
		virtio_pci_set_needs_reset(vp);	/* DRIVER_OK before the features were agreed */
	else if (status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_pci_start_backend(vp);
	else
		virtio_pci_stop_backend(vp);
}

/* Queue registers may change only before the driver enables the queue and says DRIVER_OK. */
static void queue_write(struct virtio_pci *vp, struct virtio_queue_regs *q, unsigned int offset, uint32_t value)
{
	if (vp->regs.status & VIRTIO_CONFIG_S_DRIVER_OK)
		return;
	switch (offset) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		/* A power of two no larger than offered (the split ring's rule). */
		if (value && value <= 256 && !(value & (value - 1)))
			q->size = value;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		q->msix_vector = value < vp->msix.size ? value : VIRTIO_PCI_NO_VECTOR;
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE: q->enabled = value == 1; break;
	case VIRTIO_PCI_COMMON_Q_DESCLO: set_half(&q->desc, false, value); break;
	case VIRTIO_PCI_COMMON_Q_DESCHI: set_half(&q->desc, true, value); break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: set_half(&q->avail, false, value); break;
	case VIRTIO_PCI_COMMON_Q_AVAILHI: set_half(&q->avail, true, value); break;
	case VIRTIO_PCI_COMMON_Q_USEDLO: set_half(&q->used, false, value); break;
	case VIRTIO_PCI_COMMON_Q_USEDHI: set_half(&q->used, true, value); break;
	}
}

static void common_write(struct virtio_pci *vp, unsigned int offset, uint32_t value)
{
	struct virtio_pci_regs *r = &vp->regs;
	struct virtio_queue_regs *q = selected_queue(vp);

	switch (offset) {
	case VIRTIO_PCI_COMMON_DFSELECT: r->device_feature_select = value; break;
	case VIRTIO_PCI_COMMON_GFSELECT: r->driver_feature_select = value; break;
	case VIRTIO_PCI_COMMON_GF:
		/* Only what was offered can be taken: anything else never reaches the backend. */
		if (r->driver_feature_select < 2 && !(r->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&r->driver_features, r->driver_feature_select == 1,
				 value & (uint32_t)(vp->device_features >> (32 * r->driver_feature_select)));
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		r->msix_config = value < vp->msix.size ? value : VIRTIO_PCI_NO_VECTOR;
		break;
	case VIRTIO_PCI_COMMON_STATUS: status_write(vp, value); break;
	case VIRTIO_PCI_COMMON_Q_SELECT: r->queue_select = value; break;
	default:
		if (q)
			queue_write(vp, q, offset, value);
	}
}

/* The common configuration's fields are 1, 2 or 4 bytes wide, each read and written whole. */
static unsigned int common_width(unsigned int offset)
{
	if (offset == VIRTIO_PCI_COMMON_STATUS || offset == VIRTIO_PCI_COMMON_CFGGENERATION)
		return 1;
	if (offset < VIRTIO_PCI_COMMON_MSIX || offset >= VIRTIO_PCI_COMMON_Q_DESCLO)
		return 4;
	return 2;
}

static uint64_t virtio_pci_bar_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct virtio_pci *vp = opaque;

	if (offset < VIRTIO_BAR_COMMON + 0x38)
		return size == common_width(offset) ? common_read(vp, offset) : 0;
	if (offset == VIRTIO_BAR_ISR)
		return 0;	/* MSI-X only: the ISR is never used, and reading it clears nothing */
	if (offset >= VIRTIO_BAR_DEVICE && offset < VIRTIO_BAR_NOTIFY && size <= 4)
		return vp->ops->config_read(vp->owner, offset - VIRTIO_BAR_DEVICE, size);
	if (offset >= VIRTIO_BAR_MSIX_TABLE && offset < VIRTIO_BAR_MSIX_PBA)
		return msix_table_read(&vp->msix, offset - VIRTIO_BAR_MSIX_TABLE, size);
	return 0;	/* notify region, PBA (nothing is ever pending here), gaps */
}

static void virtio_pci_bar_write(void *opaque, uint64_t offset, unsigned int size, uint64_t value)
{
	struct virtio_pci *vp = opaque;
	int vector;

	if (offset < VIRTIO_BAR_COMMON + 0x38) {
		if (size == common_width(offset))
			common_write(vp, offset, (uint32_t)value);
	} else if (offset >= VIRTIO_BAR_NOTIFY && offset < VIRTIO_BAR_NOTIFY + 4ULL * vp->n_queues) {
		/* A notification KVM's ioeventfd did not take (another width): pass it on. */
		(void)!write(vp->kick_fd[(offset - VIRTIO_BAR_NOTIFY) / 4], &(uint64_t){ 1 }, 8);
	} else if (offset >= VIRTIO_BAR_MSIX_TABLE && offset < VIRTIO_BAR_MSIX_PBA) {
		vector = msix_table_write(&vp->msix, offset - VIRTIO_BAR_MSIX_TABLE, size, value);
		if (vector >= 0)
			virtio_pci_vector_update(vp, vector);
	}
}

const struct bus_device_ops virtio_pci_bar_ops = { virtio_pci_bar_read, virtio_pci_bar_write };

/* ---- PCI configuration writes ---- */

static bool overlaps(unsigned int reg, unsigned int size, unsigned int start, unsigned int len)
{
	return reg < start + len && start < reg + size;
}

static void virtio_pci_config_written(void *owner, unsigned int reg, unsigned int size)
{
	struct virtio_pci *vp = owner;

	if (overlaps(reg, size, PCI_COMMAND, 2) || overlaps(reg, size, PCI_BASE_ADDRESS_0, 4))
		virtio_pci_bar_update(vp);
	if (overlaps(reg, size, CAP_MSIX + PCI_MSIX_FLAGS, 2))
		virtio_pci_vectors_update(vp);
}

/* ---- life cycle ---- */

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_env *env, uint16_t id, uint16_t class_code,
		    uint64_t features, unsigned int n_queues, const struct virtio_pci_ops *ops, void *owner)
{
	uint64_t address;
	int ret;

	memset(vp, 0, sizeof(*vp));
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_QUEUES + 1; i++)
		vp->vectors[i].eventfd = -1;
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vp->kick_fd[q] = -1;
	if (n_queues == 0 || n_queues > VIRTIO_PCI_MAX_QUEUES)
		return -EINVAL;
	vp->env = *env;
	vp->device_id = id;
	vp->device_features = features | 1ULL << VIRTIO_F_VERSION_1;
	vp->n_queues = n_queues;
	vp->ops = ops;
	vp->owner = owner;
	vp->function.owner = vp;
	vp->function.written = virtio_pci_config_written;
	virtio_pci_build_config(vp, class_code);
	ret = msix_table_init(&vp->msix, n_queues + 1);
	for (unsigned int v = 0; v < n_queues + 1 && ret == 0; v++)
		ret = msi_vector_init(&vp->vectors[v], env->routing);
	for (unsigned int q = 0; q < n_queues && ret == 0; q++)
		if ((vp->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			ret = -errno;
	/* Where firmware would put it, so that a kernel booted directly finds it there. */
	if (ret == 0 && (ret = resources_alloc_mmio(env->res, VIRTIO_PCI_BAR_SIZE, &address)) == 0)
		config_put(&vp->function, PCI_BASE_ADDRESS_0, 4, (uint32_t)address);
	virtio_pci_reset(vp);
	if (ret < 0)
		virtio_pci_destroy(vp);
	return ret;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	virtio_pci_stop_backend(vp);
	virtio_pci_unmap(vp);
	for (unsigned int v = 0; v < VIRTIO_PCI_MAX_QUEUES + 1; v++)
		if (vp->vectors[v].eventfd >= 0)
			msi_vector_destroy(&vp->vectors[v], vp->env.routing);
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		if (vp->kick_fd[q] >= 0)
			close(vp->kick_fd[q]);
		vp->kick_fd[q] = -1;
	}
	msix_table_destroy(&vp->msix);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	virtio_pci_stop_backend(vp);
	memset(&vp->regs, 0, sizeof(vp->regs));
	vp->regs.msix_config = VIRTIO_PCI_NO_VECTOR;
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		vp->regs.queues[q].size = q < vp->n_queues ? 256 : 0;
		vp->regs.queues[q].msix_vector = VIRTIO_PCI_NO_VECTOR;
	}
}

bool virtio_pci_driver_ok(const struct virtio_pci *vp)
{
	return vp->regs.status & VIRTIO_CONFIG_S_DRIVER_OK;
}

/* ---- state ---- */

void virtio_pci_save(const struct virtio_pci *vp, struct state_writer *w)
{
	const struct virtio_pci_regs *r = &vp->regs;

	state_put_u32(w, r->device_feature_select);
	state_put_u32(w, r->driver_feature_select);
	state_put_u64(w, r->driver_features);
	state_put_u16(w, r->msix_config);
	state_put_u16(w, r->queue_select);
	state_put_u8(w, r->status);
	state_put_u8(w, r->config_generation);
	state_put_u8(w, vp->n_queues);
	for (unsigned int q = 0; q < vp->n_queues; q++) {
		const struct virtio_queue_regs *queue = &r->queues[q];

		state_put_u16(w, queue->size);
		state_put_u16(w, queue->msix_vector);
		state_put_u16(w, queue->enabled);
		state_put_u16(w, queue->last_avail);
		state_put_u64(w, queue->desc);
		state_put_u64(w, queue->avail);
		state_put_u64(w, queue->used);
	}
	state_put_u16(w, vp->msix.size);
	state_put_bytes(w, vp->msix.entries, (size_t)vp->msix.size * MSIX_ENTRY_SIZE);
}

static bool queue_regs_ok(const struct virtio_pci *vp, const struct virtio_queue_regs *q)
{
	return q->size && q->size <= 256 && !(q->size & (q->size - 1)) && q->enabled <= 1 &&
	       (q->msix_vector < vp->msix.size || q->msix_vector == VIRTIO_PCI_NO_VECTOR);
}

int virtio_pci_restore(struct virtio_pci *vp, struct state_reader *r)
{
	struct virtio_pci_regs regs = { 0 };
	const void *entries;

	regs.device_feature_select = state_get_u32(r);
	regs.driver_feature_select = state_get_u32(r);
	regs.driver_features = state_get_u64(r);
	regs.msix_config = state_get_u16(r);
	regs.queue_select = state_get_u16(r);
	regs.status = state_get_u8(r);
	regs.config_generation = state_get_u8(r);
	if (state_get_u8(r) != vp->n_queues)
		state_reader_reject(r);
	for (unsigned int q = 0; q < vp->n_queues && !r->error; q++) {
		struct virtio_queue_regs *queue = &regs.queues[q];

		queue->size = state_get_u16(r);
		queue->msix_vector = state_get_u16(r);
		queue->enabled = state_get_u16(r);
		queue->last_avail = state_get_u16(r);
		queue->desc = state_get_u64(r);
		queue->avail = state_get_u64(r);
		queue->used = state_get_u64(r);
		if (!queue_regs_ok(vp, queue))
			state_reader_reject(r);
	}
	if (state_get_u16(r) != vp->msix.size)
		state_reader_reject(r);
	entries = state_get_ptr(r, (size_t)vp->msix.size * MSIX_ENTRY_SIZE);
	if ((regs.driver_features & ~vp->device_features) || (regs.status & ~STATUS_KNOWN) ||
	    (regs.msix_config >= vp->msix.size && regs.msix_config != VIRTIO_PCI_NO_VECTOR))
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	virtio_pci_stop_backend(vp);
	vp->regs = regs;
	memcpy(vp->msix.entries, entries, (size_t)vp->msix.size * MSIX_ENTRY_SIZE);
	return 0;
}

int virtio_pci_resync(struct virtio_pci *vp)
{
	virtio_pci_bar_update(vp);
	virtio_pci_vectors_update(vp);
	if (virtio_pci_driver_ok(vp) && !(vp->regs.status & VIRTIO_CONFIG_S_NEEDS_RESET))
		virtio_pci_start_backend(vp);
	return 0;
}
