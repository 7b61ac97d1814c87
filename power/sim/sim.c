/*
 * The simulator replays one day of traces through a policy, the way CloudSim's
 * PowerDatacenter does: every 300 s (at t = 300k + 0.1 s, CloudSim's clock) it
 * measures the hosts, lets the policy plan, and starts the migrations; each
 * migration copies the server's RAM over half of the 1 Gbit/s link and ends with
 * another measurement. Meanwhile the source grants the server 90% of its share
 * (the shortfall is PDM) and the target spends 10% of its demand in CPU while
 * counting the whole demand as asked (so the target is "at 100%" for SLATAH).
 * Energy integrates the SPECpower tables linearly between measurements, and a
 * segment that starts at zero utilisation draws nothing
 * (PowerHost.getEnergyLinearInterpolation): a host with no load is off.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "power/sim/sim.h"

#define CLOCK_OFFSET_S 0.1
#define MIGRATION_COST 0.1

static const struct {
	double mips;
	int ram_mb;
} vm_types[] = { { 2500, 870 }, { 2000, 1740 }, { 1000, 1740 }, { 500, 613 } };

#define N_VM_TYPES 4

struct flight {
	int server, to;
	int seq;		/* place in the plan: CloudSim ends simultaneous copies in send order */
	double end_s;
	double cost_mips;	/* CPU the target spends receiving it */
};

struct sim {
	const struct trace_day *day;
	const struct sim_config *cfg;
	struct power_fleet fleet;
	struct power_policy *policy;
	struct metrics m;
	double now;
	double *host_util;		/* fraction, as last measured */
	bool *host_violating;
	double *host_scale;		/* share of its servers' asks the host can grant */
	double *incoming_mips;		/* CPU a host spends receiving servers */
	double *start_w;		/* power at the start of the segment being integrated */
	int *migrating_to;		/* per server: target host, -1 when not migrating */
	struct flight *flights;
	int n_flights, cap_flights;
};

static void sim_free(struct sim *s)
{
	power_fleet_free(&s->fleet);
	power_policy_free(s->policy);
	metrics_free(&s->m);
	free(s->host_util);
	free(s->host_violating);
	free(s->host_scale);
	free(s->incoming_mips);
	free(s->start_w);
	free(s->migrating_to);
	free(s->flights);
}

static int sim_init(struct sim *s, const struct trace_day *day, const char *policy,
		    const struct sim_config *cfg)
{
	int n_hosts = cfg->n_hosts, n = day->n_servers;
	int per_type = (n + N_VM_TYPES - 1) / N_VM_TYPES;
	int err;

	memset(s, 0, sizeof(*s));
	s->day = day;
	s->cfg = cfg;
	err = power_policy_new(policy, &s->policy);
	if (err)
		return err;
	err = power_fleet_init(&s->fleet, n_hosts, n);
	if (err)
		return err;
	s->fleet.max_migrations = cfg->max_migrations;
	err = metrics_init(&s->m, n_hosts, n);
	if (err)
		return err;
	s->host_util = calloc(n_hosts + 1, sizeof(double));
	s->host_violating = calloc(n_hosts + 1, sizeof(bool));
	s->host_scale = calloc(n_hosts + 1, sizeof(double));
	s->incoming_mips = calloc(n_hosts + 1, sizeof(double));
	s->start_w = calloc(n_hosts + 1, sizeof(double));
	s->migrating_to = malloc((n + 1) * sizeof(int));
	if (!s->host_util || !s->host_violating || !s->host_scale || !s->incoming_mips || !s->start_w ||
	    !s->migrating_to)
		return -ENOMEM;
	for (int h = 0; h < n_hosts; h++)
		s->fleet.hosts[h].model = host_model_standard(h % 2);
	for (int i = 0; i < n; i++) {
		struct power_server *v = &s->fleet.servers[i];
		int type = i / per_type;

		v->mips = vm_types[type].mips;
		v->ram_mb = vm_types[type].ram_mb;
		v->mem_mb = v->ram_mb;
		s->migrating_to[i] = -1;
	}
	return 0;
}

