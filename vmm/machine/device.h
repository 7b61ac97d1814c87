/*
 * The contract every emulated device keeps (after Jailhouse's units and
 * Firecracker's persist): its guest-visible registers live in a state struct
 * apart from its host wiring, and it can be reset, saved as a versioned
 * section and restored from one. The VM is assembled from a table of these
 * (vmm/vm/vm_devices.c); nothing outside that table names a device.
 */
#ifndef SHEER_VMM_MACHINE_DEVICE_H
#define SHEER_VMM_MACHINE_DEVICE_H

#include <stdint.h>

#include "vmm/machine/bus.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/state.h"

struct device_desc {
	const char *name;
	const struct bus_device_ops *io;	/* register accesses */
	/* Wire the device to its machine and interrupt line, and reset it. */
	void (*init)(void *dev, const struct machine *machine, unsigned int irq);
	/* Back to power-on state; the wiring stays. */
	void (*reset)(void *dev);
	uint32_t state_type;			/* its section type; 0: nothing guest-visible to save */
	uint16_t state_version;			/* what save() writes; restore() reads this one and older */
	void (*save)(const void *dev, struct state_writer *w);
	/*
	 * Load a payload of the given version: every value is checked, and on
	 * error (-EBADMSG, -EPROTONOSUPPORT for an unknown version) the device
	 * is left as it was. Re-drives the device's interrupt line to the
	 * restored level, so the caller restores the irqchip afterwards.
	 */
	int (*restore)(void *dev, struct state_reader *r, uint16_t version);
	/* Optional: stop and restart what runs on its own (timers, input). */
	void (*pause)(void *dev);
	void (*resume)(void *dev);
};

/* Decode a whole payload through desc->restore, refusing versions newer than desc's. */
int device_restore(const struct device_desc *desc, void *dev, const void *payload, size_t len, uint16_t version);

#endif
