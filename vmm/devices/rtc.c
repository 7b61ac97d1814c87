#include <errno.h>
#include <string.h>
#include <time.h>

#include "vmm/devices/rtc.h"

enum {
	RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04, RTC_WEEKDAY = 0x06,
	RTC_DAY = 0x07, RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};

#define REG_A_DIVIDER_32KHZ	0x26	/* 32.768 kHz base, 1024 Hz rate; UIP never set */
#define REG_B_24H		0x02
#define REG_B_BINARY		0x04
#define REG_D_VALID_RAM		0x80
#define INDEX_MASK		0x7f	/* bit 7 of port 0x70 masks NMI */

#define RTC_STATE_TYPE		STATE_TYPE('R', 'T', 'C', '0')
#define RTC_STATE_VERSION	1

static void rtc_reset(void *dev)
{
	struct rtc *rtc = dev;

	memset(&rtc->s, 0, sizeof(rtc->s));
	rtc->s.cmos[RTC_REG_A] = REG_A_DIVIDER_32KHZ;
	rtc->s.cmos[RTC_REG_B] = REG_B_24H;
	rtc->s.cmos[RTC_REG_D] = REG_D_VALID_RAM;
}

static void rtc_init(void *dev, const struct machine *machine, unsigned int irq)
{
	(void)machine;
	(void)irq;
	rtc_reset(dev);
}

static uint8_t rtc_encode(const struct rtc *rtc, int value)
{
	if (rtc->s.cmos[RTC_REG_B] & REG_B_BINARY)
		return value;
	return (value / 10) << 4 | value % 10;
}

/* Time registers are computed at read time, so the clock never needs ticking. */
static int rtc_time_field(const struct tm *tm, uint8_t index)
{
	switch (index) {
	case RTC_SECONDS: return tm->tm_sec;
	case RTC_MINUTES: return tm->tm_min;
	case RTC_HOURS: return tm->tm_hour;
	case RTC_WEEKDAY: return tm->tm_wday + 1;
	case RTC_DAY: return tm->tm_mday;
	case RTC_MONTH: return tm->tm_mon + 1;
	case RTC_YEAR: return tm->tm_year % 100;
	case RTC_CENTURY: return (tm->tm_year + 1900) / 100;
	default: return -1;
	}
}

static uint8_t rtc_read_register(struct rtc *rtc, uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;
	int field;

	gmtime_r(&now, &tm);
	field = rtc_time_field(&tm, index);
	if (field >= 0)
		return rtc_encode(rtc, field);
	if (index == RTC_REG_C) {
		uint8_t flags = rtc->s.cmos[RTC_REG_C];

		rtc->s.cmos[RTC_REG_C] = 0;	/* reading C acknowledges interrupts */
		return flags;
	}
	return rtc->s.cmos[index];
}

static uint64_t rtc_read(void *dev, uint64_t offset, unsigned int size)
{
	struct rtc *rtc = dev;

	if (size != 1)
		return ~0ULL;
	return offset == 0 ? rtc->s.index : rtc_read_register(rtc, rtc->s.index);
}

static void rtc_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	struct rtc *rtc = dev;

	if (size != 1)
		return;
	if (offset == 0) {
		rtc->s.index = value & INDEX_MASK;
		return;
	}
	/* Setting the clock is ignored: the guest always sees host time. C and D are read-only. */
	if (rtc_time_field(&(struct tm){ 0 }, rtc->s.index) >= 0 || rtc->s.index == RTC_REG_C ||
	    rtc->s.index == RTC_REG_D)
		return;
	rtc->s.cmos[rtc->s.index] = value;
}

static void rtc_save(const void *dev, struct state_writer *w)
{
	const struct rtc *rtc = dev;

	state_put_u8(w, rtc->s.index);
	state_put_bytes(w, rtc->s.cmos, sizeof(rtc->s.cmos));
}

static int rtc_restore(void *dev, struct state_reader *r, uint16_t version)
{
	struct rtc *rtc = dev;
	struct rtc_state s;

	(void)version;
	s.index = state_get_u8(r);
	state_get_bytes(r, s.cmos, sizeof(s.cmos));
	if (s.index > INDEX_MASK)
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	rtc->s = s;
	return 0;
}

static const struct bus_device_ops rtc_ops = { rtc_read, rtc_write };

const struct device_desc rtc_device = {
	.name = "rtc",
	.io = &rtc_ops,
	.init = rtc_init,
	.reset = rtc_reset,
	.state_type = RTC_STATE_TYPE,
	.state_version = RTC_STATE_VERSION,
	.save = rtc_save,
	.restore = rtc_restore,
};
