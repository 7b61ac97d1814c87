/*
 * ACPI fixed-hardware power management: the PM1a event block (status and
 * enable), the PM1a control block (SLP_TYP/SLP_EN: S5 powers the machine
 * off) and the PM timer. The power button is the fixed-feature one: pressing
 * it sets PWRBTN_STS and raises the SCI (level, while status & enable).
 * GPE0 (status and enable, 16 events) follows at PORT_PM_GPE0: devices
 * signal general-purpose events there (PCI hotplug: GPE_PCI_HOTPLUG), and
 * the DSDT's \_GPE._Exx methods handle them.
 */
#ifndef SHEER_VMM_DEVICES_PM_H
#define SHEER_VMM_DEVICES_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/machine/device.h"

/* Section "PM_0". The timer is saved as the time it has counted, so it resumes where it stopped. */
struct pm_state {
	uint16_t status;
	uint16_t enable;
	uint16_t control;
	bool sci_level;
	uint64_t timer_ns;	/* the timer's count in ns, while frozen */
	uint16_t gpe_status;	/* version 2 on */
	uint16_t gpe_enable;
};

struct pm {
	struct pm_state s;
	const struct machine *machine;
	bool frozen;		/* paused: the timer reads s.timer_ns */
	uint64_t timer_base_ns;	/* running: the timer counts from here (CLOCK_MONOTONIC) */
};

extern const struct device_desc pm_device;	/* PORT_PM_BASE, 16 ports */

/* Call with the device lock held. */
void pm_press_power_button(struct pm *pm);
/* Set GPE0 status bit `event` (< 16): the SCI rises if the guest enabled it. */
void pm_raise_gpe(struct pm *pm, unsigned int event);

#define GPE_PCI_HOTPLUG 1	/* \_GPE._E01 */

#define PM1_STS_PWRBTN	(1U << 8)
#define PM1_CNT_SCI_EN	(1U << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN	(1U << 13)

#endif
