/*
 * The machine's emulated devices as one table: where each lives in struct
 * vm, its interrupt line and the bus ranges it claims. Creating, saving,
 * restoring, pausing and resuming the devices all walk this table, so a new
 * device is one line here plus its own file under vmm/devices/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devices/post.h"
#include "vmm/machine/layout.h"
#include "vmm/virtio/virtio_net.h"
#include "vmm/vm/vm_internal.h"

enum vm_bus { VM_BUS_NONE, VM_BUS_PIO, VM_BUS_MMIO };

struct vm_device_range {
	enum vm_bus bus;
	uint64_t base, len;
	const struct bus_device_ops *ops;	/* NULL: the device's own */
};

struct vm_device_slot {
	const struct device_desc *desc;
	ptrdiff_t offset;	/* of the device in struct vm; -1: it keeps no data */
	unsigned int irq;
	struct vm_device_range ranges[2];
};

#define IN_VM(field) offsetof(struct vm, dev.field)

static const struct vm_device_slot vm_device_table[] = {
	{ &serial_device, IN_VM(com1), IRQ_COM1, { { VM_BUS_PIO, PORT_COM1, 8, NULL } } },
	{ &rtc_device, IN_VM(rtc), IRQ_RTC, { { VM_BUS_PIO, PORT_RTC, 2, NULL } } },
	{ &pci_bus_device, IN_VM(pci), 0,
	  { { VM_BUS_PIO, PORT_PCI_CONFIG, 8, NULL }, { VM_BUS_MMIO, LAYOUT_ECAM, LAYOUT_ECAM_SIZE, &pci_ecam_ops } } },
	{ &reset_control_device, IN_VM(reset), 0, { { VM_BUS_PIO, PORT_RESET_CONTROL, 1, NULL } } },
	{ &pm_device, IN_VM(pm), IRQ_SCI, { { VM_BUS_PIO, PORT_PM_BASE, 16, NULL } } },
	{ &i8042_device, IN_VM(i8042), 0, { { VM_BUS_PIO, PORT_I8042_DATA, 5, NULL } } },
	{ &post_device, -1, 0, { { VM_BUS_PIO, PORT_POST, 1, NULL } } },
	{ &fw_cfg_device, IN_VM(fw_cfg), 0, { { VM_BUS_PIO, PORT_FW_CFG, 2, NULL } } },
	{ &pci_hotplug_device, IN_VM(hotplug), 0, { { VM_BUS_PIO, PORT_PCI_HOTPLUG, PCI_HOTPLUG_PORTS, NULL } } },
};

#define VM_N_DEVICES (sizeof(vm_device_table) / sizeof(vm_device_table[0]))

unsigned int vm_devices_count(void)
{
	return VM_N_DEVICES;
}

static void *vm_device(struct vm *vm, const struct vm_device_slot *slot)
{
	return slot->offset < 0 ? NULL : (char *)vm + slot->offset;
}

