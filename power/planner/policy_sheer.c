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
 *
 * Scale: each interval is O(n log n) in hosts and servers. Hosts are sought through
 * an index (sheer_index.c) kept up to date after every move, the hosts to empty are
 * sorted once, and each host's sums are made once per change.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/sheer.h"

#define SHEER_RELIEVE_AT 1.0		/* forecast load that makes a host overloaded */
#define SHEER_WINDOW 12			/* samples behind the forecast */
#define SHEER_COOLDOWN_INTERVALS 12	/* a host whose servers changed rests this long before power-off */

void sheer_release(void *state)
{
	struct sheer_state *s = state;

	if (!s)
		return;
	free(s->moved_at);
	free(s->forecast);
	free(s->variance);
	sheer_index_free(&s->index);
	free(s);
}

struct sheer_state *sheer_state_get(struct power_policy *p, const struct power_fleet *f)
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
	if (!s->moved_at || !s->forecast || !s->variance || sheer_index_init(&s->index, f->n_hosts)) {
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

/* Variances add, so ten noisy servers need far less headroom than ten times one. */
double sheer_host_forecast_with(const struct sheer_state *s, const struct power_fleet *f, int host, int extra)
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
	return sheer_index_forecast(s, f, host);
}

static double host_capacity(const struct power_fleet *f, int host)
{
	return host_model_total_mips(f->hosts[host].model);
}

/* Move a server in the plan and keep both hosts' places in the index right. */
static int sheer_move(struct sheer_state *s, struct plan_state *st, int server, int to)
{
	int from = st->w->servers[server].host;
	int err = plan_move(st, server, to);

	if (err)
		return err;
	if (from >= 0)
		sheer_index_refresh(s, st->w, from);
	sheer_index_added(s, st->w, to, server);
	return 0;
}

int sheer_place(struct power_policy *p, struct plan_state *st, int server)
{
	struct sheer_state *s = sheer_state_get(p, st->w);
	int h, err;

	if (!s)
		return -ENOMEM;
	s->forecast[server] = st->w->servers[server].demand_mips;
	s->variance[server] = 0;
	err = sheer_index_build(s, st->w, NULL);
	if (err)
		return err;
	h = sheer_find_host(s, st, server);
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
		sheer_index_avoid(s, f, host, true);
		to = sheer_find_host(s, st, pick);
		err = to >= 0 ? sheer_move(s, st, pick, to) : 0;
		sheer_index_avoid(s, f, host, false);
		if (to < 0 || err)
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

/* Put back the servers an emptying moved before it failed: the plan forgets them. */
static int sheer_undo_empty(struct sheer_state *s, struct plan_state *st, int host, const int *ids, int moved)
{
	struct power_fleet *f = st->w;

	for (int i = moved - 1; i >= 0; i--) {
		int from = f->servers[ids[i]].host;
		int err = power_fleet_assign(f, ids[i], host);

		if (err)
			return err;
		sheer_index_refresh(s, f, from);
	}
	/* Its sums are made once, as it comes back into the index. */
	sheer_index_avoid(s, f, host, false);
	return 0;
}

/* Try to empty one host into the others; all or nothing. An emptied host takes nothing more. */
static int sheer_empty(struct sheer_state *s, struct plan_state *st, int host, int *budget)
{
	struct power_fleet *f = st->w;
	int n = f->hosts[host].n_servers, ids[64], moved = 0, err = 0;
	int saved_n = st->plan->n_migrations, saved_left = st->migrations_left;

	if (n > 64 || n > *budget || (st->migrations_left >= 0 && st->migrations_left < n))
		return 0;
	memcpy(ids, f->hosts[host].servers, n * sizeof(int));
	sort_servers_by_demand(f, ids, n);
	sheer_index_avoid(s, f, host, true);
	for (moved = 0; moved < n; moved++) {
		int to = sheer_find_host(s, st, ids[moved]);

		/* Emptying a host must not switch another one on. */
		if (to < 0 || f->hosts[to].n_servers == 0)
			break;
		err = sheer_move(s, st, ids[moved], to);
		if (err)
			return err;
	}
	if (moved == n) {
		for (int i = 0; i < n; i++)
			s->moved_at[ids[i]] = s->interval;
		*budget -= n;
		return 0;
	}
	err = sheer_undo_empty(s, st, host, ids, moved);
	st->plan->n_migrations = saved_n;
	st->migrations_left = saved_left;
	return err;
}

struct host_rank {
	int n_servers;
	double forecast;
	int host;
};

/* Cheapest to empty first: fewest servers, then lightest, then lowest index. */
static int cmp_rank(const void *a, const void *b)
{
	const struct host_rank *x = a, *y = b;

	if (x->n_servers != y->n_servers)
		return x->n_servers - y->n_servers;
	if (x->forecast != y->forecast)
		return x->forecast < y->forecast ? -1 : 1;
	return x->host - y->host;
}

static int sheer_consolidate(struct sheer_state *s, struct plan_state *st)
{
	struct power_fleet *f = st->w;
	struct host_rank *order = malloc((f->n_hosts + 1) * sizeof(*order));
	int budget = f->n_servers, n = 0, marked = 0, err = 0;

	if (!order)
		return -ENOMEM;
	for (int h = 0; h < f->n_hosts; h++)
		if (f->hosts[h].n_servers > 0 && !f->hosts[h].excluded && !host_recently_changed(s, f, h))
			order[n++] = (struct host_rank){ f->hosts[h].n_servers, host_forecast(s, f, h), h };
	qsort(order, n, sizeof(*order), cmp_rank);
	for (int i = 0; i < n && budget > 0 && plan_can_move(st) && !err; i++) {
		int h = order[i].host;

		if (f->hosts[h].n_servers == 0 || st->excl2[h])
			continue;
		err = sheer_empty(s, st, h, &budget);
		/* A host that just took servers is not emptied in the same interval. */
		for (; marked < st->plan->n_migrations; marked++)
			st->excl2[st->plan->migrations[marked].to] = 1;
	}
	free(order);
	return err;
}

int sheer_prepare(struct sheer_state *s, const struct power_fleet *f, const unsigned char *avoid)
{
	for (int i = 0; i < f->n_servers; i++)
		server_forecast(&f->servers[i], &s->forecast[i], &s->variance[i]);
	return sheer_index_build(s, f, avoid);
}

int sheer_plan(struct power_policy *p, struct plan_state *st)
{
	struct power_fleet *f = st->w;
	struct sheer_state *s = sheer_state_get(p, f);
	int err;

	if (!s)
		return -ENOMEM;
	s->interval++;
	err = sheer_prepare(s, f, NULL);
	if (err)
		return err;
	memset(st->excl2, 0, f->n_hosts);
	for (int h = 0; h < f->n_hosts; h++) {
		if (f->hosts[h].excluded || host_forecast(s, f, h) <= SHEER_RELIEVE_AT * host_capacity(f, h))
			continue;
		err = sheer_relieve(s, st, h);
		if (err)
			return err;
	}
	return sheer_consolidate(s, st);
}
