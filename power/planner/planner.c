/*
 * The planner's core: builds each interval's plan on a working copy of the fleet,
 * so a policy can try moves freely and the caller's fleet is never touched. The
 * constraints every policy gets for free live here: CPU per core and per host,
 * memory, device models, excluded hosts and the migration limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/planner.h"

/* A host of the working copy as the caller's, in the list memory it already has. */
static int host_copy(const struct power_host *src, struct power_host *dst)
{
	int *list = dst->servers, cap = dst->cap_servers;

	if (!list || cap < src->n_servers) {
		int want = src->n_servers > 8 ? src->n_servers : 8;
		int *grown = realloc(list, want * sizeof(int));

		if (!grown)
			return -ENOMEM;
		list = grown;
		cap = want;
	}
	*dst = *src;
	dst->servers = list;
	dst->cap_servers = cap;
	if (src->n_servers)
		memcpy(list, src->servers, src->n_servers * sizeof(int));
	return 0;
}

/*
 * Bring the policy's working copy level with the caller's fleet. It is kept from
 * one interval to the next, so an interval copies the fleet without allocating it
 * again (at a million servers, fresh pages cost more than the planning), and it
 * shares the servers' histories and device models, which planning never changes.
 */
static int fleet_copy(const struct power_fleet *src, struct power_fleet *dst)
{
	int err;

	if (!dst->hosts || dst->n_hosts != src->n_hosts || dst->n_servers != src->n_servers) {
		power_fleet_free(dst);
		err = power_fleet_init_borrowing(dst, src->n_hosts, src->n_servers);
		if (err)
			return err;
	}
	dst->max_migrations = src->max_migrations;
	if (src->n_servers)
		memcpy(dst->servers, src->servers, src->n_servers * sizeof(*src->servers));
	for (int h = 0; h < src->n_hosts; h++) {
		err = host_copy(&src->hosts[h], &dst->hosts[h]);
		if (err)
			return err;
	}
	return 0;
}

void plan_state_free(struct plan_state *st)
{
	free(st->hist);
	free(st->hist_dirty);
	free(st->excl);
	free(st->excl2);
	free(st->slot);
	memset(st, 0, sizeof(*st));
}

int plan_state_init(struct plan_state *st, struct power_fleet *w)
{
	int n = w->n_hosts > 0 ? w->n_hosts : 1;

	memset(st, 0, sizeof(*st));
	st->w = w;
	st->hist = calloc(n, sizeof(*st->hist));
	st->hist_dirty = malloc(n * sizeof(bool));
	st->excl = calloc(n, 1);
	st->excl2 = calloc(n, 1);
	if (!st->hist || !st->hist_dirty || !st->excl || !st->excl2) {
		plan_state_free(st);
		return -ENOMEM;
	}
	for (int h = 0; h < n; h++)
		st->hist_dirty[h] = true;
	st->migrations_left = w->max_migrations;
	return 0;
}

static void host_history_refresh(struct plan_state *st, int host)
{
	const struct power_host *h = &st->w->hosts[host];
	double total = host_model_total_mips(h->model);
	double *sum = st->hist[host];

	memset(sum, 0, sizeof(st->hist[host]));
	for (int i = 0; i < h->n_servers; i++) {
		const struct power_server *s = &st->w->servers[h->servers[i]];

		for (int k = 0; k < s->n_history; k++)
			sum[k] += s->history[k] * s->mips / total;
	}
	st->hist_dirty[host] = false;
}

void host_view_get(struct plan_state *st, int host, int extra, struct host_view *v)
{
	const struct power_host *h = &st->w->hosts[host];
	int n;

	if (st->hist_dirty[host])
		host_history_refresh(st, host);
	v->total_mips = host_model_total_mips(h->model);
	v->demand_mips = 0;
	v->max_ram_mb = -1;
	v->n_servers = h->n_servers;
	memcpy(v->history, st->hist[host], sizeof(v->history));
	for (int i = 0; i < h->n_servers; i++) {
		const struct power_server *s = &st->w->servers[h->servers[i]];

		v->demand_mips += s->demand_mips;
		if (s->ram_mb > v->max_ram_mb)
			v->max_ram_mb = s->ram_mb;
	}
	if (extra >= 0) {
		const struct power_server *s = &st->w->servers[extra];

		v->demand_mips += s->demand_mips;
		if (s->ram_mb > v->max_ram_mb)
			v->max_ram_mb = s->ram_mb;
		for (int k = 0; k < s->n_history; k++)
			v->history[k] += s->history[k] * s->mips / v->total_mips;
		v->n_servers++;
	}
	/* CloudSim trims trailing zeros: servers younger than the window add nothing there. */
	for (n = POWER_HISTORY_LEN; n > 0 && v->history[n - 1] == 0; n--)
		;
	v->n_history = n;
}

double host_grant(const struct power_host *h, double demand)
{
	return demand < h->model->mips_per_pe ? demand : h->model->mips_per_pe;
}

double host_available_mips(const struct power_fleet *f, int host)
{
	const struct power_host *h = &f->hosts[host];
	double avail = host_model_total_mips(h->model) - h->booting_mips;

	for (int i = 0; i < h->n_servers; i++)
		avail -= host_grant(h, f->servers[h->servers[i]].demand_mips);
	return avail > 0 ? avail : 0;
}