static int vm_device_plug(struct vm *vm, const struct vm_device_slot *slot)
{
	void *dev = vm_device(vm, slot);

	if (slot->desc->init)
		slot->desc->init(dev, &vm->machine, slot->irq);
	for (size_t r = 0; r < 2 && slot->ranges[r].bus != VM_BUS_NONE; r++) {
		const struct vm_device_range *range = &slot->ranges[r];
		struct bus *bus = range->bus == VM_BUS_PIO ? &vm->pio : &vm->mmio;
		int ret = bus_register(bus, range->base, range->len, range->ops ? range->ops : slot->desc->io, dev,
				       slot->desc->name);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Hotplug events reach the guest as a GPE of the PM block (devices lock held by the caller). */
static void vm_hotplug_raise(void *ctx)
{
	struct vm *vm = ctx;

	pm_raise_gpe(&vm->dev.pm, GPE_PCI_HOTPLUG);
}

int vm_devices_add(struct vm *vm, char *err, size_t errlen)
{
	bus_init(&vm->pio, "port", &vm->devices_lock);
	bus_init(&vm->mmio, "mmio", &vm->devices_lock);
	if (getenv("SHEER_TRACE_UNHANDLED")) {
		vm->pio.trace_unhandled = vm->mmio.trace_unhandled = atoi(getenv("SHEER_TRACE_UNHANDLED"));
		vm->pio.trace = vm->mmio.trace = &vm->report;
	}
	for (size_t i = 0; i < VM_N_DEVICES; i++) {
		int ret = vm_device_plug(vm, &vm_device_table[i]);

		if (ret < 0) {
			snprintf(err, errlen, "%s: %s", vm_device_table[i].desc->name, strerror(-ret));
			return ret;
		}
	}
	vm->dev.hotplug.raise = vm_hotplug_raise;
	vm->dev.hotplug.ctx = vm;
	return 0;
}

const char *vm_nic_tap(struct vm *vm, unsigned int i)
{
	return i < vm->n_nics && vm->nics[i] ? vm->nics[i]->tap.name : "";
}

int vm_nics_add(struct vm *vm, char *err, size_t errlen)
{
	const struct virtio_pci_env env = { vm->vm_fd, &vm->mmio, &vm->routing, &vm->res,
					    LAYOUT_HIGH_RAM + vm->mem.high_size };

	for (unsigned int i = 0; i < vm->cfg.n_nics; i++) {
		struct virtio_net *net = calloc(1, sizeof(*net));
		int ret;

		if (!net)
			return snprintf(err, errlen, "NIC %s: out of memory", vm->cfg.nics[i].name), -ENOMEM;
		ret = virtio_net_create(net, &vm->cfg.nics[i], &env, &vm->mem, err, errlen);
		if (ret == 0 && (ret = pci_bus_add(&vm->dev.pci, VM_NIC_FIRST_SLOT + i, &net->pci.function)) < 0) {
			snprintf(err, errlen, "NIC %s: PCI slot %u: %s", vm->cfg.nics[i].name, VM_NIC_FIRST_SLOT + i,
				 strerror(-ret));
			virtio_net_destroy(net);
		}
		if (ret < 0) {
			free(net);
			return ret;
		}
		vm->nics[vm->n_nics++] = net;
	}
	return 0;
}

void vm_nics_remove(struct vm *vm)
{
	while (vm->n_nics > 0) {
		struct virtio_net *net = vm->nics[--vm->n_nics];

		vm->dev.pci.slots[VM_NIC_FIRST_SLOT + vm->n_nics] = NULL;
		virtio_net_destroy(net);
		free(net);
	}
}

static int vm_nics_save(struct vm *vm, struct state_sink *sink)
{
	int ret = 0;

	for (unsigned int i = 0; i < vm->n_nics && ret == 0; i++) {
		struct state_writer w;

		state_writer_init(&w);
		virtio_net_save(vm->nics[i], &w);
		ret = state_sink_writer(sink, VIRTIO_NET_STATE_TYPE, VIRTIO_NET_STATE_VERSION, i, &w);
		state_writer_free(&w);
	}
	return ret;
}

/* A NIC's section: restored[VM_N_DEVICES + i] says NIC i has had its. */
static int vm_nic_restore(struct vm *vm, const struct state_section *s, const void *payload, bool *restored)
{
	struct state_reader r;

	if (s->instance >= vm->n_nics)
		return -ENOENT;
	if (s->version != VIRTIO_NET_STATE_VERSION)
		return -EPROTONOSUPPORT;
	if (restored[VM_N_DEVICES + s->instance])
		return -EEXIST;
	restored[VM_N_DEVICES + s->instance] = true;
	state_reader_init(&r, payload, s->length);
	return virtio_net_restore(vm->nics[s->instance], &r);
}

void vm_devices_resync(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_nics; i++)
		virtio_pci_resync(&vm->nics[i]->pci);
}

void vm_nic_announce(struct vm *vm, unsigned int i)
{
	if (virtio_pci_driver_ok(&vm->nics[i]->pci))
		virtio_net_announce(vm->nics[i]);
}

void vm_devices_announce(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_nics; i++)
		vm_nic_announce(vm, i);
}

int vm_devices_save(struct vm *vm, struct state_sink *sink)
{
	int ret = 0;

	for (size_t i = 0; i < VM_N_DEVICES && ret == 0; i++) {
		const struct vm_device_slot *slot = &vm_device_table[i];
		struct state_writer w;

		if (!slot->desc->save)
			continue;
		state_writer_init(&w);
		slot->desc->save(vm_device(vm, slot), &w);
		ret = state_sink_writer(sink, slot->desc->state_type, slot->desc->state_version, 0, &w);
		state_writer_free(&w);
	}
	return ret == 0 ? vm_nics_save(vm, sink) : ret;
}

int vm_devices_restore(struct vm *vm, const struct state_section *s, const void *payload, bool *restored)
{
	if (s->type == VIRTIO_NET_STATE_TYPE)
		return vm_nic_restore(vm, s, payload, restored);
	for (size_t i = 0; i < VM_N_DEVICES; i++) {
		const struct vm_device_slot *slot = &vm_device_table[i];

		if (!slot->desc->save || slot->desc->state_type != s->type || s->instance != 0)
			continue;
		if (restored[i])
			return -EEXIST;
		restored[i] = true;
		return device_restore(slot->desc, vm_device(vm, slot), payload, s->length, s->version);
	}
	return -ENOENT;
}

const char *vm_devices_missing(const struct vm *vm, const bool *restored)
{
	for (size_t i = 0; i < VM_N_DEVICES; i++)
		if (vm_device_table[i].desc->save && !restored[i])
			return vm_device_table[i].desc->name;
	for (unsigned int i = 0; i < vm->n_nics; i++)
		if (!restored[VM_N_DEVICES + i])
			return vm->cfg.nics[i].name;
	return NULL;
}

void vm_devices_pause(struct vm *vm)
{
	for (size_t i = 0; i < VM_N_DEVICES; i++)
		if (vm_device_table[i].desc->pause)
			vm_device_table[i].desc->pause(vm_device(vm, &vm_device_table[i]));
	for (unsigned int i = 0; i < vm->n_nics; i++)
		virtio_net_pause(vm->nics[i]);
	console_set_paused(&vm->console, true);
}

void vm_devices_resume(struct vm *vm)
{
	console_set_paused(&vm->console, false);
	for (unsigned int i = 0; i < vm->n_nics; i++)
		virtio_net_resume(vm->nics[i]);
	for (size_t i = 0; i < VM_N_DEVICES; i++)
		if (vm_device_table[i].desc->resume)
			vm_device_table[i].desc->resume(vm_device(vm, &vm_device_table[i]));
}
