/*
 * The flow shared by THR-MMT, IQR-MMT and LR-MMT (Beloglazov & Buyya 2012, as
 * CloudSim 3.0.3's PowerVmAllocationPolicyMigrationAbstract runs it):
 *  1. hosts the detector calls overloaded give up servers, smallest memory first
 *     (minimum migration time), until the detector is satisfied;
 *  2. those servers go, largest demand first, to the host whose power rises least
 *     (power-aware best-fit decreasing), never onto a host that would then be
 *     overloaded;
 *  3. the least utilised hosts are emptied the same way, host by host, whenever
 *     all of a host's servers fit elsewhere, and switched off.
 * CloudSim's quirks that shape its published numbers are kept on purpose:
 *  - the power rise of a candidate is P(granted now + server) - P(measured): the
 *    first term counts what was already placed there this interval (its
 *    getUtilizationOfCpuMips(host) sums the VMs' allocated MIPS), the second is
 *    the utilisation measured at the start of the interval (host.getPower()). A
 *    host that already took servers this round looks dearer with each one, so
 *    servers spread over many hosts, switched-off ones included (P(0) is the
 *    idle wattage, 86 W / 93.7 W, not 0);
 *  - the overload check after placement is skipped on a host granting nothing
 *    now (getUtilizationOfCpuMips(host) != 0 && isHostOverUtilizedAfterAllocation);
 *  - hosts that receive servers from overloaded hosts may still be emptied as
 *    underloaded, and then such a server migrates twice: CloudSim's migration map
 *    keeps one entry per placement and runs both copies from its current host.
 */
#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/planner.h"

static double host_util(const struct power_fleet *f, int host)
{
	return f->hosts[host].util_mips / host_model_total_mips(f->hosts[host].model);
}

/* Empty, switched-off hosts of one model without devices are interchangeable. */
static bool host_is_blank(const struct power_host *h)
{
	return h->n_servers == 0 && h->util_mips == 0 && h->n_devices == 0;
}

int cloudsim_find_host(struct power_policy *p, struct plan_state *st, int server,
		       const unsigned char *excluded)
{
	const struct power_fleet *f = st->w;
	const struct host_model *seen_blank[4] = { NULL };
	double demand = f->servers[server].demand_mips;
	double min_diff = DBL_MAX;
	int best = -1;

	/* A scan: CloudSim's policies run at the benchmark's scale only. */
	st->host_searches++;
	st->hosts_examined += f->n_hosts;
	for (int h = 0; h < f->n_hosts; h++) {
		const struct power_host *host = &f->hosts[h];
		double total, granted, after, diff;
		int k;

		if ((excluded && excluded[h]) || !host_suitable(f, h, server))
			continue;
		if (host_is_blank(host)) {
			for (k = 0; k < 4 && seen_blank[k] && seen_blank[k] != host->model; k++)
				;
			if (k < 4 && seen_blank[k])
				continue;
			if (k < 4)
				seen_blank[k] = host->model;
		}
		total = host_model_total_mips(host->model);
		/* CloudSim's getUtilizationOfCpuMips(host): what its servers hold now. */
		granted = total - host_available_mips(f, h);
		after = (granted + demand) / total;
		if (after > 1)
			continue;
		diff = host_model_power(host->model, after) - host_model_power(host->model, host_util(f, h));
		if (diff >= min_diff)
			continue;
		if (granted != 0 && p->ops->overloaded(st, h, server, p->ops->param))
			continue;
		min_diff = diff;
		best = h;
	}
	return best;
}

int cloudsim_place(struct power_policy *p, struct plan_state *st, int server)
{
	int h = cloudsim_find_host(p, st, server, NULL);

	if (h < 0)
		return -ENOSPC;
	return plan_move(st, server, h);
}

/* Minimum migration time: the server with the least memory to copy. */
static int mmt_pick(const struct power_fleet *f, int host)
{
	const struct power_host *h = &f->hosts[host];
	int best = -1;

	for (int i = 0; i < h->n_servers; i++) {
		int s = h->servers[i];

		if (best < 0 || f->servers[s].ram_mb < f->servers[best].ram_mb)
			best = s;
	}
	return best;
}

static int relieve_overloaded(struct power_policy *p, struct plan_state *st, int *moving, int *from)
{
	struct power_fleet *f = st->w;
	int n = 0;

	for (int h = 0; h < f->n_hosts; h++) {
		st->excl[h] = !f->hosts[h].excluded && p->ops->overloaded(st, h, -1, p->ops->param);
		if (!st->excl[h])
			continue;
		while (f->hosts[h].n_servers > 0) {
			int s = mmt_pick(f, h);

			moving[n] = s;
			from[s] = h;
			n++;
			power_fleet_unassign(f, s);
			st->hist_dirty[h] = true;
			if (!p->ops->overloaded(st, h, -1, p->ops->param))
				break;
		}
	}
	return n;
}

