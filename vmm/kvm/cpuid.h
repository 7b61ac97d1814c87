/*
 * The CPUID each vCPU sees: what KVM supports, with a topology that matches
 * the MADT (one package, one thread per core, APIC ID = vCPU index) and the
 * hypervisor bit set.
 */
#ifndef SHEER_VMM_KVM_CPUID_H
#define SHEER_VMM_KVM_CPUID_H

#include <linux/kvm.h>
#include <stddef.h>

#include "vmm/machine/state.h"

#define CPUID_MAX_ENTRIES 256

/* Returns a malloc'ed table or NULL with *error set. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd, int *error);
/* A malloc'ed copy with room for CPUID_MAX_ENTRIES; NULL when out of memory or table is larger. */
struct kvm_cpuid2 *cpuid_copy(const struct kvm_cpuid2 *table);
/* Fill out (room for CPUID_MAX_ENTRIES) with supported, adjusted for vCPU id of n_cpus. */
int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int id, unsigned int n_cpus,
		   struct kvm_cpuid2 *out);
/* Bits needed to number n_cpus cores: the shift of the package level in leaf 0xb. */
unsigned int cpuid_core_bits(unsigned int n_cpus);

/*
 * A guest keeps the CPUID it booted with, on whatever host it moves to:
 * the table a VM was built from is saved as section "CPID" and the restored
 * VM is built from it, after checking that this host's KVM supports it.
 */
#define CPUID_STATE_TYPE STATE_TYPE('C', 'P', 'I', 'D')
#define CPUID_STATE_VERSION 1

void cpuid_save(const struct kvm_cpuid2 *table, struct state_writer *w);
/* A malloc'ed table from a payload, or NULL with *error (-EBADMSG, -ENOMEM). */
struct kvm_cpuid2 *cpuid_load(const void *payload, size_t len, int *error);
/*
 * -ENOTSUP when the host's table (KVM_GET_SUPPORTED_CPUID) lacks the guest's
 * vendor or one of its feature bits; err names it ("feature leaf 0x7 ebx bit 5").
 */
int cpuid_check_host(const struct kvm_cpuid2 *guest, const struct kvm_cpuid2 *host, char *err, size_t errlen);
/* The vendor string of leaf 0 ("GenuineIntel"); "" when the table has none. */
void cpuid_vendor(const struct kvm_cpuid2 *table, char out[13]);

#endif
