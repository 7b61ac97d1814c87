/*
 * Where a failed host's servers are restarted (N+M standby): on a spare
 * first, then on another host with room. Spares are given in failure order:
 * the first host to fail claims a spare, and a later failure takes another
 * one, or the room left on the first failure's spare once its own servers
 * are placed, or any other host's room.
 */
#ifndef SHEER_POWER_FLEET_FLEET_SPARES_H
#define SHEER_POWER_FLEET_FLEET_SPARES_H

#include <stdbool.h>

#include "power/fleet/fleet_report.h"

struct fleet_spare_host {
	bool usable;			/* on and answering (or a spare being woken for this) and not failed */
	bool spare;
	int claimed_by;			/* the failed host (index) this spare was given to; -1 for none */
	const struct fleet_report *report;	/* its capacity and free devices; NULL: no room known */
	unsigned int mem_used_mib;	/* given already this round, beyond its report */
	bool *taken;			/* its report's free devices given already (report->n_free flags) */
};

/*
 * The host that takes server (of failed host `failed`), or -1 when none has
 * room: memory (the report's free memory less what was given), CPUs (no
 * fewer than its vCPUs: cores are shared, demand is the planner's matter) and
 * a free device of each model. spares_only: the spares alone (a sleeping
 * spare is woken before another host is used). The place is reserved
 * (memory, devices, the spare's claim) in hosts.
 */
int fleet_spares_place(struct fleet_spare_host *hosts, unsigned int n, int failed,
		       const struct fleet_seen_server *server, bool spares_only);

#endif