/* Utilisation, power and SLA state of every host from the current demands. */
static void sim_measure(struct sim *s)
{
	struct power_fleet *f = &s->fleet;

	for (int h = 0; h < f->n_hosts; h++) {
		struct power_host *host = &f->hosts[h];
		double total = host_model_total_mips(host->model), pe = host->model->mips_per_pe;
		double requested = 0, granted = 0, scale = 1, used;
		bool was_active = s->host_util[h] > 0;

		for (int i = 0; i < host->n_servers; i++) {
			double d = f->servers[host->servers[i]].demand_mips;

			requested += d;
			granted += d < pe ? d : pe;	/* one vCPU never gets more than one core */
		}
		if (granted + s->incoming_mips[h] > total)
			scale = total / (granted + s->incoming_mips[h]);
		used = (granted + s->incoming_mips[h]) * scale;
		s->host_scale[h] = scale;
		host->util_mips = used;
		s->host_util[h] = used / total > 1 ? 1 : used / total;
		/*
		 * CloudSim's host state counts a server migrating in at its full request but
		 * grants it 10% (HostDynamicWorkload.updateVmsProcessing): the target is "at
		 * 100%" for SLATAH until the copy ends.
		 */
		s->host_violating[h] = granted * scale + 1e-9 < requested || s->incoming_mips[h] > 0;
		if (was_active && s->host_util[h] == 0)
			s->m.shutdowns++;
	}
}

/*
 * A server's requested capacity over a segment and, while it migrates, what it
 * loses: CloudSim's source host grants it 90% of its share (one core at most,
 * scaled when the host is oversubscribed) and counts the whole shortfall as
 * degradation due to migration (Helper.getSlaMetrics).
 */
static void sim_account_server(struct sim *s, int i, double dt)
{
	const struct power_server *v = &s->fleet.servers[i];
	const struct power_host *h = &s->fleet.hosts[v->host];
	double share = v->demand_mips < h->model->mips_per_pe ? v->demand_mips : h->model->mips_per_pe;

	s->m.server_requested[i] += v->demand_mips * dt;
	if (s->migrating_to[i] >= 0)
		s->m.server_lost[i] += (v->demand_mips - (1 - MIGRATION_COST) * share * s->host_scale[v->host]) * dt;
}

/* Integrate energy and SLA time up to `t` (CloudSim's trapezoid), then measure at `t`. */
static void sim_advance(struct sim *s, double t)
{
	struct power_fleet *f = &s->fleet;
	double dt = t - s->now;

	for (int h = 0; h < f->n_hosts; h++) {
		s->start_w[h] = 0;
		if (s->host_util[h] <= 0 || dt <= 0)
			continue;
		s->start_w[h] = host_model_power(f->hosts[h].model, s->host_util[h]);
		s->m.host_active_s[h] += dt;
		if (s->host_violating[h])
			s->m.host_violation_s[h] += dt;
	}
	for (int i = 0; i < f->n_servers; i++) {
		struct power_server *v = &f->servers[i];

		if (v->gone || v->host < 0)
			continue;
		if (dt > 0)
			sim_account_server(s, i, dt);
		v->demand_mips = trace_day_util_at(s->day, i, t) * v->mips;
		/* CloudSim's experiment ends a server whose demand falls to exactly zero. */
		if (v->demand_mips == 0 && s->migrating_to[i] < 0) {
			power_fleet_unassign(f, i);
			v->gone = true;
		}
	}
	sim_measure(s);
	for (int h = 0; h < f->n_hosts; h++)
		if (s->start_w[h] > 0) {
			double end_w = s->host_util[h] > 0 ? host_model_power(f->hosts[h].model, s->host_util[h])
							   : f->hosts[h].model->watts[0];

			s->m.energy_j += (s->start_w[h] + end_w) / 2 * dt;
		}
	s->now = t;
}

static int sim_place_all(struct sim *s)
{
	struct power_fleet *f = &s->fleet;
	double pe;

	/*
	 * A server being created is granted its full capacity and memory, as in CloudSim;
	 * once created it asks nothing until the workload starts (CloudSim's created VMs
	 * have no running cloudlet yet), so the next placements see its MIPS as taken
	 * but not as demand.
	 */
	for (int i = 0; i < f->n_servers; i++) {
		struct power_server *v = &f->servers[i];
		int err;

		v->demand_mips = v->mips;
		err = power_policy_place(s->policy, f, i);
		if (err)
			return err;
		pe = f->hosts[v->host].model->mips_per_pe;
		f->hosts[v->host].booting_mips += v->mips < pe ? v->mips : pe;
		v->demand_mips = 0;
	}
	for (int h = 0; h < f->n_hosts; h++) {
		f->hosts[h].mem_used_mb = 0;
		f->hosts[h].booting_mips = 0;
	}
	for (int i = 0; i < f->n_servers; i++) {
		struct power_server *v = &f->servers[i];

		v->mem_mb = s->cfg->reserve_memory ? v->ram_mb : 0;
		f->hosts[v->host].mem_used_mb += v->mem_mb;
	}
	return 0;
}

