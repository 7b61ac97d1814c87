/*
 * A server's definition made fit for another host: each passed-through
 * device (`[device]` with `pci = BDF`) is the source host's; on the target
 * the server gets a free device of the same model (vendor:device), taken
 * from the target's `host` report and not given twice.
 */
#ifndef SHEER_POWER_FLEET_FLEET_REMAP_H
#define SHEER_POWER_FLEET_FLEET_REMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "power/fleet/fleet_report.h"

/*
 * text (the definition on the source) with every [device] pci rewritten,
 * in a new malloc'd *out. server is what the source reported of it (its
 * devices' models); taken (target->n_free flags) marks the target's free
 * devices given already, and gains those given here. -ENOSPC when the target
 * has no free device of a model, -ENOENT when the source's report does not
 * know a device the definition names; why says which.
 */
int fleet_remap_definition(const char *text, const struct fleet_seen_server *server,
			   const struct fleet_report *target, bool *taken, char **out, char *why, size_t whylen);
/* Whether target has free devices (not taken) for every device of server. */
bool fleet_remap_fits(const struct fleet_seen_server *server, const struct fleet_report *target, const bool *taken);

#endif
