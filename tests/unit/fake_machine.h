/*
 * A machine for unit-testing devices alone: it records the interrupt lines
 * and stops a device asks for, and drops console output.
 */
#ifndef SHEER_TESTS_UNIT_FAKE_MACHINE_H
#define SHEER_TESTS_UNIT_FAKE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine/machine.h"

struct recorded {
	int irq_calls;
	unsigned int gsi;
	bool level;
	int stops;
	enum vm_exit_reason reason;
};

static inline void record_irq(void *opaque, unsigned int gsi, bool level)
{
	struct recorded *r = opaque;

	r->irq_calls++;
	r->gsi = gsi;
	r->level = level;
}

static inline void record_stop(void *opaque, enum vm_exit_reason reason, const char *detail)
{
	struct recorded *r = opaque;

	(void)detail;
	r->stops++;
	r->reason = reason;
}

static inline void record_console(void *opaque, const uint8_t *data, size_t len)
{
	(void)opaque;
	(void)data;
	(void)len;
}

/* A machine whose callbacks record into r. */
static inline struct machine recorded_machine(struct recorded *r)
{
	return (struct machine){ r, record_irq, record_stop, record_console };
}

#endif
