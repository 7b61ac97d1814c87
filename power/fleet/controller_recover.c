/*
 * A new term: the actions an earlier leader (or this controller before a
 * restart) left without a result are looked at (fleet_recover.h) before
 * anything new is planned. Where a server runs is read from reports taken
 * after the term began; a host that is off (its BMC says so) runs nothing;
 * power states are read from the BMC now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"
#include "power/fleet/fleet_power.h"
#include "power/fleet/fleet_recover.h"

static bool own_job(const struct controller *ctl, uint64_t id)
{
	for (unsigned int i = 0; i < ctl->n_jobs; i++)
		if (ctl->jobs[i]->action.id == id)
			return true;
	return false;
}

/* Does server run on host name, as a report taken in this recovery says. */
static enum fleet_seen runs_on(struct controller *ctl, const char *host, const char *server)
{
	int i = controller_host_index(ctl, host);
	const struct fleet_seen_server *s;
	struct controller_host *h;

	if (i < 0)
		return FLEET_SEEN_NO;
	h = &ctl->hosts[i];
	if (h->now.at_ms >= ctl->recovery_since_ms) {
		s = fleet_report_server(&h->now, server);
		return s && s->running ? FLEET_SEEN_YES : FLEET_SEEN_NO;
	}
	/*
	 * Off, or silent past the failure timeout (it will be fenced before
	 * anything of it is restarted): the record says it runs nothing.
	 */
	if (h->bmc_on == 0 || h->fenced ||
	    (!h->answering && controller_now() * 1000 - ctl->recovery_since_ms >
				      (int64_t)ctl->cfg->controller.failure_timeout_s * 1000))
		return FLEET_SEEN_NO;
	fleet_poller_want_report(&h->poller);
	return FLEET_SEEN_UNKNOWN;
}

static enum fleet_seen power_on(struct controller *ctl, const char *host)
{
	int i = controller_host_index(ctl, host);
	char why[1024];
	bool on;

	if (i < 0 || fleet_power_state(ctl->hosts[i].cfg, &on, why, sizeof(why)) < 0)
		return FLEET_SEEN_UNKNOWN;
	return on ? FLEET_SEEN_YES : FLEET_SEEN_NO;
}

/* What a settled power action means for its host now. */
static void settle_host(struct controller *ctl, const struct fleet_action *a, enum fleet_result r,
			const struct fleet_recover_facts *f)
{
	int i = controller_host_index(ctl, fleet_recover_bmc_host(a));
	struct controller_host *h;

	if (i < 0 || !fleet_recover_needs_bmc(a))
		return;
	h = &ctl->hosts[i];
	h->rec.power = f->power_on == FLEET_SEEN_YES ? FLEET_POWER_IS_ON : FLEET_POWER_IS_OFF;
	h->rec.power_changed_at = controller_now();
	/* A fence confirmed now: its servers were perhaps not restarted yet (restarts skip those that run). */
	if (a->kind == FLEET_FENCE && r == FLEET_OK) {
		h->failed = h->fenced = true;
		h->failed_at = a->started;
	}
	controller_host_write(ctl, h);
}

static bool settle(struct controller *ctl, const struct fleet_action *a)
{
	struct fleet_recover_facts f = { FLEET_SEEN_UNKNOWN, FLEET_SEEN_UNKNOWN, FLEET_SEEN_UNKNOWN };
	char detail[FLEET_TEXT_MAX];
	enum fleet_result r;
	bool alert;

	if (fleet_recover_needs_hosts(a)) {
		f.runs_on_target = runs_on(ctl, a->to_host, a->server);
		if (a->from_host[0])
			f.runs_on_source = runs_on(ctl, a->from_host, a->server);
	}
	if (fleet_recover_needs_bmc(a))
		f.power_on = power_on(ctl, fleet_recover_bmc_host(a));
	r = fleet_recover_decide(a, &f, detail, sizeof(detail), &alert);
	/* What cannot be established holds up everything else only so long: then an operator looks. */
	if (r == FLEET_PENDING && controller_now() * 1000 - ctl->recovery_since_ms >
					  2000 * (int64_t)ctl->cfg->controller.failure_timeout_s) {
		r = FLEET_FAILED;
		alert = true;
		snprintf(detail, sizeof(detail), "found after a restart: what became of it cannot be established (its "
			 "hosts or BMC do not answer)");
	}
	if (r == FLEET_PENDING)
		return false;
	if (fleet_store_result(ctl->store, a->id, r, detail) < 0) {
		controller_log(ctl, "action %llu: its result was not recorded: %s", (unsigned long long)a->id,
			       fleet_store_error(ctl->store));
		return false;
	}
	controller_log(ctl, "action %llu (%s %s, left unfinished by %s): %s: %s", (unsigned long long)a->id,
		       fleet_action_kind_name(a->kind), a->server[0] ? a->server : fleet_recover_bmc_host(a),
		       a->controller, fleet_result_name(r), detail);
	if (alert)
		controller_alert(ctl, "action %llu: %s", (unsigned long long)a->id, detail);
	settle_host(ctl, a, r, &f);
	return true;
}

bool controller_recover(struct controller *ctl)
{
	struct fleet_action *list;
	bool all = true;
	size_t n;

	if (ctl->recovering_term != ctl->term) {
		ctl->recovering_term = ctl->term;
		ctl->recovery_since_ms = (int64_t)controller_now() * 1000;
		for (unsigned int i = 0; i < ctl->n_hosts; i++)
			fleet_poller_want_report(&ctl->hosts[i].poller);
	}
	if (fleet_store_unfinished(ctl->store, &list, &n) < 0) {
		controller_log(ctl, "cannot read the unfinished actions: %s", fleet_store_error(ctl->store));
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!own_job(ctl, list[i].id) && !settle(ctl, &list[i]))
			all = false;
	free(list);
	if (all && n)
		controller_log(ctl, "every action left unfinished is settled; planning resumes");
	return all;
}
