/*
 * N+M standby. A host expected on that stays silent for failure_timeout is
 * fenced: powered off through its BMC and read back off. Only then are its
 * servers (from its last report kept in the store) restarted elsewhere,
 * from their kept definitions, with devices chosen by model: on a spare
 * first (woken if it sleeps), in failure order, then on another host with
 * room. A server that runs somewhere already is left alone, so a restart is
 * never a second copy. No fence, no restart; no room, an alert.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"
#include "power/fleet/fleet_spares.h"

static bool expected_on(const struct controller_host *h)
{
	return h->rec.power == FLEET_POWER_IS_ON || (h->heard_ms && h->rec.power != FLEET_POWER_IS_OFF);
}

static void watch(struct controller *ctl, unsigned int i)
{
	struct controller_host *h = &ctl->hosts[i];
	int64_t now = controller_now(), since = h->heard_ms / 1000;
	struct fleet_job *j;
	char reason[FLEET_TEXT_MAX];

	if (h->failed || h->busy || h->answering || !expected_on(h))
		return;
	if (h->rec.heartbeat_at > since)
		since = h->rec.heartbeat_at;
	/* Silence counts from the last word, a change of power, or this controller's lead, whichever is last. */
	if (ctl->leading_since > since)
		since = ctl->leading_since;
	if (h->rec.power_changed_at > since)
		since = h->rec.power_changed_at;
	if (now - since < (int64_t)ctl->cfg->controller.failure_timeout_s)
		return;
	h->failed = true;
	h->failed_at = now;
	if (!bmc_entry_given(&h->cfg->bmc)) {
		controller_alert(ctl, "host %s is silent for %lld s and has no BMC: it cannot be fenced, its servers are "
				 "not restarted elsewhere", h->cfg->name, (long long)(now - since));
		return;
	}
	snprintf(reason, sizeof(reason), "silent for %lld s (failure_timeout %u s)", (long long)(now - since),
		 ctl->cfg->controller.failure_timeout_s);
	if ((j = controller_job_new(FLEET_FENCE, NULL, h->cfg, NULL, reason)))
		controller_job_start(ctl, j);
}

/* Whether server runs on an answering host, or its restart was begun. */
static bool taken_care_of(const struct controller *ctl, const struct controller_host *failed, const char *server)
{
	for (unsigned int i = 0; i < failed->n_restarted; i++)
		if (strcmp(failed->restarted[i], server) == 0)
			return true;
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		const struct fleet_seen_server *s = fleet_report_server(&ctl->hosts[i].now, server);

		if (ctl->hosts[i].answering && !ctl->hosts[i].failed && s && s->running)
			return true;
	}
	return false;
}

/* A spare being woken for failed host f, or woken now; false when none can be. */
static bool wake_spare(struct controller *ctl, unsigned int f)
{
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		struct controller_host *h = &ctl->hosts[i];
		char reason[FLEET_TEXT_MAX];

		if (h->cfg->role != FLEET_ROLE_SPARE || h->failed || h->rec.wake_failed || !bmc_entry_given(&h->cfg->bmc) ||
		    (h->claimed_by >= 0 && h->claimed_by != (int)f))
			continue;
		if (h->busy)
			return true;
		if (h->answering)
			continue;
		snprintf(reason, sizeof(reason), "a spare for the servers of %s", ctl->hosts[f].cfg->name);
		h->claimed_by = (int)f;
		controller_power_on(ctl, i, reason);
		return true;
	}
	return false;
}

static void restart(struct controller *ctl, unsigned int f, unsigned int to, const struct fleet_seen_server *s,
		    char *definition)
{
	struct controller_host *failed = &ctl->hosts[f];
	char reason[FLEET_TEXT_MAX], (*grown)[SERVER_NAME_MAX];
	struct fleet_job *j;

	snprintf(reason, sizeof(reason), "%s was fenced", ctl->hosts[f].cfg->name);
	if (!(j = controller_job_new(FLEET_RESTART, s->name, ctl->hosts[f].cfg, ctl->hosts[to].cfg, reason))) {
		free(definition);
		return;
	}
	j->definition = definition;
	if ((grown = realloc(failed->restarted, (failed->n_restarted + 1) * sizeof(*grown)))) {
		failed->restarted = grown;
		snprintf(grown[failed->n_restarted++], SERVER_NAME_MAX, "%s", s->name);
	}
	j->server = *s;
	controller_job_start(ctl, j);
}

