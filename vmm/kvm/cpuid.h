/*
 * The CPUID each vCPU sees: what KVM supports, with a topology that matches
 * the MADT (one package, one thread per core, APIC ID = vCPU index) and the
 * hypervisor bit set.
 */
#ifndef SHEER_VMM_KVM_CPUID_H
#define SHEER_VMM_KVM_CPUID_H

#include <linux/kvm.h>

#define CPUID_MAX_ENTRIES 256

/* Returns a malloc'ed table or NULL with *error set. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd, int *error);
/* Fill out (room for CPUID_MAX_ENTRIES) with supported, adjusted for vCPU id of n_cpus. */
int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int id, unsigned int n_cpus,
		   struct kvm_cpuid2 *out);
/* Bits needed to number n_cpus cores: the shift of the package level in leaf 0xb. */
unsigned int cpuid_core_bits(unsigned int n_cpus);

#endif
