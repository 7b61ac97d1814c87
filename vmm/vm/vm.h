/*
 * The VM engine: one KVM virtual machine running one logical server.
 * All functions return 0 or a negative errno; the caller reports errors once.
 * The request functions are safe to call from another thread (the control
 * socket) while vm_run() is running.
 */
#ifndef SHEER_VMM_VM_VM_H
#define SHEER_VMM_VM_VM_H

#include <stdint.h>

#include "vmm/machine/config.h"
#include "vmm/machine/machine.h"

struct vm;

enum vm_state {
	VM_STATE_CREATED,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_SHUTTING_DOWN,	/* power button pressed, waiting for the guest */
	VM_STATE_STOPPED,
};

struct vm_status {
	enum vm_state state;
	unsigned int cpus;
	uint64_t memory_bytes;
	uint64_t uptime_ns;
	uint64_t exits;			/* userspace exits handled */
	uint64_t unhandled_accesses;	/* port/MMIO accesses no device claimed */
	uint64_t dma_map_ns;		/* time to map guest RAM for device DMA; 0 without devices */
};

/*
 * Validate the kernel image, create the VM, load the kernel, build ACPI
 * tables. On error *err gets a one-line explanation (e.g. "kernel /x: not a
 * bzImage") and nothing is left behind.
 */
int vm_create(const struct server_config *cfg, struct vm **out, char *err, size_t errlen);
/* Run until the guest stops; *reason says why, *detail a one-line reason on crash. */
int vm_run(struct vm *vm, enum vm_exit_reason *reason, char *detail, size_t detail_len);
void vm_destroy(struct vm *vm);

int vm_press_power_button(struct vm *vm);
int vm_power_off(struct vm *vm);
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
void vm_get_status(struct vm *vm, struct vm_status *status);
const char *vm_state_name(enum vm_state state);

#endif
