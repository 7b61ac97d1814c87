#include <time.h>

#include "vmm/machine/layout.h"
#include "vmm/devices/pm.h"

enum { PM1_STS = 0, PM1_EN = 2, PM1_CNT = 4, PM_TMR = 8, PM_END = 12 };

#define PM1_STS_TMR		(1U << 0)
#define PM1_STS_GBL		(1U << 5)
#define PM1_STS_RTC		(1U << 10)
#define PM1_STS_WAK		(1U << 15)
#define PM1_EVENTS		(PM1_STS_TMR | PM1_STS_GBL | PM1_STS_PWRBTN | PM1_STS_RTC)
#define PM1_CNT_SLP_TYP_MASK	(7U << PM1_CNT_SLP_TYP_SHIFT)
#define PM_TIMER_HZ		3579545ULL
#define NS_PER_S		1000000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

void pm_init(struct pm *pm, const struct machine *machine)
{
	/* SCI_EN set from the start: with no SMI command port the OS finds ACPI mode on. */
	*pm = (struct pm){ .machine = machine, .control = PM1_CNT_SCI_EN, .timer_start_ns = now_ns() };
}

static void pm_update_sci(struct pm *pm)
{
	bool level = (pm->status & pm->enable & PM1_EVENTS) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		machine_set_irq(pm->machine, IRQ_SCI, level);
	}
}

void pm_press_power_button(struct pm *pm)
{
	pm->status |= PM1_STS_PWRBTN;
	pm_update_sci(pm);
}

static uint32_t pm_timer(const struct pm *pm)
{
	uint64_t ns = now_ns() - pm->timer_start_ns;

	return (ns / NS_PER_S * PM_TIMER_HZ + ns % NS_PER_S * PM_TIMER_HZ / NS_PER_S) & 0xffffff;
}

static uint8_t pm_read_byte(const struct pm *pm, unsigned int offset)
{
	unsigned int shift = 8 * (offset % 2);

	switch (offset & ~1U) {
	case PM1_STS: return pm->status >> shift;
	case PM1_EN: return pm->enable >> shift;
	case PM1_CNT: return (pm->control & ~PM1_CNT_SLP_EN) >> shift;
	default: return pm_timer(pm) >> (8 * (offset - PM_TMR));
	}
}

static void pm_sleep(struct pm *pm)
{
	unsigned int type = (pm->control & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;

	pm->control &= ~PM1_CNT_SLP_EN;
	/* Only S5 is announced in the DSDT; other sleep types are not entered. */
	if (type == ACPI_SLP_TYP_S5)
		machine_stop(pm->machine, VM_EXIT_POWEROFF, "guest powered off (ACPI S5)");
}

static void pm_write_byte(struct pm *pm, unsigned int offset, uint8_t value)
{
	unsigned int shift = 8 * (offset % 2);
	uint16_t bits = (uint16_t)value << shift, mask = (uint16_t)0xff << shift;

	switch (offset & ~1U) {
	case PM1_STS:
		pm->status &= ~bits;	/* write one to clear */
		break;
	case PM1_EN:
		pm->enable = (pm->enable & ~mask) | bits;
		break;
	case PM1_CNT:
		pm->control = (pm->control & ~mask) | bits;
		if (pm->control & PM1_CNT_SLP_EN)
			pm_sleep(pm);
		break;
	default:
		break;	/* the timer is read-only */
	}
}

static uint64_t pm_read(void *dev, uint64_t offset, unsigned int size)
{
	uint64_t value = 0;

	for (unsigned int i = 0; i < size && offset + i < PM_END; i++)
		value |= (uint64_t)pm_read_byte(dev, offset + i) << (8 * i);
	return value;
}

static void pm_write(void *dev, uint64_t offset, unsigned int size, uint64_t value)
{
	for (unsigned int i = 0; i < size && offset + i < PM_END; i++)
		pm_write_byte(dev, offset + i, value >> (8 * i));
	pm_update_sci(dev);
}

const struct bus_device_ops pm_ops = { pm_read, pm_write };