static int cmp_flight(const void *a, const void *b)
{
	const struct flight *x = a, *y = b;

	if (x->end_s != y->end_s)
		return x->end_s < y->end_s ? -1 : 1;
	return x->seq - y->seq;
}

static int sim_start_migrations(struct sim *s, const struct power_plan *plan)
{
	struct power_fleet *f = &s->fleet;

	s->n_flights = 0;
	if (plan->n_migrations > s->cap_flights) {
		/* CloudSim's reproductions may copy one server twice in an interval. */
		struct flight *grown = realloc(s->flights, plan->n_migrations * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->flights = grown;
		s->cap_flights = plan->n_migrations;
	}
	for (int i = 0; i < plan->n_migrations; i++) {
		const struct power_migration *mg = &plan->migrations[i];
		struct power_server *v = &f->servers[mg->server];
		double secs = power_migration_seconds(v, &f->hosts[mg->to]);
		double cost = MIGRATION_COST * v->demand_mips;

		s->migrating_to[mg->server] = mg->to;
		s->incoming_mips[mg->to] += cost;
		s->m.migrations++;
		s->flights[s->n_flights] = (struct flight){ mg->server, mg->to, i, s->now + secs, cost };
		s->n_flights++;
	}
	if (s->n_flights == 0)
		return 0;
	qsort(s->flights, s->n_flights, sizeof(*s->flights), cmp_flight);
	sim_measure(s);
	return 0;
}

/* Migrations end in time order; each end is a measurement, like CloudSim's VM_MIGRATE. */
static int sim_finish_migrations(struct sim *s)
{
	struct power_fleet *f = &s->fleet;

	for (int i = 0; i < s->n_flights;) {
		double end = s->flights[i].end_s;

		sim_advance(s, end);
		for (; i < s->n_flights && s->flights[i].end_s == end; i++) {
			const struct flight *fl = &s->flights[i];
			int err;

			s->incoming_mips[fl->to] -= fl->cost_mips;
			s->migrating_to[fl->server] = -1;
			err = power_fleet_assign(f, fl->server, fl->to);
			if (err)
				return err;
		}
		for (int h = 0; h < f->n_hosts; h++)
			if (s->incoming_mips[h] < 1e-6)
				s->incoming_mips[h] = 0;
		sim_measure(s);
	}
	s->n_flights = 0;
	return 0;
}

static void sim_record_point(struct sim *s, struct sim_result *r)
{
	struct sim_point *p = &r->series[r->n_points++];
	const struct power_fleet *f = &s->fleet;

	p->time_s = s->now;
	p->active_hosts = 0;
	p->power_w = 0;
	p->overloaded_hosts = 0;
	for (int h = 0; h < f->n_hosts; h++) {
		if (s->host_util[h] <= 0)
			continue;
		p->active_hosts++;
		p->power_w += host_model_power(f->hosts[h].model, s->host_util[h]);
		p->overloaded_hosts += s->host_violating[h];
	}
}

int sim_run_day(const struct trace_day *day, const char *policy, const struct sim_config *cfg,
		struct sim_result *r)
{
	struct timespec t0, t1;
	struct power_plan plan;
	struct sim s;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(r, 0, sizeof(*r));
	snprintf(r->day, sizeof(r->day), "%s", day->name);
	power_plan_init(&plan);
	err = sim_init(&s, day, policy, cfg);
	if (!err)
		err = sim_place_all(&s);
	if (!err) {
		/* CloudSim's first measurement is at 300.1 s: the first interval draws nothing. */
		s.now = CLOCK_OFFSET_S;
		for (int i = 0; i < s.fleet.n_servers; i++)
			s.fleet.servers[i].demand_mips = 0;
	}
	for (int k = 1; k < TRACE_SAMPLES && !err; k++) {
		sim_advance(&s, k * POWER_INTERVAL_S + CLOCK_OFFSET_S);
		for (int i = 0; i < s.fleet.n_servers; i++) {
			struct power_server *v = &s.fleet.servers[i];

			if (!v->gone && v->host >= 0)
				power_server_record(v, v->demand_mips / v->mips);
		}
		sim_record_point(&s, r);
		err = power_plan_compute(s.policy, &s.fleet, &plan);
		if (err)
			break;
		err = sim_start_migrations(&s, &plan);
		if (!err)
			err = sim_finish_migrations(&s);
	}
	if (!err)
		metrics_finish(&s.m, r);
	power_plan_free(&plan);
	sim_free(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->wall_s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return err;
}