bool host_has_devices_for(const struct power_host *h, const struct power_server *s)
{
	bool taken[POWER_MAX_DEVICES] = { false };

	for (int i = 0; i < s->n_devices; i++) {
		int d;

		for (d = 0; d < h->n_devices; d++)
			if (!taken[d] && h->devices[d].owner < 0 &&
			    strcmp(h->devices[d].model, s->devices[i]) == 0)
				break;
		if (d == h->n_devices)
			return false;
		taken[d] = true;
	}
	return true;
}

bool host_suitable(const struct power_fleet *f, int host, int server)
{
	const struct power_host *h = &f->hosts[host];
	const struct power_server *s = &f->servers[server];

	return !h->excluded && s->host != host &&
	       h->model->mips_per_pe >= s->demand_mips &&
	       host_available_mips(f, host) >= s->demand_mips &&
	       h->mem_used_mb + s->mem_mb <= h->model->mem_mb &&
	       host_has_devices_for(h, s);
}

bool plan_can_move(const struct plan_state *st)
{
	return st->migrations_left != 0;
}

/* Index of the server's migration in the plan, or -1; slots are checked, so stale ones are harmless. */
static int plan_find(const struct plan_state *st, int server)
{
	const struct power_plan *p = st->plan;
	int i = st->slot ? st->slot[server] : -1;

	return i >= 0 && i < p->n_migrations && p->migrations[i].server == server ? i : -1;
}

/* A second move of a server within one plan amends its first: one migration from where it runs. */
static bool plan_amend(struct plan_state *st, int server, int to)
{
	struct power_plan *p = st->plan;
	int i = plan_find(st, server);

	if (i < 0)
		return false;
	p->migrations[i].to = to;
	if (p->migrations[i].from == to) {
		p->migrations[i] = p->migrations[--p->n_migrations];
		if (i < p->n_migrations)
			st->slot[p->migrations[i].server] = i;
		if (st->migrations_left >= 0)
			st->migrations_left++;
	}
	return true;
}

/* Move a server in the working copy and write the move into the plan (or amend it). */
int plan_move(struct plan_state *st, int server, int to)
{
	struct power_plan *p = st->plan;
	int from = st->w->servers[server].host;
	int err;

	err = power_fleet_assign(st->w, server, to);
	if (err)
		return err;
	if (from >= 0)
		st->hist_dirty[from] = true;
	st->hist_dirty[to] = true;
	if (!p)
		return 0;
	if (!st->each_move_migrates && plan_amend(st, server, to))
		return 0;
	if (st->each_move_migrates)
		from = st->orig->servers[server].host;	/* every copy starts where it runs */
	if (p->n_migrations == p->cap_migrations) {
		int cap = p->cap_migrations ? 2 * p->cap_migrations : 64;
		struct power_migration *m = realloc(p->migrations, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		p->migrations = m;
		p->cap_migrations = cap;
	}
	if (!st->slot) {
		st->slot = malloc((st->w->n_servers + 1) * sizeof(int));
		if (!st->slot)
			return -ENOMEM;
		memset(st->slot, 0xff, (st->w->n_servers + 1) * sizeof(int));
	}
	st->slot[server] = p->n_migrations;
	p->migrations[p->n_migrations++] = (struct power_migration){ server, from, to };
	if (st->migrations_left > 0)
		st->migrations_left--;
	return 0;
}

/* Stable, like Java's Collections.sort: equal demands keep their order. */
void sort_servers_by_demand(const struct power_fleet *f, int *ids, int n)
{
	for (int i = 1; i < n; i++) {
		int v = ids[i], j = i;

		while (j > 0 && f->servers[ids[j - 1]].demand_mips < f->servers[v].demand_mips) {
			ids[j] = ids[j - 1];
			j--;
		}
		ids[j] = v;
	}
}

static int plan_power_changes(const struct power_fleet *before, const struct power_fleet *after,
			      struct power_plan *p)
{
	int n = before->n_hosts;

	p->power_off = calloc(n > 0 ? n : 1, sizeof(int));
	p->power_on = calloc(n > 0 ? n : 1, sizeof(int));
	if (!p->power_off || !p->power_on)
		return -ENOMEM;
	for (int h = 0; h < n; h++) {
		bool was_on = before->hosts[h].n_servers > 0 || before->hosts[h].util_mips > 0;
		bool stays_used = after->hosts[h].n_servers > 0;

		if (was_on && !stays_used && !before->hosts[h].excluded)
			p->power_off[p->n_power_off++] = h;
		if (!was_on && stays_used)
			p->power_on[p->n_power_on++] = h;
	}
	return 0;
}

int power_plan_compute(struct power_policy *p, const struct power_fleet *f, struct power_plan *plan)
{
	struct plan_state st;
	int err;

	power_plan_clear(plan);
	err = fleet_copy(f, &p->work);
	if (!err)
		err = plan_state_init(&st, &p->work);
	if (err)
		return err;
	st.orig = f;
	st.plan = plan;
	err = p->ops->plan(p, &st);
	if (!err)
		err = plan_power_changes(f, st.w, plan);
	plan->host_searches = st.host_searches;
	plan->hosts_examined = st.hosts_examined;
	plan_state_free(&st);
	return err;
}

int power_policy_place(struct power_policy *p, struct power_fleet *f, int server)
{
	struct plan_state st;
	int err = plan_state_init(&st, f);

	if (err)
		return err;
	st.orig = f;
	err = p->ops->place(p, &st, server);
	plan_state_free(&st);
	return err;
}
