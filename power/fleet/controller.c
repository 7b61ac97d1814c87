/* The controller's opening, its tick and its leadership (controller.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "power/fleet/controller.h"
#include "power/fleet/fleet_api.h"

/* A heartbeat every third of the failure timeout, at most every 5 s, at least every second. */
static unsigned int ping_every(const struct fleet_config *c)
{
	unsigned int s = c->controller.failure_timeout_s / 3;

	return s < 1 ? 1 : s > 5 ? 5 : s;
}

int64_t controller_now(void)
{
	return (int64_t)time(NULL);
}

void controller_log(struct controller *ctl, const char *fmt, ...)
{
	char line[CONTROLLER_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sheer: fleet %s: %s\n", ctl->cfg->controller.name, line);
}

void controller_alert(struct controller *ctl, const char *fmt, ...)
{
	char *line = ctl->alerts[ctl->n_alerts % CONTROLLER_ALERTS_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, CONTROLLER_LINE_MAX, fmt, ap);
	va_end(ap);
	ctl->n_alerts++;
	ctl->count.alerts++;
	controller_log(ctl, "ALERT: %s", line);
}

int controller_host_index(const struct controller *ctl, const char *name)
{
	for (unsigned int i = 0; i < ctl->n_hosts; i++)
		if (strcmp(ctl->hosts[i].cfg->name, name) == 0)
			return (int)i;
	return -1;
}

static int open_store(struct controller *ctl, char *err, size_t errlen)
{
	const struct fleet_store_options opt = { .controller = ctl->cfg->controller.name };
	int ret = fleet_store_open(ctl->cfg->controller.state.url, &opt, &ctl->store, err, errlen);

	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < ctl->n_hosts; i++) {
		struct controller_host *h = &ctl->hosts[i];

		snprintf(h->rec.name, sizeof(h->rec.name), "%s", h->cfg->name);
		/* A host the store does not know yet is as unknown as its power. */
		if (fleet_store_host_get(ctl->store, h->cfg->name, &h->rec) < 0)
			snprintf(h->rec.name, sizeof(h->rec.name), "%s", h->cfg->name);
	}
	return 0;
}

int controller_open(struct controller *ctl, struct fleet_config *c, char *err, size_t errlen)
{
	unsigned int report_s = c->controller.interval_s / 2 < 30 ? c->controller.interval_s / 2 : 30;
	int ret;

	memset(ctl, 0, sizeof(*ctl));
	ctl->cfg = c;
	ctl->test_wake = -1;
	pthread_mutex_init(&ctl->lock, NULL);
	ctl->n_hosts = c->n_hosts;
	ctl->hosts = calloc(c->n_hosts, sizeof(*ctl->hosts));
	if (!ctl->hosts)
		return snprintf(err, errlen, "%s", strerror(ENOMEM)), -ENOMEM;
	for (unsigned int i = 0; i < c->n_hosts; i++) {
		ctl->hosts[i].cfg = &c->hosts[i];
		ctl->hosts[i].answering = true;	/* so that the first silence is logged */
		ctl->hosts[i].claimed_by = -1;
	}
	if ((ret = open_store(ctl, err, errlen)) < 0)
		return ret;
	if ((ret = fleet_api_start(ctl, err, errlen)) < 0)
		return ret;
	for (unsigned int i = 0; i < c->n_hosts; i++)
		if ((ret = fleet_poller_start(&ctl->hosts[i].poller, &c->hosts[i], c->controller.tls_dir, ping_every(c),
					      report_s ? report_s : 1)) < 0) {
			snprintf(err, errlen, "cannot start the poller of host %s: %s", c->hosts[i].name, strerror(-ret));
			return ret;
		}
	schedule_evaluate(c, time(NULL), &ctl->sched);
	return 0;
}

