/*
 * An action's life in the controller: its intent recorded (no intent, no
 * action), its thread started, and once done its result recorded and what
 * it changes of the hosts' records (power, trust, a wake failure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"

static struct controller_host *host_of(struct controller *ctl, const struct fleet_host_config *cfg)
{
	int i = cfg ? controller_host_index(ctl, cfg->name) : -1;

	return i < 0 ? NULL : &ctl->hosts[i];
}

static void busy(struct controller *ctl, const struct fleet_job *j, int delta)
{
	struct controller_host *from = host_of(ctl, j->from), *to = host_of(ctl, j->to);

	if (from)
		from->busy += delta;
	if (to && to != from)
		to->busy += delta;
}

struct fleet_job *controller_job_new(enum fleet_action_kind kind, const char *server, const struct fleet_host_config *from,
				 const struct fleet_host_config *to, const char *reason)
{
	struct fleet_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->action.kind = kind;
	snprintf(j->action.server, sizeof(j->action.server), "%s", server ? server : "");
	snprintf(j->action.from_host, sizeof(j->action.from_host), "%s", from ? from->name : "");
	snprintf(j->action.to_host, sizeof(j->action.to_host), "%s", to ? to->name : "");
	snprintf(j->action.reason, sizeof(j->action.reason), "%s", reason);
	j->from = from;
	j->to = to;
	return j;
}

/* The agent must answer within this after a power on, or the host failed to wake. */
unsigned int controller_wake_deadline(const struct controller *ctl)
{
	unsigned int s = 3 * ctl->cfg->controller.failure_timeout_s;

	return s < 30 ? 30 : s;
}

void controller_power_on(struct controller *ctl, unsigned int host, const char *reason)
{
	struct fleet_job *j = controller_job_new(FLEET_POWER_ON, NULL, NULL, ctl->hosts[host].cfg, reason);

	if (!j)
		return;
	j->deadline_s = controller_wake_deadline(ctl);
	controller_job_start(ctl, j);
}

int controller_job_start(struct controller *ctl, struct fleet_job *j)
{
	int ret;

	if (ctl->n_jobs == CONTROLLER_JOBS_MAX) {
		fleet_job_free(j);
		free(j);
		return -EBUSY;
	}
	j->tls_dir = ctl->cfg->controller.tls_dir;
	j->action.interval = ctl->interval;
	if ((ret = fleet_store_intent(ctl->store, &j->action)) < 0) {
		controller_log(ctl, "%s of %s not begun: %s", fleet_action_kind_name(j->action.kind),
			       j->action.server[0] ? j->action.server : (j->from ? j->from->name : j->to->name),
			       fleet_store_error(ctl->store));
		fleet_job_free(j);
		free(j);
		return ret;
	}
	/* Each migration its own port on the target, so that one left listening does not block the next. */
	if (j->action.kind == FLEET_MIGRATE)
		j->port = (j->to->address.port + CONTROLLER_MIGRATION_PORT_OFFSET +
			   (unsigned int)(j->action.id % CONTROLLER_MIGRATION_PORT_SPAN) - 1) % 65535 + 1;
	controller_log(ctl, "action %llu: %s%s%s%s%s%s%s: %s", (unsigned long long)j->action.id,
		       fleet_action_kind_name(j->action.kind), j->action.server[0] ? " " : "", j->action.server,
		       j->from ? " from " : "", j->from ? j->from->name : "", j->to ? " to " : "", j->to ? j->to->name : "",
		       j->action.reason);
	busy(ctl, j, 1);
	fleet_job_start(j);
	ctl->jobs[ctl->n_jobs++] = j;
	return 0;
}

unsigned int controller_jobs_running(const struct controller *ctl, enum fleet_action_kind kind)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ctl->n_jobs; i++)
		n += ctl->jobs[i]->action.kind == kind;
	return n;
}

static void power_changed(struct controller *ctl, struct controller_host *h, enum fleet_power power)
{
	h->rec.power = power;
	h->rec.power_changed_at = controller_now();
	controller_host_write(ctl, h);
}

