/*
 * What a device may ask of the machine it is plugged into: drive an
 * interrupt line, end the run (power off, reset), or print on the console. Devices get this
 * instead of the whole VM so that each can be built and tested alone.
 */
#ifndef SHEER_VMM_MACHINE_MACHINE_H
#define SHEER_VMM_MACHINE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vm_exit_reason {
	VM_EXIT_POWEROFF,	/* guest powered itself off (ACPI S5) or operator poweroff */
	VM_EXIT_REBOOT,		/* guest asked for a reset and reboot is not wanted */
	VM_EXIT_CRASH,		/* triple fault / internal error / shutdown exit */
	VM_EXIT_VMM_ERROR,	/* sheer itself failed */
	VM_EXIT_SAVED,		/* its state was saved (checkpoint) and the run ended */
};

struct machine {
	void *opaque;
	void (*set_irq)(void *opaque, unsigned int gsi, bool level);
	void (*stop)(void *opaque, enum vm_exit_reason reason, const char *detail);
	/* Console output: best effort, never blocks the device that writes it. */
	void (*console_write)(void *opaque, const uint8_t *data, size_t len);
};

static inline void machine_set_irq(const struct machine *m, unsigned int gsi, bool level)
{
	m->set_irq(m->opaque, gsi, level);
}

static inline void machine_stop(const struct machine *m, enum vm_exit_reason reason, const char *detail)
{
	m->stop(m->opaque, reason, detail);
}

static inline void machine_console_write(const struct machine *m, const uint8_t *data, size_t len)
{
	m->console_write(m->opaque, data, len);
}

#endif
