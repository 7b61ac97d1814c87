/*
 * The VM-wide state KVM keeps in the kernel: the i8254 PIT, the two i8259
 * PICs, the IO-APIC and the KVM clock. Each is a section of its own:
 * "PIT2", "PIC0" (instance 0 master, 1 slave), "IOAP", "CLCK".
 */
#ifndef SHEER_VMM_KVM_PLATFORM_STATE_H
#define SHEER_VMM_KVM_PLATFORM_STATE_H

#include <stdint.h>

#include "vmm/machine/state.h"

#define PIT_STATE_TYPE STATE_TYPE('P', 'I', 'T', '2')
#define PIC_STATE_TYPE STATE_TYPE('P', 'I', 'C', '0')
#define IOAPIC_STATE_TYPE STATE_TYPE('I', 'O', 'A', 'P')
#define CLOCK_STATE_TYPE STATE_TYPE('C', 'L', 'C', 'K')
#define PLATFORM_STATE_VERSION 1

/*
 * Write the four kinds of sections; -errno from KVM or the sink. clock_ns is
 * the KVM clock when the guest was paused: it must not count the pause.
 */
int platform_state_save(int vm_fd, uint64_t clock_ns, struct state_sink *sink);
/*
 * Apply one section of the types above. -EBADMSG for a malformed payload,
 * KVM's error otherwise; -ENOENT when type is none of them.
 */
int platform_state_restore(int vm_fd, const struct state_section *s, const void *payload);

/* The guest's KVM clock, so that a paused guest does not see the pause: read at pause, set at resume. */
int platform_clock_get(int vm_fd, uint64_t *ns);
int platform_clock_set(int vm_fd, uint64_t ns);

#endif