/* What a finished power action tells of its host. */
static void power_effects(struct controller *ctl, const struct fleet_job *j, bool ok)
{
	struct controller_host *h = host_of(ctl, j->action.kind == FLEET_POWER_ON || j->action.kind == FLEET_WAKE_TEST
							 ? j->to : j->from);

	if (!h)
		return;
	if (j->action.kind == FLEET_WAKE_TEST)
		snprintf(h->wake_test, sizeof(h->wake_test), "%s", ok ? "ok" : "failed");
	if (j->action.kind == FLEET_WAKE_TEST && ok)
		h->rec.trusted_to_sleep = true;
	if (j->wake_failed) {
		h->rec.wake_failed = true;
		h->rec.wake_failed_at = controller_now();
		snprintf(h->rec.wake_failed_reason, sizeof(h->rec.wake_failed_reason), "%s", j->detail);
		controller_alert(ctl, "host %s failed to wake (%s): it is never put to sleep again until 'sheer fleet "
				 "clear-wake %s'", h->cfg->name, j->detail, h->cfg->name);
	}
	if (j->action.kind == FLEET_FENCE && ok) {
		h->fenced = true;
		ctl->count.fences++;
	}
	if (j->action.kind == FLEET_FENCE && !ok)
		controller_alert(ctl, "host %s is silent and was not fenced (%s): its servers are not restarted "
				 "elsewhere (no confirmed fence, no restart)", h->cfg->name, j->detail);
	if (ok || j->wake_failed)
		power_changed(ctl, h, ok && (j->action.kind == FLEET_POWER_ON || j->action.kind == FLEET_WAKE_TEST)
					      ? FLEET_POWER_IS_ON : FLEET_POWER_IS_OFF);
	if (ok && j->action.kind == FLEET_POWER_OFF)
		ctl->count.power_offs++;
	if (ok && j->action.kind == FLEET_POWER_ON)
		ctl->count.power_ons++;
}

/* A host an action changed: its next plan waits for a report taken after (whole seconds, rounded up). */
static void report_again(struct controller_host *h)
{
	h->changed_ms = (controller_now() + 1) * 1000;
	fleet_poller_want_report(&h->poller);
}

/* The plan's entry for a migration: what became of it. */
static void plan_mark(struct controller *ctl, const struct fleet_job *j)
{
	json_t *moves = json_object_get(ctl->plan, "migrations"), *m;
	size_t i;

	json_array_foreach(moves, i, m)
		if (strcmp(json_string_value(json_object_get(m, "server")), j->action.server) == 0 &&
		    json_integer_value(json_object_get(m, "action")) == (json_int_t)j->action.id)
			json_object_set_new(m, "state", json_string(fleet_result_name(j->result)));
}

static void effects(struct controller *ctl, struct fleet_job *j)
{
	bool ok = j->result == FLEET_OK;

	if (!ok)
		ctl->count.actions_failed++;
	switch (j->action.kind) {
	case FLEET_MIGRATE:
		ok ? ctl->count.migrations_done++ : ctl->count.migrations_failed++;
		if (!ok)
			controller_hold_move(ctl, j->action.server, j->to ? controller_host_index(ctl, j->to->name) : -1);
		plan_mark(ctl, j);
		break;
	case FLEET_RESTART:
		if (ok)
			ctl->count.restarts++;
		else
			controller_alert(ctl, "%s was not restarted on %s: %s", j->action.server, j->to->name, j->detail);
		break;
	default:
		power_effects(ctl, j, ok);
	}
	if (j->from)
		report_again(host_of(ctl, j->from));
	if (j->to)
		report_again(host_of(ctl, j->to));
}

void controller_jobs_reap(struct controller *ctl)
{
	for (unsigned int i = 0; i < ctl->n_jobs;) {
		struct fleet_job *j = ctl->jobs[i];
		int ret;

		if (!fleet_job_done(j)) {
			i++;
			continue;
		}
		ret = fleet_store_result(ctl->store, j->action.id, j->result, j->detail);
		if (ret < 0 && ret != -EALREADY)
			controller_log(ctl, "action %llu: its result was not recorded: %s", (unsigned long long)j->action.id,
				       fleet_store_error(ctl->store));
		controller_log(ctl, "action %llu: %s: %s", (unsigned long long)j->action.id, fleet_result_name(j->result),
			       j->detail);
		busy(ctl, j, -1);
		effects(ctl, j);
		fleet_job_free(j);
		free(j);
		ctl->jobs[i] = ctl->jobs[--ctl->n_jobs];
	}
}
