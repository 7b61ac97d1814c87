/* Finishing or rolling back what an earlier leader left under way (fleet_recover.h). */
#include <stdio.h>

#include "power/fleet/fleet_recover.h"

bool fleet_recover_needs_hosts(const struct fleet_action *a)
{
	return a->kind == FLEET_MIGRATE || a->kind == FLEET_RESTART;
}

bool fleet_recover_needs_bmc(const struct fleet_action *a)
{
	return a->kind == FLEET_POWER_OFF || a->kind == FLEET_POWER_ON || a->kind == FLEET_FENCE ||
	       a->kind == FLEET_WAKE_TEST;
}

const char *fleet_recover_bmc_host(const struct fleet_action *a)
{
	return a->kind == FLEET_POWER_ON || a->kind == FLEET_WAKE_TEST ? a->to_host : a->from_host;
}

static enum fleet_result decide_migrate(const struct fleet_action *a, const struct fleet_recover_facts *f,
					char *detail, size_t len, bool *alert)
{
	if (f->runs_on_target == FLEET_SEEN_YES) {
		snprintf(detail, len, "found after a restart: %s runs on %s", a->server, a->to_host);
		return FLEET_OK;
	}
	if (f->runs_on_target == FLEET_SEEN_UNKNOWN || f->runs_on_source == FLEET_SEEN_UNKNOWN)
		return FLEET_PENDING;
	if (f->runs_on_source == FLEET_SEEN_YES) {
		snprintf(detail, len, "found after a restart: %s still runs on %s", a->server, a->from_host);
		return FLEET_ROLLED_BACK;
	}
	*alert = true;
	snprintf(detail, len, "found after a restart: %s runs on neither %s nor %s", a->server, a->from_host,
		 a->to_host);
	return FLEET_FAILED;
}

static enum fleet_result decide_power(const struct fleet_action *a, const struct fleet_recover_facts *f,
				      char *detail, size_t len)
{
	bool want_on = a->kind == FLEET_POWER_ON || a->kind == FLEET_WAKE_TEST;
	bool is_on = f->power_on == FLEET_SEEN_YES;

	if (f->power_on == FLEET_SEEN_UNKNOWN)
		return FLEET_PENDING;
	snprintf(detail, len, "found after a restart: %s's BMC says %s", fleet_recover_bmc_host(a), is_on ? "on" : "off");
	return is_on == want_on ? FLEET_OK : FLEET_FAILED;
}

enum fleet_result fleet_recover_decide(const struct fleet_action *a, const struct fleet_recover_facts *f,
				       char *detail, size_t len, bool *alert)
{
	*alert = false;
	switch (a->kind) {
	case FLEET_MIGRATE:
		return decide_migrate(a, f, detail, len, alert);
	case FLEET_RESTART:
		if (f->runs_on_target == FLEET_SEEN_UNKNOWN)
			return FLEET_PENDING;
		*alert = f->runs_on_target == FLEET_SEEN_NO;
		snprintf(detail, len, "found after a restart: %s %s on %s", a->server,
			 *alert ? "does not run" : "runs", a->to_host);
		return *alert ? FLEET_FAILED : FLEET_OK;
	case FLEET_POWER_OFF:
	case FLEET_POWER_ON:
	case FLEET_FENCE:
	case FLEET_WAKE_TEST:
		return decide_power(a, f, detail, len);
	default:
		snprintf(detail, len, "found after a restart: %s is not carried out by this controller",
			 fleet_action_kind_name(a->kind));
		return FLEET_FAILED;
	}
}
