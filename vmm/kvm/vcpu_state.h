/*
 * A vCPU's whole architectural state as KVM holds it, saved as section
 * "VCPU" (instance = vCPU index) and restored into a new vCPU. The order of
 * the ioctls matters and is explained in vcpu_state.c.
 */
#ifndef SHEER_VMM_KVM_VCPU_STATE_H
#define SHEER_VMM_KVM_VCPU_STATE_H

#include <linux/kvm.h>
#include <stddef.h>

#include "vmm/kvm/vcpu.h"
#include "vmm/machine/state.h"

#define VCPU_STATE_TYPE STATE_TYPE('V', 'C', 'P', 'U')
#define VCPU_STATE_VERSION 1

/*
 * What every vCPU of one VM saves alike: the MSRs KVM can save and read back
 * on this host (KVM_GET_MSR_INDEX_LIST, those that fail to read dropped,
 * TSC first) and the size of the XSAVE area.
 */
struct vcpu_state_plan {
	unsigned int n_msrs;
	uint32_t *msrs;
	size_t xsave_size;
};

/* Build the plan from /dev/kvm (kvm_fd) and one vCPU; -errno. */
int vcpu_state_plan_init(struct vcpu_state_plan *plan, int kvm_fd, const struct vcpu *vcpu);
void vcpu_state_plan_free(struct vcpu_state_plan *plan);

/* Save the vCPU (stopped: its thread is outside KVM_RUN) into w; -errno from KVM. */
int vcpu_state_save(const struct vcpu *vcpu, const struct vcpu_state_plan *plan, struct state_writer *w);
/*
 * Restore a payload into a new vCPU that already has its CPUID. -EBADMSG for
 * a malformed payload; KVM's own refusal otherwise, with err naming the step
 * ("MSR 0xc0000080", "LAPIC").
 */
int vcpu_state_restore(struct vcpu *vcpu, const void *payload, size_t len, char *err, size_t errlen);

#endif
