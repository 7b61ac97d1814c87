#include <errno.h>

#include "vmm/machine/layout.h"
#include "vmm/devices/pm.h"
#include "vmm/lib/clock.h"

enum { PM1_STS = 0, PM1_EN = 2, PM1_CNT = 4, PM_TMR = 8, GPE0_STS = 12, GPE0_EN = 14, PM_END = 16 };

#define PM1_STS_TMR		(1U << 0)
#define PM1_STS_GBL		(1U << 5)
#define PM1_STS_RTC		(1U << 10)
#define PM1_STS_WAK		(1U << 15)
#define PM1_EVENTS		(PM1_STS_TMR | PM1_STS_GBL | PM1_STS_PWRBTN | PM1_STS_RTC)
#define PM1_CNT_SLP_TYP_MASK	(7U << PM1_CNT_SLP_TYP_SHIFT)
#define PM_TIMER_HZ		3579545ULL
#define NS_PER_S		1000000000ULL

#define PM_STATE_TYPE		STATE_TYPE('P', 'M', '_', '0')
#define PM_STATE_VERSION	2	/* 2: GPE0 */

static void pm_reset(void *dev)
{
	struct pm *pm = dev;

	/* SCI_EN set from the start: with no SMI command port the OS finds ACPI mode on. */
	pm->s = (struct pm_state){ .control = PM1_CNT_SCI_EN };
	pm->frozen = false;
	pm->timer_base_ns = clock_monotonic_ns();
}

static void pm_init(void *dev, const struct machine *machine, unsigned int irq)
{
	struct pm *pm = dev;

	(void)irq;	/* the SCI is fixed by the FADT */
	pm->machine = machine;
	pm_reset(pm);
}

static uint64_t pm_timer_ns(const struct pm *pm)
{
	return pm->frozen ? pm->s.timer_ns : clock_monotonic_ns() - pm->timer_base_ns;
}

static void pm_pause(void *dev)
{
	struct pm *pm = dev;

	pm->s.timer_ns = pm_timer_ns(pm);
	pm->frozen = true;
}

static void pm_resume(void *dev)
{
	struct pm *pm = dev;

	if (!pm->frozen)
		return;
	pm->timer_base_ns = clock_monotonic_ns() - pm->s.timer_ns;
	pm->frozen = false;
}

static void pm_update_sci(struct pm *pm)
{
	bool level = (pm->s.status & pm->s.enable & PM1_EVENTS) || (pm->s.gpe_status & pm->s.gpe_enable);

	if (level != pm->s.sci_level) {
		pm->s.sci_level = level;
		machine_set_irq(pm->machine, IRQ_SCI, level);
	}
}

void pm_press_power_button(struct pm *pm)
{
	pm->s.status |= PM1_STS_PWRBTN;
	pm_update_sci(pm);
}

void pm_raise_gpe(struct pm *pm, unsigned int event)
{
	pm->s.gpe_status |= (uint16_t)(1U << event);
	pm_update_sci(pm);
}

static uint32_t pm_timer(const struct pm *pm)
{
	uint64_t ns = pm_timer_ns(pm);

	return (ns / NS_PER_S * PM_TIMER_HZ + ns % NS_PER_S * PM_TIMER_HZ / NS_PER_S) & 0xffffff;
}

static uint8_t pm_read_byte(const struct pm *pm, unsigned int offset)
{
	unsigned int shift = 8 * (offset % 2);

	switch (offset & ~1U) {
	case PM1_STS: return pm->s.status >> shift;
	case PM1_EN: return pm->s.enable >> shift;
	case PM1_CNT: return (pm->s.control & ~PM1_CNT_SLP_EN) >> shift;
	case PM_TMR:
	case PM_TMR + 2: return pm_timer(pm) >> (8 * (offset - PM_TMR));
	case GPE0_STS: return pm->s.gpe_status >> shift;
	case GPE0_EN: return pm->s.gpe_enable >> shift;
	default: return 0;	/* 0x606-0x607: reserved between PM1_CNT and the timer */
	}
}

static void pm_sleep(struct pm *pm)
{
	unsigned int type = (pm->s.control & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;

	pm->s.control &= ~PM1_CNT_SLP_EN;
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
		pm->s.status &= ~bits;	/* write one to clear */
		break;
	case PM1_EN:
		pm->s.enable = (pm->s.enable & ~mask) | bits;
		break;
	case PM1_CNT:
		pm->s.control = (pm->s.control & ~mask) | bits;
		if (pm->s.control & PM1_CNT_SLP_EN)
			pm_sleep(pm);
		break;
	case GPE0_STS:
		pm->s.gpe_status &= ~bits;	/* write one to clear */
		break;
	case GPE0_EN:
		pm->s.gpe_enable = (pm->s.gpe_enable & ~mask) | bits;
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

static void pm_save(const void *dev, struct state_writer *w)
{
	const struct pm *pm = dev;

	state_put_u16(w, pm->s.status);
	state_put_u16(w, pm->s.enable);
	state_put_u16(w, pm->s.control);
	state_put_bool(w, pm->s.sci_level);
	state_put_u64(w, pm_timer_ns(pm));
	state_put_u16(w, pm->s.gpe_status);
	state_put_u16(w, pm->s.gpe_enable);
}

/* The restored timer runs from the moment of restore, as if it had been paused meanwhile. */
static int pm_restore(void *dev, struct state_reader *r, uint16_t version)
{
	struct pm *pm = dev;
	struct pm_state s = { 0 };

	s.status = state_get_u16(r);
	s.enable = state_get_u16(r);
	s.control = state_get_u16(r);
	s.sci_level = state_get_bool(r);
	s.timer_ns = state_get_u64(r);
	if (version >= 2) {
		s.gpe_status = state_get_u16(r);
		s.gpe_enable = state_get_u16(r);
	}
	if (s.control & PM1_CNT_SLP_EN)	/* never kept: writing it sleeps at once */
		state_reader_reject(r);
	if (state_reader_finish(r) < 0)
		return -EBADMSG;
	pm->s = s;
	pm->frozen = false;
	pm->timer_base_ns = clock_monotonic_ns() - s.timer_ns;
	machine_set_irq(pm->machine, IRQ_SCI, s.sci_level);
	return 0;
}

static const struct bus_device_ops pm_ops = { pm_read, pm_write };

const struct device_desc pm_device = {
	.name = "acpi-pm",
	.io = &pm_ops,
	.init = pm_init,
	.reset = pm_reset,
	.state_type = PM_STATE_TYPE,
	.state_version = PM_STATE_VERSION,
	.save = pm_save,
	.restore = pm_restore,
	.pause = pm_pause,
	.resume = pm_resume,
};
