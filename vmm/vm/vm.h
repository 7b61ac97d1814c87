/*
 * The VM engine: one KVM virtual machine running one logical server.
 * All functions return 0 or a negative errno; the caller reports errors once.
 * The request functions are safe to call from another thread (the control
 * socket) while vm_run() is running.
 */
#ifndef SHEER_VMM_VM_VM_H
#define SHEER_VMM_VM_VM_H

#include <linux/kvm.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmm/lib/report.h"
#include "vmm/machine/config.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/state.h"
#include "vmm/kvm/dirty_log.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/sandbox/sandbox.h"

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
	uint64_t console_dropped;	/* console output bytes its reader was too slow for */
	struct vm_vcpu_status {
		pid_t tid;		/* the vCPU's thread (0 before it runs): /proc/PID/task/TID */
		uint64_t exits[VCPU_EXIT_KINDS];
	} vcpu[SERVER_MAX_CPUS];	/* the first cpus of them */
};

/*
 * Validate the kernel image, create the VM, load the kernel, build ACPI
 * tables. On error *err gets a one-line explanation (e.g. "kernel /x: not a
 * bzImage") and nothing is left behind. Warnings (then and while the VM
 * runs) go to report (may be NULL).
 */
int vm_create(const struct server_config *cfg, const struct report *report, struct vm **out, char *err,
	      size_t errlen);
/* Confine vm_run's threads, and the thread that calls it once they are started (README, "Security"). */
void vm_set_sandbox(struct vm *vm, const struct sandbox *sandbox);
/* Run until the guest stops; *reason says why, *detail a one-line reason on crash. */
int vm_run(struct vm *vm, enum vm_exit_reason *reason, char *detail, size_t detail_len);
/*
 * Before vm_run: start its threads but hold the vCPUs before their first
 * KVM_RUN (state paused) until vm_release(), which another thread calls,
 * before or after vm_run has started them. A migration target gets every
 * thread up while the state still comes in, so its switch-over only
 * releases vCPUs that wait. vm_stop_is_requested: someone asked the run to end.
 */
void vm_hold(struct vm *vm);
void vm_release(struct vm *vm);
bool vm_stop_is_requested(struct vm *vm);
/*
 * After a restore: whether a vCPU's saved TSC frequency could not be set here (no TSC scaling, within
 * 0.1%: vcpu_state.c), with the saved and the host's frequencies, for the caller's warning.
 */
bool vm_tsc_unscaled(const struct vm *vm, uint32_t *saved_khz, uint32_t *host_khz);
/* End the run, or the run to come if vm_run has not started yet, as a VMM error with detail. */
void vm_abort(struct vm *vm, const char *detail);
void vm_destroy(struct vm *vm);

/*
 * Hot-plug (vmm/vm/vm_hotplug.c). attach: bdf, whose IOMMU group the caller
 * opened (group_fd, taken either way), goes into a free slot and the guest is
 * told; failover names the NIC it pairs with ("" none). detach: the first call asks the guest to release bdf; a call after
 * the guest did takes the device out (*detached). cancel: the guest is no
 * longer asked (a release that comes later is ignored). -ENOENT: the server
 * does not hold bdf; err says so.
 */
int vm_device_attach(struct vm *vm, const char *bdf, int group_number, int group_fd, const char *failover, char *err,
		     size_t errlen);
int vm_device_detach(struct vm *vm, const char *bdf, bool *detached, char *err, size_t errlen);
int vm_device_detach_cancel(struct vm *vm, const char *bdf);
/* The devices the server holds now, into cfg->devices. */
void vm_get_devices(struct vm *vm, struct server_config *cfg);
/* The tap NIC i (of cfg->nics) carries its frames on: the one given, or the one sheer made on its bridge; "" none. */
const char *vm_nic_tap(struct vm *vm, unsigned int i);

int vm_press_power_button(struct vm *vm);
int vm_power_off(struct vm *vm);
/* Stop the whole machine: -EALREADY when paused already, -EINVAL when it is not running. */
int vm_pause(struct vm *vm);
/* Let a paused machine go on: -EINVAL when it is not paused, -EBUSY while held (vm_hold). */
int vm_resume(struct vm *vm);
void vm_get_status(struct vm *vm, struct vm_status *status);

/* ---- saving and restoring the whole machine (vmm/vm/vm_state.c) ---- */

struct vm_save_stats {
	uint64_t memory_pages;	/* non-zero 4 KiB pages written */
	uint64_t zero_pages;	/* skipped */
};

/* -EOPNOTSUPP, with err naming the device and why, when the VM's state cannot be saved (passed-through devices). */
enum vm_save_purpose { VM_SAVE_CHECKPOINT, VM_SAVE_MIGRATE };
#define VM_DEVICE_NOT_MIGRATABLE "its DMA writes into guest memory are invisible to KVM's dirty log, so pre-copy would miss them"
int vm_save_refusal(struct vm *vm, enum vm_save_purpose purpose, char *err, size_t errlen);
/* Write the paused VM's whole state to sink as sections; the VM stays paused. */
int vm_save(struct vm *vm, struct state_sink *sink, struct vm_save_stats *stats, char *err, size_t errlen);
/* The guest's CPUID as a section: what another host must offer before it takes the guest. */
int vm_save_cpuid(struct vm *vm, struct state_sink *sink);
/* The same without RAM (a migration sends RAM as dirty pages, vm_dirty_log_*). */
int vm_save_machine_state(struct vm *vm, struct state_sink *sink, char *err, size_t errlen);
/* Track the pages the guest writes (vmm/kvm/dirty_log.h) from now until stop; the VM must not hold devices. */
int vm_dirty_log_start(struct vm *vm, struct dirty_log *log);
void vm_dirty_log_stop(struct vm *vm, struct dirty_log *log);
/*
 * Take pct% of each vCPU's time away (0: none), in 10 ms periods, for
 * migration's auto-converge. While it is on, a timer per vCPU kicks its
 * thread out of KVM_RUN every period, so that even a guest that never exits
 * gets its pause, however busy or blocked the caller is.
 */
int vm_set_throttle(struct vm *vm, unsigned int pct);
/* End a paused VM's run after its state was saved: vm_run returns VM_EXIT_SAVED with detail. */
void vm_stop_saved(struct vm *vm, const char *detail);

/*
 * A VM to restore into: memory zero, vCPUs with the saved CPUID (as
 * cpuid_load() returns it), devices at power-on. Feed it every section with
 * vm_restore_section(), then vm_restore_finish(); only then may it vm_run().
 * cfg must name no passed-through devices.
 */
int vm_create_empty(const struct server_config *cfg, const struct kvm_cpuid2 *cpuid, struct vm **out, char *err,
		    size_t errlen);
int vm_restore_section(struct vm *vm, const struct state_section *s, const void *payload, char *err, size_t errlen);
/* Check every part of the machine came exactly once and apply it; err names what is wrong. */
int vm_restore_finish(struct vm *vm, char *err, size_t errlen);
const char *vm_state_name(enum vm_state state);

#endif
