/*
 * What the endpoint shows, built by the loop each tick under the lock (the
 * endpoint's thread only copies it): status, hosts, the last plan, the
 * action log; and the Prometheus text of the metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "power/fleet/controller.h"

const char *controller_host_state(const struct controller_host *h)
{
	if (h->failed)
		return "failed";
	if (h->answering && h->heard_ms)
		return "on";
	if (h->bmc_on == 0 || h->rec.power == FLEET_POWER_IS_OFF)
		return "asleep";
	return "unknown";
}

static const char *bmc_state(const struct controller_host *h)
{
	if (!bmc_entry_given(&h->cfg->bmc))
		return "none";
	return h->bmc_ret == -EACCES ? "credentials refused" : h->bmc_ret < 0 ? "not answering" : "ok";
}

/* Demand of its servers in CPUs (the sum of vCPUs x their share), as last measured. */
static double host_demand(const struct controller_host *h)
{
	double sum = 0;

	for (unsigned int i = 0; h->answering && i < h->now.n_servers; i++) {
		double d = fleet_report_demand(&h->prev, &h->now, h->now.servers[i].name);

		sum += d > 0 ? d * h->now.servers[i].vcpus : 0;
	}
	return sum;
}

static json_t *servers_json(const struct controller_host *h)
{
	json_t *list = json_array();

	for (unsigned int i = 0; h->answering && i < h->now.n_servers; i++) {
		const struct fleet_seen_server *s = &h->now.servers[i];
		double d = fleet_report_demand(&h->prev, &h->now, s->name);

		json_array_append_new(list, json_pack("{s:s, s:b, s:i, s:i, s:o}", "name", s->name, "running", s->running,
						      "vcpus", (int)s->vcpus, "memory_mib", (int)s->memory_mib, "demand",
						      d < 0 ? json_null() : json_real(d)));
	}
	return list;
}

static json_t *host_json(const struct controller_host *h, int64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:b, s:b, s:s, s:b, s:b, s:s, s:I, s:s, s:o, s:f}", "name",
			 h->cfg->name, "role", h->cfg->role == FLEET_ROLE_SPARE ? "spare" : "active", "state",
			 controller_host_state(h), "power", fleet_power_name(h->rec.power), "answering", h->answering,
			 "heartbeat_age_s", h->heard_ms ? json_integer(now - h->heard_ms / 1000) : json_null(),
			 "trusted_to_sleep", h->rec.trusted_to_sleep, "wake_failed", h->rec.wake_failed,
			 "wake_failed_reason", h->rec.wake_failed_reason, "fenced", h->fenced, "busy", h->busy > 0,
			 "wake_test", h->wake_test, "wake_test_request", (json_int_t)h->wake_test_seq, "bmc", bmc_state(h), "servers", servers_json(h), "demand_cpus",
			 host_demand(h));
}

static json_t *action_json(const struct fleet_action *a)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:I}", "id", (json_int_t)a->id, "kind",
			 fleet_action_kind_name(a->kind), "server", a->server, "from", a->from_host, "to", a->to_host,
			 "reason", a->reason, "interval", (json_int_t)a->interval, "controller", a->controller,
			 "started", (json_int_t)a->started, "result", fleet_result_name(a->result), "detail", a->detail,
			 "finished", (json_int_t)a->finished);
}

static json_t *actions_json(const struct fleet_action *list, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, action_json(&list[i]));
	return out;
}

static json_t *policy_json(const struct fleet_policy *p)
{
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:s}", "policy", p->policy,
			 "max_concurrent_migrations", (int)p->max_concurrent_migrations, "max_migrations_per_interval",
			 (int)p->max_migrations_per_interval, "headroom_pct", (int)p->headroom_pct, "hysteresis_s",
			 (int)p->hysteresis_s, "min_active_hosts", (int)p->min_active_hosts, "migration_deadline_s",
			 (int)p->migration_deadline_s, "power_saving", p->power_saving, "ha",
			 fleet_ha_names()[p->ha]);
}

static json_t *status_json(struct controller *ctl, json_t *pending)
{
	json_t *schedules = json_array(), *alerts = json_array(), *counts = json_pack("{s:i, s:i, s:i, s:i}", "on", 0,
												 "asleep", 0, "failed", 0,
												 "unknown", 0);
	char next[64] = "";
	unsigned int first = ctl->n_alerts > CONTROLLER_ALERTS_MAX ? ctl->n_alerts - CONTROLLER_ALERTS_MAX : 0;

	for (unsigned int i = 0; i < ctl->cfg->n_schedules; i++)
		if (ctl->sched.active & (1u << i))
			json_array_append_new(schedules, json_string(ctl->cfg->schedules[i].name));
	for (unsigned int i = first; i < ctl->n_alerts; i++)
		json_array_append_new(alerts, json_string(ctl->alerts[i % CONTROLLER_ALERTS_MAX]));
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		const char *state = controller_host_state(&ctl->hosts[i]);

		json_object_set_new(counts, state, json_integer(json_integer_value(json_object_get(counts, state)) + 1));
	}
	if (ctl->sched.changes) {
		struct tm tm;

		localtime_r(&ctl->sched.next_change, &tm);
		strftime(next, sizeof(next), "%Y-%m-%d %H:%M %Z", &tm);
	}
	return json_pack("{s:s, s:s, s:b, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:b}", "controller",
			 ctl->cfg->controller.name, "leader", ctl->leader.controller, "leading", ctl->leading, "term",
			 (json_int_t)(ctl->leading ? ctl->term : ctl->leader.term), "schedules", schedules, "policy",
			 policy_json(&ctl->sched.effective), "next_change", next[0] ? json_string(next) : json_null(),
			 "hosts", counts, "pending_actions", pending, "alerts", alerts, "interval",
			 (json_int_t)ctl->interval, "recovering", ctl->leading && ctl->recovered_term != ctl->term);
}

void controller_snapshot(struct controller *ctl)
{
	struct fleet_action *history = NULL, *pending = NULL;
	size_t n_history = 0, n_pending = 0;
	json_t *hosts = json_array(), *shown;
	int64_t now = controller_now();
	char *metrics;

	fleet_store_history(ctl->store, 0, CONTROLLER_HISTORY_SHOWN, &history, &n_history);
	fleet_store_unfinished(ctl->store, &pending, &n_pending);
	for (unsigned int i = 0; i < ctl->n_hosts; i++)
		json_array_append_new(hosts, host_json(&ctl->hosts[i], now));
	shown = json_pack("{s:o, s:o, s:O, s:o}", "status", status_json(ctl, actions_json(pending, n_pending)), "hosts",
			  hosts, "plan", ctl->plan ? ctl->plan : json_null(), "history", actions_json(history, n_history));
	free(history);
	free(pending);
	metrics = controller_metrics_render(ctl);
	pthread_mutex_lock(&ctl->lock);
	json_decref(ctl->shown);
	ctl->shown = shown;
	free(ctl->metrics);
	ctl->metrics = metrics;
	pthread_mutex_unlock(&ctl->lock);
}
