/*
 * The keyboard controller at ports 0x60 and 0x64, absent (the FADT says so)
 * except for its reset line: the pulse-reset command 0xfe to port 0x64 ends
 * the run with VM_EXIT_REBOOT. It has no state to save.
 */
#ifndef SHEER_VMM_DEVICES_I8042_H
#define SHEER_VMM_DEVICES_I8042_H

#include "vmm/machine/device.h"

struct i8042 {
	const struct machine *machine;
};

extern const struct device_desc i8042_device;

#endif
