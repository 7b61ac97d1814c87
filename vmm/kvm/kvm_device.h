/*
 * The KVM device as an operator meets it: can this user open it, as the VM
 * engine does, and when not, what fixes that. `sheer host check` and the
 * refusal of `sheer run` give the same remedy.
 */
#ifndef SHEER_VMM_KVM_KVM_DEVICE_H
#define SHEER_VMM_KVM_KVM_DEVICE_H

#include <stddef.h>

#define KVM_DEVICE_PATH "/dev/kvm"

/* What lets this user open the KVM device at path after open() failed with errno err. */
void kvm_device_remedy(const char *path, int err, char *remedy, size_t len);
/*
 * Open path read-write and close it again: 0, or -errno with err set to
 * "cannot open /dev/kvm: REASON; fix: REMEDY".
 */
int kvm_device_check(const char *path, char *err, size_t errlen);

#endif
