/*
 * The ways a PC guest resets itself: the reset control register at 0xcf9
 * (the FADT reset register) and the keyboard controller's pulse-reset
 * command (0xfe to port 0x64). A reset ends the run with VM_EXIT_REBOOT.
 * A write of SYS_RST without RST_CPU only announces the reset, so that a
 * triple fault that follows counts as a reboot rather than a crash.
 */
#ifndef SHEER_VMM_DEVICES_RESET_CONTROL_H
#define SHEER_VMM_DEVICES_RESET_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/machine/bus.h"
#include "vmm/machine/machine.h"

struct reset_control {
	const struct machine *machine;
	uint8_t value;
	bool reboot_requested;
};

extern const struct bus_device_ops reset_control_ops;	/* port 0xcf9 */
extern const struct bus_device_ops i8042_ops;		/* ports 0x60 and 0x64 */
extern const struct bus_device_ops sink_ops;		/* reads all ones, ignores writes */

void reset_control_init(struct reset_control *reset, const struct machine *machine);

#endif
