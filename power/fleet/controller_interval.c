/*
 * One planning round (every interval, and a first one as soon as every host
 * was heard): the planner's fleet from the hosts' reports, the plan of the
 * policy in force, its migrations queued (started within the limits each
 * tick), empty hosts put to sleep, a sleeping host woken ahead of demand,
 * and in a quiet round an untrusted host's wake tested.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/controller.h"
#include "power/fleet/fleet_decide.h"
#include "power/fleet/fleet_view.h"

static unsigned int running_servers(const struct controller_host *h)
{
	unsigned int n = 0;

	for (unsigned int i = 0; h->answering && i < h->now.n_servers; i++)
		n += h->now.servers[i].running;
	return n;
}

static void decide_hosts(const struct controller *ctl, struct fleet_decide_host *d)
{
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		const struct controller_host *h = &ctl->hosts[i];

		d[i] = (struct fleet_decide_host){
			.on = h->answering && h->heard_ms && !h->failed,
			.off = !h->answering && (h->bmc_on == 0 || h->rec.power == FLEET_POWER_IS_OFF) && !h->failed,
			.failed = h->failed,
			.spare = h->cfg->role == FLEET_ROLE_SPARE,
			.has_bmc = bmc_entry_given(&h->cfg->bmc) && h->bmc_ret == 0,
			.trusted = h->rec.trusted_to_sleep,
			.wake_failed = h->rec.wake_failed,
			/* A spare given to a failed host's servers keeps them: it is not put to sleep. */
			.busy = h->busy > 0 || h->claimed_by >= 0,
			.n_servers = running_servers(h),
			.power_changed_at = h->rec.power_changed_at,
		};
	}
}

/*
 * Every host answered with two reports (demand needs both), or is known off,
 * or failed; a host still unheard a failure timeout after this controller
 * began to lead does not hold the others up.
 */
static bool every_host_heard(const struct controller *ctl)
{
	bool waited = controller_now() - ctl->leading_since >= (int64_t)ctl->cfg->controller.failure_timeout_s;

	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		const struct controller_host *h = &ctl->hosts[i];

		if (!h->failed && !(h->answering && h->prev.at_ms) && !(!h->answering && (h->bmc_on == 0 || waited)))
			return false;
	}
	return true;
}

void controller_test_wake(struct controller *ctl, unsigned int i, const char *reason)
{
	struct controller_host *h = &ctl->hosts[i];
	struct fleet_job *j;
	const char *no = !bmc_entry_given(&h->cfg->bmc) ? "it has no BMC"
			 : h->bmc_ret < 0			  ? "its BMC does not answer or refuses the credentials"
			 : !h->answering			  ? "it does not answer (it must be on)"
			 : running_servers(h)			  ? "it runs servers (move them first)"
			 : h->busy				  ? "an action on it is under way"
			 : h->rec.wake_failed			  ? "it failed to wake before (sheer fleet clear-wake)"
								  : NULL;

	if (no) {
		snprintf(h->wake_test, sizeof(h->wake_test), "refused: %s", no);
		return;
	}
	if (!(j = controller_job_new(FLEET_WAKE_TEST, NULL, NULL, h->cfg, reason)))
		return;
	j->deadline_s = controller_wake_deadline(ctl);
	snprintf(h->wake_test, sizeof(h->wake_test), "running");
	if (controller_job_start(ctl, j) < 0)
		snprintf(h->wake_test, sizeof(h->wake_test), "failed");
}

/* The planner's view of each host: what may take or give servers. */
static void view_hosts(const struct controller *ctl, const struct fleet_decide_host *d, struct fleet_view_host *v)
{
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		const struct controller_host *h = &ctl->hosts[i];
		bool wakeable = d[i].off && d[i].has_bmc && d[i].trusted && !d[i].wake_failed;

		v[i] = (struct fleet_view_host){
			.cfg = h->cfg,
			.on = d[i].on && h->now.at_ms,
			.excluded = d[i].spare || d[i].failed || d[i].busy || (!d[i].on && !wakeable),
			.now = &h->now,
			.prev = h->prev.at_ms ? &h->prev : NULL,
		};
	}
}

