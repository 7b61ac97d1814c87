/*
 * The virtio 1.x PCI transport ("modern" only, virtio spec 4.1) for one
 * device: a function on the guest's bus whose BAR 0 holds the common
 * configuration, ISR, device configuration, notification and MSI-X regions.
 * Notifications go to per-queue eventfds through KVM ioeventfds and
 * interrupts come back through irqfds, so a kernel backend (vhost) never
 * needs sheer on the data path. There is no legacy interface and no INTx:
 * the guest's driver uses MSI-X, as Linux's virtio_pci does.
 *
 * What the guest sees (struct virtio_pci_regs, the PCI config space and the
 * MSI-X table) is kept apart from the host wiring and saved with the device.
 */
#ifndef SHEER_VMM_VIRTIO_VIRTIO_PCI_H
#define SHEER_VMM_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/devices/msix.h"
#include "vmm/devices/pci_bus.h"
#include "vmm/kvm/msi_vector.h"
#include "vmm/machine/state.h"

#define VIRTIO_PCI_MAX_QUEUES 2
#define VIRTIO_PCI_BAR_SIZE 0x8000ULL
#define VIRTIO_PCI_NO_VECTOR 0xffff

/* BAR 0, one page per region. */
#define VIRTIO_BAR_COMMON	0x0000
#define VIRTIO_BAR_ISR		0x1000
#define VIRTIO_BAR_DEVICE	0x2000
#define VIRTIO_BAR_NOTIFY	0x3000	/* queue i notifies at NOTIFY + 4 * i */
#define VIRTIO_BAR_MSIX_TABLE	0x4000
#define VIRTIO_BAR_MSIX_PBA	0x5000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4

struct virtio_queue_regs {
	uint16_t size;
	uint16_t msix_vector;
	uint16_t enabled;
	uint16_t last_avail;	/* where the backend goes on from (vhost's, read when it stops) */
	uint64_t desc, avail, used;
};

struct virtio_pci_regs {
	uint32_t device_feature_select;
	uint32_t driver_feature_select;
	uint64_t driver_features;
	uint16_t msix_config;
	uint16_t queue_select;
	uint8_t status;
	uint8_t config_generation;
	struct virtio_queue_regs queues[VIRTIO_PCI_MAX_QUEUES];
};

/* What the device behind the transport does (virtio_net.c). */
struct virtio_pci_ops {
	/* Device configuration (virtio's, not PCI's): offset within it, size 1, 2 or 4. */
	uint32_t (*config_read)(void *owner, unsigned int offset, unsigned int size);
	/* DRIVER_OK: the queues are set up; < 0 means the device needs a reset. */
	int (*start)(void *owner);
	/* A reset, or the guest took DRIVER_OK back: the backend lets go of guest memory. */
	void (*stop)(void *owner);
};

/* Host wiring the transport needs from its machine. */
struct virtio_pci_env {
	int vm_fd;
	struct bus *mmio;
	struct irq_routing *routing;
	struct resources *res;
	uint64_t ram_end;	/* a BAR may sit in the PCI window or above RAM */
};

struct virtio_pci {
	struct pci_device function;
	struct virtio_pci_regs regs;
	struct msix_table msix;
	/* Host wiring. */
	uint16_t device_id;		/* virtio device type (1: network) */
	uint64_t device_features;
	unsigned int n_queues;
	struct virtio_pci_env env;
	struct msi_vector vectors[VIRTIO_PCI_MAX_QUEUES + 1];
	int kick_fd[VIRTIO_PCI_MAX_QUEUES];
	uint64_t bar_address;		/* where BAR 0 is decoded now; 0: nowhere */
	bool started;			/* the backend runs */
	const struct virtio_pci_ops *ops;
	void *owner;
};

/* A function for device type id with the given features and queues; BAR 0 placed as firmware would. */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_env *env, uint16_t id, uint16_t class_code,
		    uint64_t features, unsigned int n_queues, const struct virtio_pci_ops *ops, void *owner);
void virtio_pci_destroy(struct virtio_pci *vp);
/* Power-on state (the backend stopped, queues forgotten); the BAR placement stays. */
void virtio_pci_reset(struct virtio_pci *vp);
bool virtio_pci_driver_ok(const struct virtio_pci *vp);
/* The eventfd queue i's interrupts go to (its MSI-X vector's), or -1 when it has none. */
int virtio_pci_queue_call_fd(const struct virtio_pci *vp, unsigned int queue);
/* A guest mistake the device cannot go on with: DEVICE_NEEDS_RESET, as the spec says. */
void virtio_pci_set_needs_reset(struct virtio_pci *vp);

/* The transport's registers and MSI-X table (the PCI config space is the bus's to save). */
void virtio_pci_save(const struct virtio_pci *vp, struct state_writer *w);
/* Checked values only; on -EBADMSG nothing changed. Call virtio_pci_resync() once the config space is back too. */
int virtio_pci_restore(struct virtio_pci *vp, struct state_reader *r);
/* Decode the BAR and route the vectors as the restored registers say, and restart the backend if it ran. */
int virtio_pci_resync(struct virtio_pci *vp);

/* For the fuzzer and tests: BAR 0 accesses as the guest makes them. */
extern const struct bus_device_ops virtio_pci_bar_ops;

#endif
