/* The MC146818 CMOS clock at ports 0x70/0x71, reading the host's current UTC time. */
#ifndef SHEER_VMM_DEVICES_RTC_H
#define SHEER_VMM_DEVICES_RTC_H

#include <stdint.h>

#include "vmm/machine/bus.h"

#define RTC_CMOS_SIZE 128

struct rtc {
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE];
};

extern const struct bus_device_ops rtc_ops;

void rtc_init(struct rtc *rtc);

#endif
