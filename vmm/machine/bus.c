#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/machine/bus.h"
#include "vmm/lib/le.h"

void bus_init(struct bus *bus, const char *name, pthread_mutex_t *lock)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	bus->lock = lock;
}

static bool range_contains(const struct bus_range *r, uint64_t addr, uint64_t len)
{
	return addr >= r->base && len <= r->len && addr - r->base <= r->len - len;
}

/*
 * Overlaps are allowed so that a one-byte register (reset control at 0xcf9)
 * can sit inside a wider one (PCI config at 0xcf8); keeping the table sorted
 * narrowest first makes the most specific claim win.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_device_ops *ops,
		 void *dev, const char *name)
{
	unsigned int at;

	if (len == 0 || base + len - 1 < base || !ops)
		return -EINVAL;
	if (bus->n_ranges == BUS_MAX_DEVICES)
		return -ENOSPC;
	for (at = 0; at < bus->n_ranges && bus->ranges[at].len <= len; at++)
		;
	memmove(&bus->ranges[at + 1], &bus->ranges[at], (bus->n_ranges - at) * sizeof(bus->ranges[0]));
	bus->ranges[at] = (struct bus_range){ base, len, ops, dev, name };
	bus->n_ranges++;
	return 0;
}

int bus_unregister(struct bus *bus, uint64_t base, void *dev)
{
	for (unsigned int i = 0; i < bus->n_ranges; i++) {
		if (bus->ranges[i].base != base || bus->ranges[i].dev != dev)
			continue;
		memmove(&bus->ranges[i], &bus->ranges[i + 1], (bus->n_ranges - i - 1) * sizeof(bus->ranges[0]));
		bus->n_ranges--;
		return 0;
	}
	return -ENOENT;
}

static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned int size)
{
	for (unsigned int i = 0; i < bus->n_ranges; i++)
		if (range_contains(&bus->ranges[i], addr, size))
			return &bus->ranges[i];
	return NULL;
}

/* A debugging aid (SHEER_TRACE_UNHANDLED=N): which accesses a guest makes that no device claims. */
static void bus_trace_unhandled(struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int size,
				bool is_write)
{
	uint64_t value = size <= 8 ? le_get(data, size) : 0;

	bus->trace_unhandled--;
	if (is_write)
		report_warn(bus->trace, "unhandled %s write 0x%llx size %u value 0x%llx", bus->name,
			(unsigned long long)addr, size, (unsigned long long)value);
	else
		report_warn(bus->trace, "unhandled %s read 0x%llx size %u", bus->name, (unsigned long long)addr,
			size);
}

bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size, bool is_write)
{
	const struct bus_range *r = NULL;
	bool valid_size = size == 1 || size == 2 || size == 4 || size == 8;

	pthread_mutex_lock(bus->lock);
	if (valid_size)
		r = bus_find(bus, addr, size);
	if (!r) {
		__atomic_add_fetch(&bus->unhandled, 1, __ATOMIC_RELAXED);
		if (bus->trace_unhandled)
			bus_trace_unhandled(bus, addr, data, size, is_write);
		if (!is_write && size <= 8)
			memset(data, 0xff, size);
	} else if (is_write) {
		if (r->ops->write)
			r->ops->write(r->dev, addr - r->base, size, le_get(data, size));
	} else {
		uint64_t value = r->ops->read ? r->ops->read(r->dev, addr - r->base, size) : ~0ULL;

		le_put(data, value, size);
	}
	pthread_mutex_unlock(bus->lock);
	return r != NULL;
}

/* Lock-free, so that a status request never waits behind a device (a console write to a full pipe). */
uint64_t bus_unhandled(struct bus *bus)
{
	return __atomic_load_n(&bus->unhandled, __ATOMIC_RELAXED);
}
