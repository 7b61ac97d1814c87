/*
 * A new leader's first duty: every action left unfinished (an intent without
 * a result, from a controller that died or lost its lease mid-action) is
 * finished or rolled back by what can be observed now, never carried out
 * again:
 *
 *   migrate              ask both hosts where the server runs: the target (ok),
 *                        the source (rolled_back), neither (failed, an alert)
 *   power_off, fence     the BMC's power state: off (ok), on (failed)
 *   power_on, wake_test  the BMC's power state: on (ok), off (failed)
 *   restart              does it run on the target: yes (ok), no (failed, an alert)
 *   switch               not built: failed
 *
 * An observation that cannot be made now (a host or BMC that does not
 * answer) leaves the action unfinished, to be looked at again next tick.
 */
#ifndef SHEER_POWER_FLEET_FLEET_RECOVER_H
#define SHEER_POWER_FLEET_FLEET_RECOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "power/store/store.h"

enum fleet_seen { FLEET_SEEN_UNKNOWN, FLEET_SEEN_YES, FLEET_SEEN_NO };

struct fleet_recover_facts {
	enum fleet_seen runs_on_target;	/* migrate, restart: the server runs on to_host */
	enum fleet_seen runs_on_source;	/* migrate: the server runs on from_host */
	enum fleet_seen power_on;	/* power_*, fence, wake_test: the BMC says on */
};

/* What the facts each kind needs are (so only those are gathered). */
bool fleet_recover_needs_hosts(const struct fleet_action *a);
bool fleet_recover_needs_bmc(const struct fleet_action *a);
/*
 * The result of unfinished action a given the facts: FLEET_PENDING when they
 * do not tell yet; else the result, detail (one line) and *alert when an
 * operator must look (a server that runs nowhere).
 */
enum fleet_result fleet_recover_decide(const struct fleet_action *a, const struct fleet_recover_facts *f,
				       char *detail, size_t len, bool *alert);
/* The host whose BMC a power action is about: to_host for power_on, wake_test, else from_host. */
const char *fleet_recover_bmc_host(const struct fleet_action *a);

#endif