/* Campaign; a change of leadership is logged once. */
static void lead(struct controller *ctl)
{
	bool leading = false;
	struct fleet_leader now = { 0 };
	int ret = fleet_store_campaign(ctl->store, ctl->cfg->controller.lease_s, &leading, &now);

	if (ret < 0) {
		leading = false;
		if (ctl->leading || ctl->leader.term != (uint64_t)-1)
			controller_log(ctl, "cannot campaign: %s", fleet_store_error(ctl->store));
		now.term = (uint64_t)-1;
	}
	if (leading && (!ctl->leading || now.term != ctl->term)) {
		controller_log(ctl, "leads the fleet, term %llu", (unsigned long long)now.term);
		ctl->leading_since = controller_now();
	}
	else if (!leading && ctl->leading)
		controller_log(ctl, "no longer leads (%s does)", now.controller[0] ? now.controller : "no one");
	ctl->leading = leading;
	ctl->term = leading ? now.term : 0;
	ctl->leader = now;
}

/* Re-evaluate the schedules when their next change has come; a change of policy is logged. */
static void follow_schedules(struct controller *ctl)
{
	time_t now = time(NULL);
	unsigned int before = ctl->sched.active;

	if (!ctl->sched.changes || now < ctl->sched.next_change)
		return;
	schedule_evaluate(ctl->cfg, now, &ctl->sched);
	if (ctl->sched.active != before)
		controller_log(ctl, "schedules now in force changed: policy %s, headroom %u%%, min_active_hosts %u, "
			       "power_saving %s", ctl->sched.effective.policy, ctl->sched.effective.headroom_pct,
			       ctl->sched.effective.min_active_hosts, ctl->sched.effective.power_saving ? "on" : "off");
}

static void operator_requests(struct controller *ctl)
{
	uint64_t seq;
	int host;

	pthread_mutex_lock(&ctl->lock);
	host = ctl->test_wake;
	seq = ctl->test_wake_seq;
	ctl->test_wake = -1;
	pthread_mutex_unlock(&ctl->lock);
	if (host < 0)
		return;
	controller_test_wake(ctl, (unsigned int)host, "the operator's test-wake");
	ctl->hosts[host].wake_test_seq = seq;
}

static void tick(struct controller *ctl)
{
	lead(ctl);
	controller_hosts_take(ctl);
	follow_schedules(ctl);
	if (ctl->leading) {
		controller_jobs_reap(ctl);
		if (ctl->recovered_term != ctl->term && controller_recover(ctl))
			ctl->recovered_term = ctl->term;
		if (ctl->recovered_term == ctl->term) {
			controller_ha(ctl);
			controller_interval(ctl);
			controller_migrations_start(ctl);
			operator_requests(ctl);
		}
	}
	controller_snapshot(ctl);
}

int controller_run(struct controller *ctl, const void *stop)
{
	const struct timespec second = { 1, 0 };

	ctl->leader.term = 0;
	controller_log(ctl, "serving %u hosts; state %s; endpoint http://%s:%u, metrics http://%s:%u/metrics",
		       ctl->n_hosts, ctl->cfg->controller.state.url, ctl->cfg->controller.listen.host,
		       ctl->cfg->controller.listen.port, ctl->cfg->controller.metrics.host,
		       ctl->cfg->controller.metrics.port);
	for (;;) {
		tick(ctl);
		if (sigtimedwait((const sigset_t *)stop, NULL, &second) > 0)
			break;
	}
	controller_log(ctl, "stopping; %u actions under way are left to finish on their own", ctl->n_jobs);
	return 0;
}

void controller_close(struct controller *ctl)
{
	fleet_api_stop(ctl);
	for (unsigned int i = 0; ctl->hosts && i < ctl->n_hosts; i++) {
		fleet_poller_stop(&ctl->hosts[i].poller);
		fleet_report_free(&ctl->hosts[i].now);
		fleet_report_free(&ctl->hosts[i].prev);
		free(ctl->hosts[i].restarted);
	}
	/* Jobs still running hold pointers into the configuration: the process ends with them. */
	fleet_store_close(ctl->store);
	power_policy_free(ctl->planner);
	json_decref(ctl->plan);
	json_decref(ctl->shown);
	free(ctl->metrics);
	free(ctl->queue);
	free(ctl->queue_names);
	free(ctl->hosts);
	pthread_mutex_destroy(&ctl->lock);
}
