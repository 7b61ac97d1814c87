/*
 * ACPI fixed-hardware power management: the PM1a event block (status and
 * enable), the PM1a control block (SLP_TYP/SLP_EN: S5 powers the machine
 * off) and the PM timer. The power button is the fixed-feature one: pressing
 * it sets PWRBTN_STS and raises the SCI (level, while status & enable).
 */
#ifndef SHEER_VMM_DEVICES_PM_H
#define SHEER_VMM_DEVICES_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/machine/bus.h"
#include "vmm/machine/machine.h"

struct pm {
	const struct machine *machine;
	uint16_t status;
	uint16_t enable;
	uint16_t control;
	uint64_t timer_start_ns;
	bool sci_level;
};

extern const struct bus_device_ops pm_ops;	/* PORT_PM_BASE, 12 ports */

void pm_init(struct pm *pm, const struct machine *machine);
/* Call with the device lock held. */
void pm_press_power_button(struct pm *pm);

#define PM1_STS_PWRBTN	(1U << 8)
#define PM1_CNT_SCI_EN	(1U << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN	(1U << 13)

#endif
