/*
 * A logical server's passed-through devices inside its VM: one VFIO
 * container with all guest RAM mapped for DMA (iova = guest physical), the
 * devices' IOMMU groups in it, and a device model per function on the
 * guest's PCI bus, from slot 2 on.
 */
#ifndef SHEER_PASSTHRU_VFIO_PASSTHRU_VM_H
#define SHEER_PASSTHRU_VFIO_PASSTHRU_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/machine/config.h"

struct bus;
struct guest_memory;
struct pci_bus;
struct resources;
struct irq_routing;
struct report;
struct passthru_vm;

struct passthru_vm_env {
	int vm_fd;
	struct guest_memory *mem;
	struct pci_bus *pci;
	struct bus *pio;
	struct bus *mmio;
	struct resources *res;
	struct irq_routing *routing;
	const struct report *report;
	void (*master_changed)(void *owner);	/* the guest took a device up or let it go (bus mastering) */
	void *owner;
};

/*
 * On error *err says which device and why. Without devices, the container
 * is still opened (for devices hot-plugged later) when this host has VFIO;
 * *out is NULL when it has not.
 */
int passthru_vm_attach(const struct server_config *cfg, const struct passthru_vm_env *env, struct passthru_vm **out,
		       char *err, size_t errlen);
void passthru_vm_detach(struct passthru_vm *pv);
/* Stop (quiet) or let again every device's DMA, for a paused machine; nothing for NULL. -EIO: one refused. */
int passthru_vm_quiesce(struct passthru_vm *pv, bool quiet);
/*
 * Hot-plug: bdf, in IOMMU group group_number, whose group another process
 * opened (group_fd, taken either way), into guest slot; guest RAM is mapped
 * for DMA with the first group. Nothing is left of it on error.
 */
int passthru_vm_hot_add(struct passthru_vm *pv, const char *bdf, int group_number, int group_fd, unsigned int slot,
			char *err, size_t errlen);
/* The guest slot bdf is in, or -ENOENT. */
int passthru_vm_find_slot(const struct passthru_vm *pv, const char *bdf);
/* Whether the guest's driver has bdf's bus mastering on (it uses the device); false for one not held. */
bool passthru_vm_bus_master(const struct passthru_vm *pv, const char *bdf);
/* Unplug, reset and close bdf (the guest let go of it); its group leaves with its last device. -ENOENT. */
int passthru_vm_hot_remove(struct passthru_vm *pv, const char *bdf);
/* Time it took to map guest RAM for DMA; 0 for NULL (no devices). */
uint64_t passthru_vm_dma_map_ns(const struct passthru_vm *pv);

#endif