static int place_relieved(struct power_policy *p, struct plan_state *st, int *moving, int n, int *from)
{
	struct power_fleet *f = st->w;
	int err;

	sort_servers_by_demand(f, moving, n);
	for (int i = 0; i < n; i++) {
		int s = moving[i];
		int to = plan_can_move(st) ? cloudsim_find_host(p, st, s, st->excl) : -1;

		/* The plan records a move from where the server really runs. */
		f->servers[s].host = -1;
		err = power_fleet_assign(f, s, from[s]);
		if (err)
			return err;
		if (to >= 0) {
			err = plan_move(st, s, to);
			if (err)
				return err;
		}
	}
	return 0;
}

static int least_utilised_host(const struct power_fleet *f, const unsigned char *excluded)
{
	double min_util = 1;
	int best = -1;

	for (int h = 0; h < f->n_hosts; h++) {
		double u = host_util(f, h);

		if (excluded[h] || f->hosts[h].n_servers == 0)
			continue;
		if (u > 0 && u < min_util) {
			min_util = u;
			best = h;
		}
	}
	return best;
}

/* Move all of one host's servers away, or none of them. */
static int empty_host(struct power_policy *p, struct plan_state *st, int host, int *ids)
{
	struct power_fleet *f = st->w;
	struct power_plan *plan = st->plan;
	int n = f->hosts[host].n_servers, placed, err = 0;
	int saved_left = st->migrations_left;
	int saved_n = plan->n_migrations;
	struct power_migration *saved = NULL;

	if (st->migrations_left >= 0 && st->migrations_left < n)
		return 0;
	if (saved_n > 0) {
		/* Undoing must restore earlier entries too, in case a move amended one. */
		saved = malloc(saved_n * sizeof(*saved));
		if (!saved)
			return -ENOMEM;
		memcpy(saved, plan->migrations, saved_n * sizeof(*saved));
	}
	for (int i = 0; i < n; i++)
		ids[i] = f->hosts[host].servers[i];
	sort_servers_by_demand(f, ids, n);
	for (placed = 0; placed < n; placed++) {
		int to = cloudsim_find_host(p, st, ids[placed], st->excl);

		if (to < 0)
			break;
		err = plan_move(st, ids[placed], to);
		if (err)
			goto out;
	}
	if (placed == n) {
		for (int i = 0; i < n; i++)
			st->excl2[f->servers[ids[i]].host] = 1;
		goto out;
	}
	for (int i = placed - 1; i >= 0; i--) {
		st->hist_dirty[f->servers[ids[i]].host] = true;
		err = power_fleet_assign(f, ids[i], host);
		if (err)
			goto out;
	}
	st->hist_dirty[host] = true;
	if (saved_n > 0)
		memcpy(plan->migrations, saved, saved_n * sizeof(*saved));
	plan->n_migrations = saved_n;
	st->migrations_left = saved_left;
out:
	free(saved);
	return err;
}

static int consolidate_underloaded(struct power_policy *p, struct plan_state *st, int *ids)
{
	struct power_fleet *f = st->w;
	int n_excluded = 0;

	/* excl: where servers may not go; excl2: hosts not to consider for emptying. */
	for (int h = 0; h < f->n_hosts; h++) {
		bool off = host_util(f, h) == 0;

		st->excl[h] = st->excl[h] || off || f->hosts[h].excluded;
		st->excl2[h] = st->excl[h];
		n_excluded += st->excl2[h];
	}
	while (n_excluded < f->n_hosts && plan_can_move(st)) {
		int h = least_utilised_host(f, st->excl2);
		int err;

		if (h < 0)
			break;
		st->excl2[h] = 1;
		st->excl[h] = 1;
		err = empty_host(p, st, h, ids);
		if (err)
			return err;
		n_excluded = 0;
		for (int k = 0; k < f->n_hosts; k++)
			n_excluded += st->excl2[k];
	}
	return 0;
}

int cloudsim_plan(struct power_policy *p, struct plan_state *st)
{
	struct power_fleet *f = st->w;
	int *moving = malloc((f->n_servers + 1) * sizeof(int));
	int *from = malloc((f->n_servers + 1) * sizeof(int));
	int err = -ENOMEM, n;

	if (!moving || !from)
		goto out;
	st->each_move_migrates = true;
	n = relieve_overloaded(p, st, moving, from);
	err = place_relieved(p, st, moving, n, from);
	if (!err)
		err = consolidate_underloaded(p, st, moving);
out:
	free(moving);
	free(from);
	return err;
}
