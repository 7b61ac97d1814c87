/*
 * What a device may ask of the machine it is plugged into: drive an
 * interrupt line, or end the run (power off, reset). Devices get this
 * instead of the whole VM so that each can be built and tested alone.
 */
#ifndef SHEER_MACHINE_H
#define SHEER_MACHINE_H

#include <stdbool.h>

#include "vmm/vm.h"

struct machine {
	void *opaque;
	void (*set_irq)(void *opaque, unsigned int gsi, bool level);
	void (*stop)(void *opaque, enum vm_exit_reason reason, const char *detail);
};

static inline void machine_set_irq(const struct machine *m, unsigned int gsi, bool level)
{
	m->set_irq(m->opaque, gsi, level);
}

static inline void machine_stop(const struct machine *m, enum vm_exit_reason reason, const char *detail)
{
	m->stop(m->opaque, reason, detail);
}

#endif