/* Memory given to restarts under way on host i, which its report may not show yet. */
static unsigned int restarting_mib(const struct controller *ctl, const struct controller_host *h)
{
	unsigned int mib = 0;

	for (unsigned int k = 0; k < ctl->n_jobs; k++)
		if (ctl->jobs[k]->action.kind == FLEET_RESTART && ctl->jobs[k]->to == h->cfg)
			mib += ctl->jobs[k]->server.memory_mib;
	return mib;
}

/* Where s goes (among the spares alone, or anywhere): -1 when nowhere. */
static int place(struct controller *ctl, unsigned int f, const struct fleet_seen_server *s, bool spares_only)
{
	struct fleet_spare_host spares[ctl->n_hosts + 1];
	bool *taken[ctl->n_hosts + 1];
	int to;

	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		struct controller_host *h = &ctl->hosts[i];

		taken[i] = calloc(h->now.n_free + 1, sizeof(bool));
		spares[i] = (struct fleet_spare_host){
			.usable = h->answering && !h->failed && h->now.at_ms && taken[i] &&
				  !(h->busy && !restarting_mib(ctl, h)),
			.spare = h->cfg->role == FLEET_ROLE_SPARE,
			.claimed_by = h->claimed_by,
			.report = &h->now,
			.mem_used_mib = restarting_mib(ctl, h),
			.taken = taken[i],
		};
	}
	to = fleet_spares_place(spares, ctl->n_hosts, (int)f, s, spares_only);
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		ctl->hosts[i].claimed_by = spares[i].claimed_by;
		free(taken[i]);
	}
	return to;
}

/* One server of fenced host f: true when it needs nothing more now. */
static bool restart_one(struct controller *ctl, unsigned int f, const struct fleet_seen_server *s)
{
	char *definition = NULL;
	int to;

	if (!s->running || taken_care_of(ctl, &ctl->hosts[f], s->name))
		return true;
	/* Spares first: one with room, else one woken for it, else any host with room. */
	to = place(ctl, f, s, true);
	if (to < 0 && wake_spare(ctl, f))
		return false;
	if (to < 0)
		to = place(ctl, f, s, false);
	if (to < 0) {
		controller_alert(ctl, "%s of fenced host %s is not restarted: no spare and no host with room for it "
				 "(%u vCPUs, %u MiB%s)", s->name, ctl->hosts[f].cfg->name, s->vcpus, s->memory_mib,
				 s->n_devices ? ", its devices" : "");
		return true;
	}
	if (fleet_store_doc_get(ctl->store, "definition", s->name, &definition) < 0) {
		controller_alert(ctl, "%s of fenced host %s is not restarted: %s", s->name, ctl->hosts[f].cfg->name,
				 fleet_store_error(ctl->store));
		return true;
	}
	restart(ctl, f, (unsigned int)to, s, definition);
	return true;
}

static void restart_servers(struct controller *ctl, unsigned int f)
{
	struct controller_host *h = &ctl->hosts[f];
	struct fleet_report last;
	char *text = NULL, why[512];
	bool all = true;

	if (fleet_store_doc_get(ctl->store, "report", h->cfg->name, &text) < 0 ||
	    fleet_report_from_text(text, &last, why, sizeof(why)) < 0) {
		controller_alert(ctl, "fenced host %s: its servers are not known (no report kept): none is restarted",
				 h->cfg->name);
		free(text);
		h->restarts_done = true;
		return;
	}
	free(text);
	for (unsigned int i = 0; i < last.n_servers; i++)
		all = restart_one(ctl, f, &last.servers[i]) && all;
	fleet_report_free(&last);
	h->restarts_done = all;
	if (all)
		controller_log(ctl, "fenced host %s: each of its servers runs elsewhere, is restarting, or was alerted",
			       h->cfg->name);
}

void controller_ha(struct controller *ctl)
{
	unsigned int order[ctl->n_hosts + 1], n = 0;

	for (unsigned int i = 0; i < ctl->n_hosts; i++)
		watch(ctl, i);
	/* A failed host that answers again (and was not fenced) is back. */
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		struct controller_host *h = &ctl->hosts[i];

		if (h->failed && !h->fenced && !h->busy && h->answering) {
			h->failed = false;
			controller_log(ctl, "host %s answers again", h->cfg->name);
		}
		if (h->fenced && !h->restarts_done && !h->busy)
			order[n++] = i;
	}
	/* Earliest failure first: the spares go in failure order. */
	for (unsigned int a = 1; a < n; a++)
		for (unsigned int b = a; b > 0 && ctl->hosts[order[b - 1]].failed_at > ctl->hosts[order[b]].failed_at; b--) {
			unsigned int t = order[b];

			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	for (unsigned int k = 0; k < n; k++)
		restart_servers(ctl, order[k]);
}
