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
	{ &pm_device, IN_VM(pm), IRQ_SCI, { { VM_BUS_PIO, PORT_PM_BASE, 12, NULL } } },
	{ &i8042_device, IN_VM(i8042), 0, { { VM_BUS_PIO, PORT_I8042_DATA, 5, NULL } } },
	{ &post_device, -1, 0, { { VM_BUS_PIO, PORT_POST, 1, NULL } } },
	{ &fw_cfg_device, IN_VM(fw_cfg), 0, { { VM_BUS_PIO, PORT_FW_CFG, 2, NULL } } },
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
	return 0;
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
	return ret;
}

int vm_devices_restore(struct vm *vm, const struct state_section *s, const void *payload, bool *restored)
{
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
	(void)vm;
	for (size_t i = 0; i < VM_N_DEVICES; i++)
		if (vm_device_table[i].desc->save && !restored[i])
			return vm_device_table[i].desc->name;
	return NULL;
}

void vm_devices_pause(struct vm *vm)
{
	for (size_t i = 0; i < VM_N_DEVICES; i++)
		if (vm_device_table[i].desc->pause)
			vm_device_table[i].desc->pause(vm_device(vm, &vm_device_table[i]));
	console_set_paused(&vm->console, true);
}

void vm_devices_resume(struct vm *vm)
{
	console_set_paused(&vm->console, false);
	for (size_t i = 0; i < VM_N_DEVICES; i++)
		if (vm_device_table[i].desc->resume)
			vm_device_table[i].desc->resume(vm_device(vm, &vm_device_table[i]));
}
