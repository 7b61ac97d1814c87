/*
 * An address space (I/O ports or MMIO) on which devices claim ranges. vCPU
 * exits are dispatched here; an access that no device claims entirely is
 * counted and ignored, and reads of it return all ones, as on real hardware.
 */
#ifndef SHEER_VMM_MACHINE_BUS_H
#define SHEER_VMM_MACHINE_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/lib/report.h"

#define BUS_MAX_DEVICES 64

struct bus_device_ops {
	/* offset is relative to the claimed base; size is 1, 2, 4 or 8 */
	uint64_t (*read)(void *dev, uint64_t offset, unsigned int size);
	void (*write)(void *dev, uint64_t offset, unsigned int size, uint64_t value);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_device_ops *ops;
	void *dev;
	const char *name;
};

struct bus {
	const char *name;
	pthread_mutex_t *lock;		/* serialises every device of the machine */
	unsigned int n_ranges;
	struct bus_range ranges[BUS_MAX_DEVICES];	/* narrowest first */
	uint64_t unhandled;
	unsigned int trace_unhandled;	/* how many more unhandled accesses to report to trace */
	const struct report *trace;
};

void bus_init(struct bus *bus, const char *name, pthread_mutex_t *lock);
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_device_ops *ops,
		 void *dev, const char *name);
/* Remove the range a device claimed at base (a BAR the guest moves or stops decoding). */
int bus_unregister(struct bus *bus, uint64_t base, void *dev);
/* data holds size bytes, little endian; returns true when a device handled it. */
bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size, bool is_write);
uint64_t bus_unhandled(struct bus *bus);

#endif
