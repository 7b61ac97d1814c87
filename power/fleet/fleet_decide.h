/*
 * What the controller decides each round besides the planner's migrations,
 * as pure functions of what it knows (tested without hosts): which empty
 * hosts go to sleep, which sleeping host wakes ahead of demand, which
 * untrusted host has its wake tested, and how many migrations may start.
 */
#ifndef SHEER_POWER_FLEET_FLEET_DECIDE_H
#define SHEER_POWER_FLEET_FLEET_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "power/fleet/fleet_config.h"

struct fleet_decide_host {
	bool on;			/* heard, powered on */
	bool off;			/* powered off (asleep), as its BMC last said */
	bool failed;			/* silent past the failure timeout, or fenced */
	bool spare;
	bool has_bmc;
	bool trusted;			/* woken once through its BMC */
	bool wake_failed;		/* sticky until the operator clears it */
	bool busy;			/* an action on it is under way */
	unsigned int n_servers;		/* servers running on it now */
	int64_t power_changed_at;	/* unix seconds */
};

/* Active hosts: on, not failed, not spares (what min_active_hosts counts). */
unsigned int fleet_decide_active(const struct fleet_decide_host *h, unsigned int n);
/*
 * The hosts to power off now into out (at most n), returning how many: each
 * runs no server, power_saving is on, it is trusted to sleep and not
 * wake_failed, has a BMC, is not busy, its last power change is hysteresis_s
 * old, and min_active_hosts stay on (spares do not count toward it).
 */
unsigned int fleet_decide_power_off(const struct fleet_decide_host *h, unsigned int n, const struct fleet_policy *p,
				    int64_t now, unsigned int *out);
/*
 * The sleeping host to wake now, or -1: when the active hosts' demand passes
 * (1 - headroom) of their capacity, or fewer than min_active_hosts are on; a
 * trusted, not wake_failed, idle host with a BMC whose last change is
 * hysteresis_s old (not a spare: those wait for a failure).
 */
int fleet_decide_wake(const struct fleet_decide_host *h, unsigned int n, const struct fleet_policy *p, int64_t now,
		      double demand, double capacity);
/* An empty, untrusted host with a BMC to test-wake in a quiet round (min_active_hosts kept), or -1. */
int fleet_decide_wake_test(const struct fleet_decide_host *h, unsigned int n, const struct fleet_policy *p);
/* How many more migrations may start now: running ones and those started this round against the limits. */
unsigned int fleet_decide_migrations_allowed(const struct fleet_policy *p, unsigned int running,
					     unsigned int started_this_round);

#endif
