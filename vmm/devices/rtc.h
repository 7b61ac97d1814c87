/* The MC146818 CMOS clock at ports 0x70/0x71, reading the host's current UTC time. */
#ifndef SHEER_VMM_DEVICES_RTC_H
#define SHEER_VMM_DEVICES_RTC_H

#include <stdint.h>

#include "vmm/machine/device.h"

#define RTC_CMOS_SIZE 128

/* Section "RTC0". The time itself is not state: it is the host's, read at every access. */
struct rtc_state {
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE];
};

struct rtc {
	struct rtc_state s;
};

extern const struct device_desc rtc_device;

#endif