static int queue_plan(struct controller *ctl, const struct fleet_view *view, const struct power_plan *plan)
{
	json_t *moves = json_array();

	free(ctl->queue);
	free(ctl->queue_names);
	ctl->n_queue = 0;
	ctl->started_round = 0;
	ctl->queue = calloc(plan->n_migrations + 1, sizeof(*ctl->queue));
	ctl->queue_names = calloc(plan->n_migrations + 1, sizeof(*ctl->queue_names));
	if (!ctl->queue || !ctl->queue_names || !moves) {
		json_decref(moves);
		return -ENOMEM;
	}
	for (int i = 0; i < plan->n_migrations; i++) {
		const struct power_migration *m = &plan->migrations[i];

		ctl->queue[ctl->n_queue] = *m;
		snprintf(ctl->queue_names[ctl->n_queue++], SERVER_NAME_MAX, "%s", view->server_names[m->server]);
		json_array_append_new(moves, json_pack("{s:s, s:s, s:s, s:s}", "server", view->server_names[m->server],
						       "from", ctl->hosts[m->from].cfg->name, "to",
						       ctl->hosts[m->to].cfg->name, "state", "queued"));
	}
	ctl->count.migrations_planned += (uint64_t)plan->n_migrations;
	json_decref(ctl->plan);
	ctl->plan = json_pack("{s:I, s:I, s:s, s:o, s:[], s:[], s:I}", "interval", (json_int_t)ctl->interval, "at",
			      (json_int_t)controller_now(), "policy", ctl->sched.effective.policy, "migrations", moves,
			      "power_off", "power_on", "unmeasured_servers", (json_int_t)view->n_unknown_demand);
	return 0;
}

/* Hosts a queued migration leaves or reaches are not emptied for sleep this round. */
static void mark_moving(const struct controller *ctl, struct fleet_decide_host *d)
{
	for (unsigned int i = 0; i < ctl->n_queue; i++) {
		d[ctl->queue[i].from].busy = true;
		d[ctl->queue[i].to].busy = true;
	}
}

static void plan_power(struct controller *ctl, const char *list, unsigned int host)
{
	json_array_append_new(json_object_get(ctl->plan, list), json_string(ctl->hosts[host].cfg->name));
}

static void power_decisions(struct controller *ctl, struct fleet_decide_host *d, double demand, double capacity)
{
	const struct fleet_policy *p = &ctl->sched.effective;
	unsigned int off[ctl->n_hosts + 1], n_off;
	char reason[FLEET_TEXT_MAX];
	int wake;

	mark_moving(ctl, d);
	n_off = fleet_decide_power_off(d, ctl->n_hosts, p, controller_now(), off);
	for (unsigned int k = 0; k < n_off; k++) {
		struct fleet_job *j;

		snprintf(reason, sizeof(reason), "empty, trusted to sleep; policy %s keeps %u active", p->policy,
			 p->min_active_hosts);
		if ((j = controller_job_new(FLEET_POWER_OFF, NULL, ctl->hosts[off[k]].cfg, NULL, reason)) &&
		    controller_job_start(ctl, j) == 0)
			plan_power(ctl, "power_off", off[k]);
	}
	wake = fleet_decide_wake(d, ctl->n_hosts, p, controller_now(), demand, capacity);
	if (wake >= 0) {
		snprintf(reason, sizeof(reason), "demand %.0f of %.0f MIPS on the active hosts (headroom %u%%, "
			 "min_active_hosts %u)", demand, capacity, p->headroom_pct, p->min_active_hosts);
		controller_power_on(ctl, (unsigned int)wake, reason);
		plan_power(ctl, "power_on", (unsigned int)wake);
	}
	if (!ctl->n_queue && !n_off && wake < 0 && !ctl->n_jobs) {
		int test = fleet_decide_wake_test(d, ctl->n_hosts, p);

		if (test >= 0)
			controller_test_wake(ctl, (unsigned int)test, "a quiet interval: it must wake once through its BMC "
					     "before it is put to sleep");
	}
}

