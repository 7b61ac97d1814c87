/*
 * The boot CPU as the Linux 64-bit boot protocol wants it at the kernel's
 * entry: long mode on the identity-mapped page tables boot_linux built, flat
 * segments, rsi pointing at the zero page.
 */
#ifndef SHEER_VMM_BOOT_BOOT_CPU_H
#define SHEER_VMM_BOOT_BOOT_CPU_H

#include "vmm/boot/boot_linux.h"
#include "vmm/kvm/vcpu.h"

/* Load entry's registers into vcpu; 0 or a negative errno from KVM. */
int boot_cpu_enter_64bit(struct vcpu *vcpu, const struct boot_entry *entry);

#endif
