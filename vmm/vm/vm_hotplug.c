/*
 * Devices plugged into and pulled from a running server (ACPI PCI hotplug,
 * vmm/devices/pci_hotplug.h). Attaching plugs the device and tells the
 * guest at once. Detaching is the guest's to finish: sheer asks, the
 * guest's driver lets go and ejects the slot, and only then does the next
 * vm_device_detach() take the device out, so nothing is pulled from under a
 * driver that still uses it. vm->cfg.devices follows what the server holds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "passthru/vfio/passthru_vm.h"
#include "vmm/lib/parse.h"
#include "vmm/virtio/virtio_net.h"
#include "vmm/vm/vm_internal.h"

#define VM_HOTPLUG_FIRST_SLOT 2

static int vm_free_hotplug_slot(const struct vm *vm)
{
	for (unsigned int slot = VM_HOTPLUG_FIRST_SLOT; slot < VM_NIC_FIRST_SLOT; slot++)
		if (!vm->dev.pci.slots[slot])
			return (int)slot;
	return -ENOSPC;
}

static int vm_config_device_index(const struct vm *vm, const char *bdf)
{
	for (unsigned int i = 0; i < vm->cfg.n_devices; i++)
		if (strcmp(vm->cfg.devices[i].pci, bdf) == 0)
			return (int)i;
	return -ENOENT;
}

/*
 * Whether a device paired with NIC i is in the guest, its driver using it
 * (bus mastering on: net_failover has it as the primary), and not asked out.
 */
static bool vm_nic_primary_in(const struct vm *vm, unsigned int i)
{
	for (unsigned int d = 0; d < vm->cfg.n_devices; d++) {
		const char *bdf = vm->cfg.devices[d].pci;
		int slot = passthru_vm_find_slot(vm->passthru, bdf);

		if (strcmp(vm->cfg.devices[d].failover, vm->cfg.nics[i].name) == 0 && slot >= 0 &&
		    !(vm->ejecting & (1U << slot)) && passthru_vm_bus_master(vm->passthru, bdf))
			return true;
	}
	return false;
}

void vm_failover_sync(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_nics; i++)
		virtio_net_set_primary(vm->nics[i], vm_nic_primary_in(vm, i));
}

/* The guest let go of a primary: its traffic goes through the standby now, and the network learns so at once. */
static void vm_failover_released(struct vm *vm, const char *failover)
{
	const struct server_nic *nic = failover[0] ? server_config_nic(&vm->cfg, failover) : NULL;

	if (nic)
		vm_nic_announce(vm, (unsigned int)(nic - vm->cfg.nics));
}

int vm_device_attach(struct vm *vm, const char *bdf, int group_number, int group_fd, const char *failover, char *err,
		     size_t errlen)
{
	char canonical[16];
	int slot, ret;

	if (parse_pci_address(bdf, canonical, sizeof(canonical)) < 0 || group_number < 0) {
		if (group_fd >= 0)
			close(group_fd);
		snprintf(err, errlen, "device %.32s: not a PCI address with its IOMMU group", bdf);
		return -EINVAL;
	}
	pthread_mutex_lock(&vm->devices_lock);
	slot = vm_free_hotplug_slot(vm);
	if (vm->dirty_logging || vm->restore) {
		if (group_fd >= 0)
			close(group_fd);
		snprintf(err, errlen, "device %s: the server is %s; try again after", canonical,
			 vm->restore ? "being restored" : "migrating");
		ret = -EBUSY;
	} else if (slot < 0 || vm->cfg.n_devices >= SERVER_MAX_DEVICES) {
		if (group_fd >= 0)
			close(group_fd);
		snprintf(err, errlen, "device %s: no free hotplug slot (at most %d devices)", canonical, SERVER_MAX_DEVICES);
		ret = -ENOSPC;
	} else {
		ret = passthru_vm_hot_add(vm->passthru, canonical, group_number, group_fd, (unsigned int)slot, err, errlen);
	}
	if (ret == 0) {
		struct server_device *device = &vm->cfg.devices[vm->cfg.n_devices++];

		memset(device, 0, sizeof(*device));
		copy_string(device->pci, sizeof(device->pci), canonical);
		copy_string(device->failover, sizeof(device->failover), failover);
		pci_hotplug_plugged(&vm->dev.hotplug, (unsigned int)slot);
	}
	pthread_mutex_unlock(&vm->devices_lock);
	return ret;
}

static void vm_config_drop_device(struct vm *vm, const char *bdf)
{
	int i = vm_config_device_index(vm, bdf);

	if (i >= 0)
		vm->cfg.devices[i] = vm->cfg.devices[--vm->cfg.n_devices];
}

int vm_device_detach(struct vm *vm, const char *bdf, bool *detached, char *err, size_t errlen)
{
	int slot, ret = 0;

	*detached = false;
	pthread_mutex_lock(&vm->devices_lock);
	slot = passthru_vm_find_slot(vm->passthru, bdf);
	if (slot < 0) {
		snprintf(err, errlen, "device %.32s: the server does not hold it", bdf);
		ret = -ENOENT;
	} else if (pci_hotplug_take_ejected(&vm->dev.hotplug, (unsigned int)slot)) {
		int d = vm_config_device_index(vm, bdf);

		if (d >= 0)
			vm_failover_released(vm, vm->cfg.devices[d].failover);
		ret = passthru_vm_hot_remove(vm->passthru, bdf);
		vm_config_drop_device(vm, bdf);
		vm->ejecting &= ~(1U << slot);
		*detached = ret == 0;
	} else if (!(vm->ejecting & (1U << slot))) {
		vm->ejecting |= 1U << slot;
		/*
		 * The standby carries from now: the guest sends through it once the primary's driver stops,
		 * before it ejects the slot and sheer takes the device out (the next call).
		 */
		vm_failover_sync(vm);
		pci_hotplug_request_eject(&vm->dev.hotplug, (unsigned int)slot);
	}
	pthread_mutex_unlock(&vm->devices_lock);
	return ret;
}

int vm_device_detach_cancel(struct vm *vm, const char *bdf)
{
	int slot;

	pthread_mutex_lock(&vm->devices_lock);
	slot = passthru_vm_find_slot(vm->passthru, bdf);
	if (slot >= 0) {
		pci_hotplug_cancel_eject(&vm->dev.hotplug, (unsigned int)slot);
		vm->ejecting &= ~(1U << slot);
		vm_failover_sync(vm);
	}
	pthread_mutex_unlock(&vm->devices_lock);
	return slot < 0 ? slot : 0;
}

void vm_get_devices(struct vm *vm, struct server_config *cfg)
{
	pthread_mutex_lock(&vm->devices_lock);
	cfg->n_devices = vm->cfg.n_devices;
	memcpy(cfg->devices, vm->cfg.devices, sizeof(cfg->devices));
	pthread_mutex_unlock(&vm->devices_lock);
}
