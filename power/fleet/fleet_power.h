/*
 * A host's power through its BMC, as the controller uses it: every change
 * is read back before it is believed (a BMC that took a command may not
 * have carried it out), within a deadline.
 */
#ifndef SHEER_POWER_FLEET_FLEET_POWER_H
#define SHEER_POWER_FLEET_FLEET_POWER_H

#include <stdbool.h>
#include <stddef.h>

#include "power/fleet/fleet_config.h"

/* Seconds between read-backs, and between repeats of a command the BMC did not carry out. */
#define FLEET_POWER_POLL_S 1
#define FLEET_POWER_REPEAT_S 5

/* The BMC's word: on or off. -errno as bmc_power_state (-EACCES: credentials refused), err naming the host. */
int fleet_power_state(const struct fleet_host_config *host, bool *on, char *err, size_t errlen);
/*
 * Power off, read back off within deadline_s: a soft shutdown first when
 * soft_s > 0 (the OS has soft_s to stop), then hard off, repeated until the
 * BMC says off. 0, or -ETIMEDOUT / the BMC's error, with err.
 */
int fleet_power_off(const struct fleet_host_config *host, unsigned int soft_s, unsigned int deadline_s, char *err,
		    size_t errlen);
/* Power on, read back on within deadline_s. */
int fleet_power_on(const struct fleet_host_config *host, unsigned int deadline_s, char *err, size_t errlen);

#endif
