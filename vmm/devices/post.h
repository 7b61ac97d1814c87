/*
 * Port 0x80, where firmware and Linux write POST codes and Linux's I/O delay
 * lands: writes are dropped, reads return all ones. No state.
 */
#ifndef SHEER_VMM_DEVICES_POST_H
#define SHEER_VMM_DEVICES_POST_H

#include "vmm/machine/device.h"

extern const struct device_desc post_device;

#endif
