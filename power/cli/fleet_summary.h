/* What `sheer fleet check` prints of a fleet file it accepted: as text, or as one JSON object. */
#ifndef SHEER_POWER_CLI_FLEET_SUMMARY_H
#define SHEER_POWER_CLI_FLEET_SUMMARY_H

#include <stdio.h>
#include <time.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/schedule.h"

/* c as evaluated at `at` (now: what schedule_evaluate() found then). */
void fleet_summary_text(FILE *out, const struct fleet_config *c, time_t at, const struct schedule_now *now);
/* The same as one JSON object; -ENOMEM. */
int fleet_summary_json(FILE *out, const struct fleet_config *c, time_t at, const struct schedule_now *now);

#endif
