/*
 * The reset control register at 0xcf9 (the FADT's reset register). Writing
 * RST_CPU resets the machine, which ends the run with VM_EXIT_REBOOT. A write
 * of SYS_RST alone only announces the reset, so that a triple fault that
 * follows counts as a reboot rather than a crash.
 */
#ifndef SHEER_VMM_DEVICES_RESET_CONTROL_H
#define SHEER_VMM_DEVICES_RESET_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/machine/device.h"

/* Section "CF90". */
struct reset_control_state {
	uint8_t value;
	bool reboot_requested;
};

struct reset_control {
	struct reset_control_state s;
	const struct machine *machine;
};

extern const struct device_desc reset_control_device;	/* port 0xcf9 */

/* Has the guest announced a reset? Call with the device lock held. */
bool reset_control_reboot_requested(const struct reset_control *reset);

#endif