static int plan_round(struct controller *ctl, struct fleet_decide_host *d)
{
	struct fleet_view_host v[ctl->n_hosts + 1];
	struct fleet_view view;
	struct power_plan plan;
	double demand, capacity;
	int ret;

	if (!ctl->planner || strcmp(power_policy_name(ctl->planner), ctl->sched.effective.policy) != 0) {
		power_policy_free(ctl->planner);
		ctl->planner = NULL;
		if ((ret = power_policy_new(ctl->sched.effective.policy, &ctl->planner)) < 0)
			return ret;
	}
	view_hosts(ctl, d, v);
	if ((ret = fleet_view_build(v, ctl->n_hosts, ctl->sched.effective.headroom_pct, &view)) < 0)
		return ret;
	power_plan_init(&plan);
	ret = power_plan_compute(ctl->planner, &view.fleet, &plan);
	if (ret == 0)
		ret = queue_plan(ctl, &view, &plan);
	fleet_view_load(&view, v, &demand, &capacity);
	if (ret == 0)
		power_decisions(ctl, d, demand, capacity);
	power_plan_free(&plan);
	fleet_view_free(&view);
	return ret;
}

/*
 * A host an action just changed has not reported since: a plan now would see the server where it was
 * (and move it again). The round waits for its report, a failure timeout at most.
 */
static bool a_report_is_stale(const struct controller *ctl, int64_t now)
{
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		const struct controller_host *h = &ctl->hosts[i];

		if (h->answering && h->now.at_ms < h->changed_ms &&
		    now * 1000 - h->changed_ms < (int64_t)ctl->cfg->controller.failure_timeout_s * 1000)
			return true;
	}
	return false;
}

void controller_interval(struct controller *ctl)
{
	struct fleet_decide_host d[ctl->n_hosts + 1];
	int64_t now = controller_now();
	int ret;

	if ((ctl->next_interval && now < ctl->next_interval) || (!ctl->next_interval && !every_host_heard(ctl)) ||
	    a_report_is_stale(ctl, now))
		return;
	ctl->interval++;
	ctl->next_interval = now + ctl->cfg->controller.interval_s;
	decide_hosts(ctl, d);
	if ((ret = plan_round(ctl, d)) < 0)
		controller_log(ctl, "interval %llu: no plan: %s", (unsigned long long)ctl->interval, strerror(-ret));
	else if (ctl->n_queue)
		controller_log(ctl, "interval %llu: policy %s plans %u migrations", (unsigned long long)ctl->interval,
			       ctl->sched.effective.policy, ctl->n_queue);
}

/* A queued migration started, or its sleeping target woken (the server moves in a later round). */
static void start_migration(struct controller *ctl, const struct power_migration *m, const char *server)
{
	struct controller_host *to = &ctl->hosts[m->to];
	char reason[FLEET_TEXT_MAX];
	struct fleet_job *j;

	if (controller_move_held(ctl, server, m->to))
		return;
	if (!to->answering) {
		/* The planner chose a host that sleeps: wake it; the servers go there in a later round. */
		if (!to->busy && to->rec.trusted_to_sleep && !to->rec.wake_failed)
			controller_power_on(ctl, (unsigned int)m->to, "the plan puts servers on it");
		return;
	}
	snprintf(reason, sizeof(reason), "interval %llu, policy %s", (unsigned long long)ctl->interval,
		 ctl->sched.effective.policy);
	if (!(j = controller_job_new(FLEET_MIGRATE, server, ctl->hosts[m->from].cfg, to->cfg, reason)))
		return;
	j->deadline_s = ctl->sched.effective.migration_deadline_s;
	if (controller_job_start(ctl, j) == 0) {
		json_t *moves = json_object_get(ctl->plan, "migrations"), *e;
		size_t i;

		ctl->started_round++;
		json_array_foreach(moves, i, e)
			if (strcmp(json_string_value(json_object_get(e, "server")), server) == 0)
				json_object_set_new(e, "action", json_integer((json_int_t)ctl->jobs[ctl->n_jobs - 1]->action.id)),
				json_object_set_new(e, "state", json_string("started"));
	}
}

void controller_migrations_start(struct controller *ctl)
{
	unsigned int allowed = fleet_decide_migrations_allowed(&ctl->sched.effective,
							       controller_jobs_running(ctl, FLEET_MIGRATE),
							       ctl->started_round);

	while (allowed-- && ctl->n_queue) {
		struct power_migration m = ctl->queue[0];
		char server[SERVER_NAME_MAX];

		snprintf(server, sizeof(server), "%s", ctl->queue_names[0]);
		memmove(ctl->queue, ctl->queue + 1, (ctl->n_queue - 1) * sizeof(*ctl->queue));
		memmove(ctl->queue_names, ctl->queue_names + 1, (ctl->n_queue - 1) * sizeof(*ctl->queue_names));
		ctl->n_queue--;
		start_migration(ctl, &m, server);
	}
}
