/*
 * What the pollers found, taken into the controller each tick: heartbeats
 * and BMC reads (a change logged once, not every tick), reports and
 * definitions (kept in the store by the leader, so that it still has them
 * once their host is gone), and the host records (the operator's clear of a
 * wake failure comes through them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"

int controller_host_write(struct controller *ctl, struct controller_host *h)
{
	int ret = fleet_store_host_put(ctl->store, &h->rec);

	if (ret < 0 && ret != -EPERM)
		controller_log(ctl, "host %s: its record was not written: %s", h->cfg->name, fleet_store_error(ctl->store));
	return ret;
}

/* A change of answering or of the BMC's health is one line. */
static void log_changes(struct controller *ctl, struct controller_host *h, const struct fleet_poll_status *st)
{
	if (st->answering != h->answering && (st->answering || st->error[0]))
		controller_log(ctl, st->answering ? "host %s answers" : "host %s does not answer: %s", h->cfg->name,
			       st->error);
	if (st->answering || st->error[0])
		h->answering = st->answering;
	if (st->bmc_ret != h->bmc_ret) {
		if (st->bmc_ret == -EACCES)
			controller_log(ctl, "%s (fix its password_file; the host is neither powered off nor fenced "
				       "meanwhile)", st->bmc_error);
		else if (st->bmc_ret < 0)
			controller_log(ctl, "%s", st->bmc_error);
		else
			controller_log(ctl, "host %s: its BMC answers (power %s)", h->cfg->name, st->bmc_on ? "on" : "off");
		h->bmc_ret = st->bmc_ret;
	}
	h->bmc_on = st->bmc_on;
}

static void keep_documents(struct controller *ctl, struct controller_host *h, const char *report)
{
	struct fleet_definition *defs;
	unsigned int n;

	if (report && fleet_store_doc_put(ctl->store, "report", h->cfg->name, report) < 0)
		controller_log(ctl, "host %s: its report was not kept: %s", h->cfg->name, fleet_store_error(ctl->store));
	n = fleet_poller_definitions(&h->poller, &defs);
	for (unsigned int i = 0; i < n; i++) {
		if (fleet_store_doc_put(ctl->store, "definition", defs[i].name, defs[i].text) < 0)
			controller_log(ctl, "%s: its definition was not kept: %s", defs[i].name,
				       fleet_store_error(ctl->store));
		free(defs[i].text);
	}
	free(defs);
}

/*
 * The leader's record of a host that answered a new heartbeat: on, and its
 * heartbeat now and then. One heard before its last power change says nothing.
 */
static void record_heartbeat(struct controller *ctl, struct controller_host *h, bool fresh)
{
	int64_t heard = h->heard_ms / 1000;
	unsigned int every = ctl->cfg->controller.failure_timeout_s / 3;

	if (!fresh || h->busy || heard < h->rec.power_changed_at || (h->fenced && h->rec.power == FLEET_POWER_IS_OFF))
		return;
	if (h->rec.power == FLEET_POWER_IS_ON && heard - h->heartbeat_written < (int64_t)(every ? every : 1))
		return;
	if (h->rec.power != FLEET_POWER_IS_ON) {
		h->rec.power = FLEET_POWER_IS_ON;
		h->rec.power_changed_at = heard;
	}
	h->rec.heartbeat_at = heard;
	if (controller_host_write(ctl, h) == 0)
		h->heartbeat_written = heard;
}

/* The store's word on what the operator may change (a cleared wake failure). */
static void read_records(struct controller *ctl)
{
	struct fleet_host *list;
	size_t n;

	if (fleet_store_host_list(ctl->store, &list, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int k = controller_host_index(ctl, list[i].name);

		if (k < 0)
			continue;
		ctl->hosts[k].rec.wake_failed = list[i].wake_failed;
		snprintf(ctl->hosts[k].rec.wake_failed_reason, FLEET_TEXT_MAX, "%s", list[i].wake_failed_reason);
		ctl->hosts[k].rec.wake_failed_at = list[i].wake_failed_at;
		/* A controller that did not lead learns the rest from the leader's writes. */
		if (!ctl->leading)
			ctl->hosts[k].rec = list[i];
	}
	free(list);
}

void controller_hosts_take(struct controller *ctl)
{
	read_records(ctl);
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		struct controller_host *h = &ctl->hosts[i];
		struct fleet_poll_status st;
		char *text = NULL;

		bool fresh;

		fleet_poller_status(&h->poller, &st);
		log_changes(ctl, h, &st);
		fresh = st.heard_ms > h->heard_ms;
		if (fresh)
			h->heard_ms = st.heard_ms;
		fleet_poller_report(&h->poller, &h->report_seq, &h->now, &h->prev, &text);
		if (ctl->leading) {
			keep_documents(ctl, h, text);
			record_heartbeat(ctl, h, fresh);
		}
		free(text);
	}
}
