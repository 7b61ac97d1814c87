/* Inside a passed-through device: shared by vfio_pci.c, vfio_pci_bar.c and vfio_pci_irq.c. */
#ifndef SHEER_PASSTHRU_VFIO_VFIO_PCI_DEVICE_H
#define SHEER_PASSTHRU_VFIO_VFIO_PCI_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "passthru/vfio/config_space.h"
#include "vmm/devices/msix.h"
#include "vmm/kvm/msi_vector.h"
#include "passthru/vfio/vfio_pci.h"
#include "vmm/devices/pci_bus.h"

struct vfio_pci_bar {
	struct vfio_pci_device *device;
	unsigned int index;
	uint64_t size;			/* 0: no such BAR */
	uint64_t region_offset;		/* in the VFIO device file */
	bool io;
	uint8_t *map;			/* mmap of the region; NULL: every access is forwarded */
	uint64_t trap_start;		/* [trap_start, trap_end): trapped (MSI-X table and PBA pages) */
	uint64_t trap_end;
	uint64_t guest_address;		/* where the guest sees it now; 0: not decoded */
	unsigned int memory_slot;	/* two KVM slots: before and after the trapped part */
	bool has_slots;			/* memory_slot was handed out (and goes back with the device) */
};

enum vfio_pci_irq_mode { IRQ_MODE_NONE, IRQ_MODE_INTX, IRQ_MODE_MSI, IRQ_MODE_MSIX };

struct vfio_pci_intx {
	int trigger_fd;
	int unmask_fd;			/* KVM signals it at the guest's EOI */
	uint32_t gsi;
};

struct vfio_pci_msix {
	unsigned int bar;
	uint64_t table_offset;
	uint64_t pba_offset;
	uint64_t pba_size;
	struct msix_table table;
	struct msi_vector *vectors;
};

struct vfio_pci_device {
	struct pci_device function;	/* on the guest's bus */
	unsigned int slot;		/* where on it */
	struct vfio_pci_machine *machine;
	struct vfio_device vfio;
	uint64_t config_offset;		/* of the config region in the device file */
	uint64_t config_size;
	struct config_space config;
	uint16_t command;		/* as the guest last wrote it */
	struct vfio_pci_bar bars[CONFIG_BARS];
	enum vfio_pci_irq_mode irq_mode;
	bool has_intx;
	struct vfio_pci_intx intx;
	struct msi_vector msi;
	bool has_msix;
	struct vfio_pci_msix msix;
};

int vfio_pci_bars_init(struct vfio_pci_device *device, char *why, size_t why_len);
/* Map or unmap each BAR where the config space and the command register say it is. */
void vfio_pci_bars_update(struct vfio_pci_device *device);
void vfio_pci_bars_destroy(struct vfio_pci_device *device);

int vfio_pci_irq_init(struct vfio_pci_device *device, unsigned int slot);
/* After a config write: MSI/MSI-X enabled, disabled or reprogrammed. */
void vfio_pci_irq_update(struct vfio_pci_device *device);
void vfio_pci_msix_vector_update(struct vfio_pci_device *device, unsigned int vector);
void vfio_pci_irq_destroy(struct vfio_pci_device *device);

/* One line on stderr for what goes wrong while the guest runs (there is no caller to return it to). */
void vfio_pci_warn(const struct vfio_pci_device *device, const char *what, int ret);

#endif
