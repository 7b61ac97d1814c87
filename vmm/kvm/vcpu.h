/*
 * One virtual CPU: its KVM fd and shared kvm_run page, its initial state,
 * and one step of its run loop (enter the guest, dispatch the exit).
 */
#ifndef SHEER_VMM_KVM_VCPU_H
#define SHEER_VMM_KVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine/bus.h"
#include "vmm/machine/machine.h"

/* The signal that knocks a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

/* Why KVM_RUN came back to sheer: what the metrics count per vCPU (sheer_kvm_exits_total). */
enum vcpu_exit_kind {
	VCPU_EXIT_IO,		/* port I/O for an emulated device */
	VCPU_EXIT_MMIO,
	VCPU_EXIT_INTR,		/* a signal: a kick (pause, throttle, stop) */
	VCPU_EXIT_OTHER,	/* shutdown, system events, failures */
	VCPU_EXIT_KINDS,
};

/* "io", "mmio", "intr", "other": the metrics' kind label. */
const char *vcpu_exit_kind_name(enum vcpu_exit_kind kind);

struct vcpu {
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	pid_t tid;		/* the thread's, once it runs (atomic): its throttle timer signals it */
	bool thread_started;
	bool access_unfinished;	/* an IO/MMIO exit KVM completes on the next KVM_RUN (vcpu_settle) */
	uint32_t tsc_khz_unscaled;	/* restored: the saved TSC frequency this KVM could not set (0: none) */
	uint32_t tsc_khz_host;		/* ... and the one the guest runs at instead */
	void *owner;		/* the VM, for the thread's entry point */
	uint64_t exits[VCPU_EXIT_KINDS];	/* atomic: read by the control thread while the vCPU runs */
};

/* Why a vCPU stopped the guest. */
struct vcpu_stop {
	enum vm_exit_reason reason;
	bool triple_fault;
	char detail[160];
};

enum vcpu_step {
	VCPU_STEP_CONTINUE,	/* exit handled, enter again */
	VCPU_STEP_KICKED,	/* another thread wants attention */
	VCPU_STEP_STOP,		/* the guest stopped: see struct vcpu_stop */
};

int vcpu_create(struct vcpu *vcpu, int vm_fd, unsigned int id, size_t run_size);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_set_cpuid(struct vcpu *vcpu, struct kvm_cpuid2 *cpuid);
int vcpu_init_lapic(struct vcpu *vcpu);
int vcpu_wait_for_sipi(struct vcpu *vcpu);
int vcpu_step(struct vcpu *vcpu, struct bus *pio, struct bus *mmio, struct vcpu_stop *stop);
int vcpu_settle(struct vcpu *vcpu, struct bus *pio, struct bus *mmio);
void vcpu_kick(struct vcpu *vcpu);

#endif
