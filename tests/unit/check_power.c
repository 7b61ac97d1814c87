#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "power/planner/power.h"
#include "power/planner/sheer.h"
#include "power/sim/report.h"
#include "power/sim/sim.h"
#include "power/sim/synthetic.h"
#include "power/sim/trace.h"
#include "vmm/lib/cli.h"

/*
 * A small fleet of G4 hosts (3720 MIPS, two 1860-MIPS cores, 4096 MB each). Host 0
 * runs three servers asking 1300 MIPS each: 105% of the host, overloaded for every
 * policy; host 1 runs one server at 1000 MIPS; the others are off.
 */
static void small_fleet(struct power_fleet *f, int n_hosts)
{
	ck_assert_int_eq(power_fleet_init(f, n_hosts, 4), 0);
	for (int h = 0; h < n_hosts; h++)
		f->hosts[h].model = host_model_standard(0);
	for (int i = 0; i < 4; i++) {
		f->servers[i].mips = 2000;
		f->servers[i].ram_mb = 512 * (i + 1);
		f->servers[i].mem_mb = 1024;
		f->servers[i].demand_mips = i < 3 ? 1300 : 1000;
		ck_assert_int_eq(power_fleet_assign(f, i, i < 3 ? 0 : 1), 0);
	}
	f->hosts[0].util_mips = 3720;
	f->hosts[1].util_mips = 1000;
}

static struct power_plan plan_for(const char *policy, const struct power_fleet *f)
{
	struct power_policy *p;
	struct power_plan plan;

	ck_assert_int_eq(power_policy_new(policy, &p), 0);
	power_plan_init(&plan);
	ck_assert_int_eq(power_plan_compute(p, f, &plan), 0);
	power_policy_free(p);
	return plan;
}

START_TEST(overloaded_host_gives_up_its_cheapest_server)
{
	struct power_fleet f;
	struct power_plan plan;

	small_fleet(&f, 3);
	plan = plan_for("thr-mmt-0.8", &f);
	ck_assert_int_ge(plan.n_migrations, 1);
	/* Minimum migration time: server 0 has the least RAM to copy. */
	ck_assert_int_eq(plan.migrations[0].server, 0);
	ck_assert_int_eq(plan.migrations[0].from, 0);
	ck_assert_int_ne(plan.migrations[0].to, 0);
	power_plan_free(&plan);
	power_fleet_free(&f);
}
END_TEST

START_TEST(no_server_goes_where_memory_is_short)
{
	const char *policies[] = { "thr-mmt-0.8", "sheer" };

	for (size_t k = 0; k < 2; k++) {
		struct power_fleet f;
		struct power_plan plan;

		small_fleet(&f, 3);
		f.hosts[1].mem_used_mb = f.hosts[1].model->mem_mb - 100;	/* host 1 is full */
		plan = plan_for(policies[k], &f);
		ck_assert_int_ge(plan.n_migrations, 1);
		for (int i = 0; i < plan.n_migrations; i++)
			ck_assert_int_ne(plan.migrations[i].to, 1);
		power_plan_free(&plan);
		power_fleet_free(&f);
	}
}
END_TEST

START_TEST(device_server_moves_only_to_a_free_device_of_its_model)
{
	const char *policies[] = { "thr-mmt-0.8", "iqr-mmt-1.5", "lr-mmt-1.2", "sheer" };

	for (size_t k = 0; k < 4; k++) {
		struct power_fleet f;
		struct power_plan plan;

		small_fleet(&f, 4);
		/* Both servers of host 0 own a NIC; only host 3 has a free one of the same model. */
		for (int s = 0; s < 2; s++) {
			f.servers[s].n_devices = 1;
			snprintf(f.servers[s].devices[0], POWER_MODEL_LEN, "mlx5");
		}
		power_fleet_unassign(&f, 0);
		power_fleet_unassign(&f, 1);
		f.hosts[0].n_devices = 2;
		snprintf(f.hosts[0].devices[0].model, POWER_MODEL_LEN, "mlx5");
		snprintf(f.hosts[0].devices[1].model, POWER_MODEL_LEN, "mlx5");
		ck_assert_int_eq(power_fleet_assign(&f, 0, 0), 0);
		ck_assert_int_eq(power_fleet_assign(&f, 1, 0), 0);
		f.hosts[1].n_devices = 1;
		snprintf(f.hosts[1].devices[0].model, POWER_MODEL_LEN, "i40e");
		f.hosts[3].n_devices = 1;
		snprintf(f.hosts[3].devices[0].model, POWER_MODEL_LEN, "mlx5");
		plan = plan_for(policies[k], &f);
		ck_assert_int_ge(plan.n_migrations, 1);
		for (int i = 0; i < plan.n_migrations; i++)
			if (plan.migrations[i].server < 2)
				ck_assert_int_eq(plan.migrations[i].to, 3);
		power_plan_free(&plan);

		/* With no matching free device anywhere, the servers stay. */
		f.hosts[3].devices[0].owner = 3;
		plan = plan_for(policies[k], &f);
		for (int i = 0; i < plan.n_migrations; i++)
			ck_assert_int_ge(plan.migrations[i].server, 2);
		power_plan_free(&plan);
		power_fleet_free(&f);
	}
}
END_TEST

START_TEST(assign_refuses_a_host_without_the_device)
{
	struct power_fleet f;

	small_fleet(&f, 2);
	f.servers[3].n_devices = 1;
	snprintf(f.servers[3].devices[0], POWER_MODEL_LEN, "a100");
	ck_assert_int_eq(power_fleet_assign(&f, 3, 0), -ENODEV);
	ck_assert_int_eq(f.servers[3].host, -1);
	power_fleet_free(&f);
}
END_TEST

START_TEST(excluded_hosts_neither_give_nor_take)
{
	const char *policies[] = { "thr-mmt-0.8", "sheer" };

	for (size_t k = 0; k < 2; k++) {
		struct power_fleet f;
		struct power_plan plan;

		small_fleet(&f, 3);
		f.hosts[2].excluded = true;
		f.hosts[1].excluded = true;
		plan = plan_for(policies[k], &f);
		for (int i = 0; i < plan.n_migrations; i++) {
			ck_assert_int_ne(plan.migrations[i].to, 1);
			ck_assert_int_ne(plan.migrations[i].to, 2);
			ck_assert_int_ne(plan.migrations[i].from, 1);
		}
		ck_assert_int_eq(plan.n_migrations, 0);
		power_plan_free(&plan);

		f.hosts[1].excluded = false;
		f.hosts[0].excluded = true;	/* the overloaded host itself is hands-off */
		plan = plan_for(policies[k], &f);
		for (int i = 0; i < plan.n_migrations; i++) {
			ck_assert_int_ne(plan.migrations[i].from, 0);
			ck_assert_int_ne(plan.migrations[i].to, 0);
		}
		power_plan_free(&plan);
		power_fleet_free(&f);
	}
}
END_TEST

START_TEST(migration_limit_is_honoured)
{
	const char *policies[] = { "thr-mmt-0.8", "iqr-mmt-1.5", "lr-mmt-1.2", "sheer" };

	for (size_t k = 0; k < 4; k++) {
		struct power_fleet f;
		struct power_plan plan;

		small_fleet(&f, 3);
		plan = plan_for(policies[k], &f);
		ck_assert_int_ge(plan.n_migrations, 1);
		power_plan_free(&plan);
		f.max_migrations = 0;
		plan = plan_for(policies[k], &f);
		ck_assert_int_eq(plan.n_migrations, 0);
		power_plan_free(&plan);
		f.max_migrations = 1;
		plan = plan_for(policies[k], &f);
		ck_assert_int_le(plan.n_migrations, 1);
		power_plan_free(&plan);
		power_fleet_free(&f);
	}
}
END_TEST

START_TEST(plans_are_deterministic)
{
	const char *const *names = power_policy_names();

	for (int k = 0; names[k]; k++) {
		struct power_fleet f;
		struct power_plan a, b;

		small_fleet(&f, 5);
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 14; j++)
				power_server_record(&f.servers[i], 0.3 + 0.04 * ((i + j) % 5));
		a = plan_for(names[k], &f);
		b = plan_for(names[k], &f);
		ck_assert_int_eq(a.n_migrations, b.n_migrations);
		ck_assert_int_eq(a.n_power_off, b.n_power_off);
		ck_assert_int_eq(a.n_power_on, b.n_power_on);
		for (int i = 0; i < a.n_migrations; i++) {
			ck_assert_int_eq(a.migrations[i].server, b.migrations[i].server);
			ck_assert_int_eq(a.migrations[i].to, b.migrations[i].to);
		}
		power_plan_free(&a);
		power_plan_free(&b);
		power_fleet_free(&f);
	}
}
END_TEST

START_TEST(emptied_hosts_are_powered_off_and_fresh_ones_on)
{
	struct power_fleet f;
	struct power_plan plan;

	/* Two lightly loaded hosts: THR consolidates one into the other and switches it off. */
	small_fleet(&f, 3);
	for (int i = 0; i < 3; i++)
		f.servers[i].demand_mips = 300;
	f.hosts[0].util_mips = 900;
	plan = plan_for("thr-mmt-0.8", &f);
	ck_assert_int_eq(plan.n_power_off, 1);
	ck_assert_int_eq(plan.n_power_on, 0);
	power_plan_free(&plan);
	power_fleet_free(&f);
}
END_TEST

/* A fleet from a table: host models (0 = G4, 1 = G5) and servers (host, demand, RAM). */
struct server_spec {
	int host;
	double demand_mips;
	int ram_mb;
};

static void fleet_from(struct power_fleet *f, const int *types, int n_hosts,
		       const struct server_spec *spec, int n_servers)
{
	ck_assert_int_eq(power_fleet_init(f, n_hosts, n_servers), 0);
	for (int h = 0; h < n_hosts; h++)
		f->hosts[h].model = host_model_standard(types[h]);
	for (int i = 0; i < n_servers; i++) {
		struct power_host *h = &f->hosts[spec[i].host];
		double total = host_model_total_mips(h->model);

		f->servers[i].mips = 2000;
		f->servers[i].ram_mb = spec[i].ram_mb;
		f->servers[i].demand_mips = spec[i].demand_mips;
		ck_assert_int_eq(power_fleet_assign(f, i, spec[i].host), 0);
		h->util_mips += spec[i].demand_mips;
		if (h->util_mips > total)
			h->util_mips = total;
	}
}

static int migrations_of(const struct power_plan *plan, int server, int *to)
{
	int n = 0;

	for (int i = 0; i < plan->n_migrations; i++)
		if (plan->migrations[i].server == server)
			to[n++] = plan->migrations[i].to;
	return n;
}

START_TEST(relieved_servers_spread_over_idle_hosts_as_cloudsim)
{
	/*
	 * Host 0 (G4) asks 97%: THR 0.8 takes off servers 0 and 1 (least RAM first).
	 * Hosts 1-3 are off. CloudSim's power rise is P(granted now + server) -
	 * P(measured): after server 0 lands on host 1, host 1 costs P(1200/3720) - 86 W
	 * = 10.8 W for server 1 while host 2 still costs P(600/3720) - 86 W = 5.4 W, so
	 * server 1 switches host 2 on. (Judged on the measured load alone, both would
	 * pile onto host 1.)
	 */
	static const int types[] = { 0, 0, 0, 0 };
	static const struct server_spec spec[] = { { 0, 600, 512 }, { 0, 600, 1024 }, { 0, 2400, 1536 } };
	struct power_fleet f;
	struct power_plan plan;
	int to0[2], to1[2];

	fleet_from(&f, types, 4, spec, 3);
	plan = plan_for("thr-mmt-0.8", &f);
	ck_assert_int_eq(plan.n_migrations, 2);
	ck_assert_int_eq(migrations_of(&plan, 0, to0), 1);
	ck_assert_int_eq(migrations_of(&plan, 1, to1), 1);
	ck_assert_int_eq(to0[0], 1);
	ck_assert_int_eq(to1[0], 2);
	ck_assert_int_eq(plan.n_power_on, 2);
	power_plan_free(&plan);
	power_fleet_free(&f);
}
END_TEST

START_TEST(a_relieved_server_whose_new_host_is_emptied_migrates_twice)
{
	/*
	 * Host 0 (G4) is overloaded and gives up server 0 (1000 MIPS). The cheapest
	 * power rise is on host 1 (G5 at 10%: 7.5 W, against 9.0 W on host 2, G4 at
	 * 15%). Host 1 is then the least utilised host and is emptied into host 2.
	 * CloudSim's migration map keeps both entries for server 0 and runs both
	 * copies from host 0, so the reproduction counts three migrations.
	 */
	static const int types[] = { 0, 1, 0 };
	static const struct server_spec spec[] = {
		{ 0, 1000, 512 }, { 0, 1400, 1024 }, { 0, 1400, 1536 }, { 1, 532, 1024 }, { 2, 558, 1024 },
	};
	struct power_fleet f;
	struct power_plan plan;
	int to[2];

	fleet_from(&f, types, 3, spec, 5);
	plan = plan_for("thr-mmt-0.8", &f);
	ck_assert_int_eq(plan.n_migrations, 3);
	ck_assert_int_eq(migrations_of(&plan, 0, to), 2);
	ck_assert_int_eq(to[0], 1);
	ck_assert_int_eq(to[1], 2);
	for (int i = 0; i < plan.n_migrations; i++)
		if (plan.migrations[i].server == 0)
			ck_assert_int_eq(plan.migrations[i].from, 0);
	ck_assert_int_eq(migrations_of(&plan, 3, to), 1);
	ck_assert_int_eq(to[0], 2);
	ck_assert_int_eq(plan.n_power_off, 1);
	ck_assert_int_eq(plan.power_off[0], 1);
	power_plan_free(&plan);

	/* sheer's planner moves a server at most once per plan. */
	plan = plan_for("sheer", &f);
	for (int s = 0; s < 5; s++)
		ck_assert_int_le(migrations_of(&plan, s, to), 1);
	power_plan_free(&plan);
	power_fleet_free(&f);
}
END_TEST

/*
 * The sheer policy's search as it was before its index: every host in turn, best
 * fit among running ones, else the most efficient empty one. The reference the
 * index must agree with, host for host.
 */
static bool scan_fits(const struct sheer_state *s, const struct power_fleet *f, int host, int server)
{
	const struct power_host *h = &f->hosts[host];
	const struct power_server *v = &f->servers[server];

	if (!host_suitable(f, host, server))
		return false;
	if (v->mips > h->model->mips_per_pe &&
	    s->forecast[server] + SHEER_SIGMAS * sqrt(s->variance[server]) > h->model->mips_per_pe)
		return false;
	return sheer_host_forecast_with(s, f, host, server) <= SHEER_BUDGET * host_model_total_mips(h->model);
}

static int scan_find_host(const struct sheer_state *s, const struct power_fleet *f, int server, const bool *avoid)
{
	double best_fill = -1, best_eff = -1;
	int best_on = -1, best_off = -1;

	for (int h = 0; h < f->n_hosts; h++) {
		double capacity = host_model_total_mips(f->hosts[h].model);

		if (avoid[h] || !scan_fits(s, f, h, server))
			continue;
		if (f->hosts[h].n_servers > 0) {
			double fill = sheer_host_forecast_with(s, f, h, server) / capacity;

			if (fill > best_fill) {
				best_fill = fill;
				best_on = h;
			}
		} else if (capacity / f->hosts[h].model->watts[0] > best_eff) {
			best_eff = capacity / f->hosts[h].model->watts[0];
			best_off = h;
		}
	}
	return best_on >= 0 ? best_on : best_off;
}

static unsigned rnd(unsigned *state, unsigned n)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 8) % n;
}

/*
 * Three models, two of one capacity but different efficiency; small pools of
 * sizes and histories so that many hosts load alike and ties are common; some
 * devices, excluded hosts, CPU still booting, servers too big for one core, and
 * memory sizes between the usual ones.
 */
static const struct host_model test_models[] = {
	{ .name = "small", .mips_per_pe = 1860, .pes = 2, .mem_mb = 4096, .bw_mbit = 1000,
	  .watts = { 86, 89, 92, 96, 99, 102, 106, 108, 112, 114, 117 } },
	{ .name = "big", .mips_per_pe = 2660, .pes = 4, .mem_mb = 8192, .bw_mbit = 1000,
	  .watts = { 93, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135 } },
	{ .name = "small, greedier", .mips_per_pe = 1860, .pes = 2, .mem_mb = 6144, .bw_mbit = 1000,
	  .watts = { 120, 124, 128, 132, 136, 140, 144, 148, 152, 156, 160 } },
};

static void random_fleet(struct power_fleet *f, unsigned *seed)
{
	static const double mips[] = { 500, 1000, 2000, 2500, 3000 };
	static const int mem[] = { 613, 870, 1000, 1740 };
	int n_hosts = 10 + rnd(seed, 60), n_servers = 10 + rnd(seed, 150);

	ck_assert_int_eq(power_fleet_init(f, n_hosts, n_servers), 0);
	for (int h = 0; h < n_hosts; h++) {
		struct power_host *host = &f->hosts[h];

		host->model = &test_models[rnd(seed, 3)];
		host->excluded = rnd(seed, 20) == 0;
		host->booting_mips = rnd(seed, 8) == 0 ? 500 : 0;
		if (rnd(seed, 5) == 0) {
			host->n_devices = 1 + rnd(seed, 2);
			for (int d = 0; d < host->n_devices; d++)
				snprintf(host->devices[d].model, POWER_MODEL_LEN, "%s", rnd(seed, 2) ? "mlx5" : "a100");
		}
	}
	for (int i = 0; i < n_servers; i++) {
		struct power_server *v = &f->servers[i];
		int pattern = rnd(seed, 6);

		v->mips = mips[rnd(seed, 5)];
		v->mem_mb = mem[rnd(seed, 4)];
		v->ram_mb = v->mem_mb;
		for (int k = 0; k < 14; k++)
			power_server_record(v, 0.05 * (1 + (pattern * (k + 3)) % 9));
		v->demand_mips = v->history[0] * v->mips;
		if (rnd(seed, 10) == 0) {
			v->n_devices = 1;
			snprintf(v->devices[0], POWER_MODEL_LEN, "mlx5");
		}
		if (rnd(seed, 8) != 0)
			power_fleet_assign(f, i, rnd(seed, n_hosts));
	}
}

START_TEST(sheer_search_picks_what_a_scan_of_every_host_picks)
{
	unsigned seed = 42;

	for (int fleet = 0; fleet < 60; fleet++) {
		struct power_fleet f;
		struct power_policy *p;
		struct sheer_state *s;
		struct plan_state st;
		bool *avoid;

		random_fleet(&f, &seed);
		avoid = calloc(f.n_hosts, sizeof(bool));
		ck_assert_ptr_nonnull(avoid);
		ck_assert_int_eq(power_policy_new("sheer", &p), 0);
		ck_assert_int_eq(plan_state_init(&st, &f), 0);
		s = sheer_state_get(p, &f);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(sheer_prepare(s, &f, NULL), 0);
		/* Searches between moves: the index must follow every host that gains or loses a server. */
		for (int step = 0; step < 200; step++) {
			int v = rnd(&seed, f.n_servers), kept_out = rnd(&seed, f.n_hosts), from, to, got, want;

			avoid[kept_out] = rnd(&seed, 3) == 0;
			sheer_index_avoid(s, &f, kept_out, avoid[kept_out]);
			got = sheer_find_host(s, &st, v);
			want = scan_find_host(s, &f, v, avoid);
			ck_assert_msg(got == want, "fleet %d step %d, server %d: the index picked host %d, a scan %d",
				      fleet, step, v, got, want);
			/* Moves may touch the host kept out too: it must be summed again when it comes back. */
			from = f.servers[v].host;
			to = got >= 0 && rnd(&seed, 2) ? got : (int)rnd(&seed, f.n_hosts);
			if (power_fleet_assign(&f, v, to) == 0)
				sheer_index_added(s, &f, to, v);
			if (from >= 0)
				sheer_index_refresh(s, &f, from);
			avoid[kept_out] = false;
			sheer_index_avoid(s, &f, kept_out, false);
		}
		ck_assert_int_eq(st.host_searches, 200);
		plan_state_free(&st);
		power_policy_free(p);
		power_fleet_free(&f);
		free(avoid);
	}
}
END_TEST

/*
 * How many hosts a search looks at, without timing anything: a scan looks at all
 * of them, the index at a few per level of its trees (about 7.5 more per doubling
 * of the fleet on these fleets). Fleets 8 times apart in size, each in its first
 * interval, the busiest: the generator packs loosely.
 */
START_TEST(a_sheer_search_examines_log_hosts_not_every_host)
{
	static const int sizes[][2] = { { 2000, 2630 }, { 16000, 21040 } };

	for (int k = 0; k < 2; k++) {
		struct synthetic syn;
		struct power_policy *p;
		struct power_plan plan;
		double per_search, limit = 8 * log2(sizes[k][0]);

		ck_assert_int_eq(synthetic_init(&syn, sizes[k][0], sizes[k][1], 1), 0);
		ck_assert_int_eq(power_policy_new("sheer", &p), 0);
		power_plan_init(&plan);
		ck_assert_int_eq(power_plan_compute(p, &syn.fleet, &plan), 0);
		ck_assert_int_ge(plan.host_searches, 100);
		per_search = (double)plan.hosts_examined / plan.host_searches;
		ck_assert_msg(per_search <= limit, "%d hosts: %.1f hosts examined per search, more than 8 log2(hosts) = %.1f",
			      sizes[k][0], per_search, limit);
		power_plan_free(&plan);
		power_policy_free(p);
		synthetic_free(&syn);
	}
}
END_TEST

START_TEST(a_synthetic_fleet_is_the_same_for_a_seed_and_holds_every_server)
{
	struct synthetic a, b;
	int placed = 0;

	ck_assert_int_eq(synthetic_init(&a, 300, 2000, 7), 0);
	ck_assert_int_eq(synthetic_init(&b, 300, 2000, 7), 0);
	for (int i = 0; i < 2000; i++) {
		ck_assert_int_eq(a.fleet.servers[i].host, b.fleet.servers[i].host);
		ck_assert(a.fleet.servers[i].demand_mips == b.fleet.servers[i].demand_mips);
		placed += a.fleet.servers[i].host >= 0;
	}
	ck_assert_int_eq(placed, 2000);
	/* 6.7 servers per host, 5.1 times the standard 1,052 on 800: the standard pair scaled six-fold. */
	ck_assert_int_eq(a.fleet.hosts[0].model->pes, 12);
	synthetic_free(&b);
	ck_assert_int_eq(synthetic_init(&b, 300, 2000, 8), 0);
	ck_assert(memcmp(a.fleet.history_store, b.fleet.history_store, 2000 * sizeof(*a.fleet.history_store)) != 0);
	synthetic_free(&a);
	synthetic_free(&b);
}
END_TEST

START_TEST(unknown_policy_is_refused)
{
	struct power_policy *p = NULL;

	ck_assert_int_eq(power_policy_new("lr-mmt-9", &p), -EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(spec_power_interpolates)
{
	const struct host_model *g4 = host_model_standard(0);

	ck_assert_double_eq_tol(host_model_power(g4, 0), 86, 1e-9);
	ck_assert_double_eq_tol(host_model_power(g4, 1), 117, 1e-9);
	ck_assert_double_eq_tol(host_model_power(g4, 0.45), (99.5 + 102) / 2, 1e-9);
}
END_TEST

START_TEST(metrics_pool_time_and_capacity_as_cloudsim)
{
	struct metrics m;
	struct sim_result r;

	ck_assert_int_eq(metrics_init(&m, 2, 2), 0);
	m.host_active_s[0] = 1000;
	m.host_violation_s[0] = 100;	/* 10% of its active time at 100% */
	m.host_active_s[1] = 500;	/* never at 100% */
	m.server_requested[0] = 1000;
	m.server_lost[0] = 10;		/* 1% lost to migrations */
	m.server_requested[1] = 4000;
	m.energy_j = 7.2e6;		/* 2 kWh */
	m.migrations = 3;
	metrics_finish(&m, &r);
	ck_assert_double_eq_tol(r.energy_kwh, 2, 1e-12);
	/* CloudSim pools: 100 s at 100% of 1500 active host-seconds, 10 of 5000 MIPS x s lost. */
	ck_assert_double_eq_tol(r.slatah, 100.0 / 1500, 1e-12);
	ck_assert_double_eq_tol(r.pdm, 10.0 / 5000, 1e-12);
	ck_assert_double_eq_tol(r.slav, 100.0 / 1500 * 0.002, 1e-15);
	ck_assert_double_eq_tol(r.esv, 2 * 100.0 / 1500 * 0.002, 1e-15);
	ck_assert_int_eq(r.migrations, 3);
	metrics_free(&m);
}
END_TEST

static char tmpdir[64];

static void write_trace(const char *dir, const char *name, const int *values, int n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%d\n", values[i]);
	fclose(f);
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_power.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(energy_of_one_steady_server_is_worked_out_by_hand)
{
	int v[TRACE_SAMPLES];
	struct sim_config cfg = { .n_hosts = 2, .max_migrations = -1 };
	struct trace_set set;
	struct sim_result r;
	char why[256];
	double u, expected;

	make_tmpdir();
	for (int i = 0; i < TRACE_SAMPLES; i++)
		v[i] = 50;
	write_trace(tmpdir, "vm", v, TRACE_SAMPLES);
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), 0);
	ck_assert_int_eq(sim_run_day(&set.days[0], "none", &cfg, &r), 0);
	/*
	 * One 2500-MIPS server at 50% fits only the G5 (a G4 core is 1860 MIPS):
	 * 1250 / 5320 of the host. The first interval draws nothing (CloudSim's first
	 * measurement is at 300.1 s), then 286 intervals of 300 s until 86100.1 s.
	 */
	u = 1250.0 / 5320;
	expected = (101 + (105 - 101) * (u * 10 - 2)) * 286 * 300 / 3.6e6;
	ck_assert_double_eq_tol(r.energy_kwh, expected, 1e-9);
	ck_assert_double_eq_tol(r.slatah, 0, 1e-12);
	ck_assert_int_eq(r.migrations, 0);
	ck_assert_int_eq(r.n_points, TRACE_SAMPLES - 1);
	ck_assert_int_eq(r.series[0].active_hosts, 1);
	trace_set_free(&set);
	remove_tmpdir();
}
END_TEST

START_TEST(a_server_whose_demand_reaches_zero_finishes)
{
	int v[TRACE_SAMPLES];
	struct sim_config cfg = { .n_hosts = 2, .max_migrations = -1 };
	struct trace_set set;
	struct sim_result r;
	char why[256];
	const struct host_model *g5 = host_model_standard(1);
	double full, last, expected;

	make_tmpdir();
	for (int i = 0; i < TRACE_SAMPLES; i++)
		v[i] = i < 100 ? 50 : 0;
	write_trace(tmpdir, "vm", v, TRACE_SAMPLES);
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), 0);
	ck_assert_int_eq(sim_run_day(&set.days[0], "none", &cfg, &r), 0);
	/*
	 * Measured at 300k + 0.1 s: 50% through k = 98, at k = 99 the trace is already
	 * sliding to 0 (0.5 - 0.5 / 3000), at k = 100 it is 0 and the server is gone;
	 * the host's last trapezoid ends at its idle power.
	 */
	full = host_model_power(g5, 1250.0 / 5320);
	last = host_model_power(g5, (0.5 - 0.5 / 3000) * 2500 / 5320);
	expected = (97 * 300 * full + 300 * (full + last) / 2 + 300 * (last + g5->watts[0]) / 2) / 3.6e6;
	ck_assert_double_eq_tol(r.energy_kwh, expected, 1e-9);
	ck_assert_int_eq(r.shutdowns, 1);
	trace_set_free(&set);
	remove_tmpdir();
}
END_TEST

/* Four traces at a steady 10%: servers of 2500, 2000, 1000 and 500 MIPS (the type blocks). */
static void steady_day(struct trace_set *set, int n_servers)
{
	static const char *names[] = { "a", "b", "c", "d" };
	int v[TRACE_SAMPLES];
	char why[256];

	make_tmpdir();
	for (int i = 0; i < TRACE_SAMPLES; i++)
		v[i] = 10;
	for (int i = 0; i < n_servers; i++)
		write_trace(tmpdir, names[i], v, TRACE_SAMPLES);
	ck_assert_int_eq(trace_set_load(tmpdir, set, why, sizeof(why)), 0);
}

START_TEST(servers_being_created_hold_their_mips_but_ask_nothing)
{
	const char *policies[] = { "thr-mmt-0.8", "iqr-mmt-1.5", "lr-mmt-1.2" };
	struct sim_config cfg = { .n_hosts = 2, .max_migrations = -1 };
	struct trace_set set;
	struct sim_result r;

	/*
	 * Only the G5 (host 1) has cores for the 2500- and 2000-MIPS servers. Once the
	 * first is created it asks nothing until its workload starts, so CloudSim's
	 * overload check sees the second alone (2000 / 5320 < 0.7) and admits it, though
	 * both together hold 85% of the host.
	 */
	steady_day(&set, 4);
	for (size_t k = 0; k < 3; k++) {
		ck_assert_int_eq(sim_run_day(&set.days[0], policies[k], &cfg, &r), 0);
		ck_assert_double_gt(r.energy_kwh, 0);
	}
	trace_set_free(&set);
	remove_tmpdir();
}
END_TEST

START_TEST(a_migration_target_is_at_100_percent_until_the_copy_ends)
{
	struct sim_config cfg = { .n_hosts = 4, .max_migrations = -1 };
	struct trace_set set;
	struct sim_result r;
	double copy_s = 1740 * 8.0 / 500, active_s = 85800;

	/*
	 * The 2500- and 2000-MIPS servers start on G5 hosts 1 and 3. At 300.1 s THR
	 * empties host 3 (the least utilised) into host 1: one copy of 1740 MB over
	 * 500 Mbit/s. CloudSim's host 1 counts the arriving server at its full request
	 * but grants it 10%, so it is "at 100%" for the copy; host 3 is active until
	 * the copy ends. The server loses 10% of its 200 MIPS meanwhile.
	 */
	steady_day(&set, 2);
	ck_assert_int_eq(sim_run_day(&set.days[0], "thr-mmt-0.8", &cfg, &r), 0);
	ck_assert_int_eq(r.migrations, 1);
	ck_assert_double_eq_tol(r.slatah, copy_s / (active_s + copy_s), 1e-9);
	ck_assert_double_eq_tol(r.pdm, 0.1 * 200 * copy_s / ((250 + 200) * active_s), 1e-12);
	trace_set_free(&set);
	remove_tmpdir();
}
END_TEST

START_TEST(bad_traces_are_reported_with_file_and_line)
{
	int v[TRACE_SAMPLES];
	struct trace_set set;
	char why[512], sub[128];

	make_tmpdir();
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(why, "no trace files"));

	for (int i = 0; i < TRACE_SAMPLES; i++)
		v[i] = 10;
	v[41] = 101;
	write_trace(tmpdir, "bad", v, TRACE_SAMPLES);
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "bad:42:"));
	ck_assert_ptr_nonnull(strstr(why, "outside 0-100"));

	v[41] = 10;
	write_trace(tmpdir, "bad", v, 17);
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "bad:18:"));

	snprintf(sub, sizeof(sub), "%s/bad", tmpdir);
	{
		FILE *f = fopen(sub, "w");

		fprintf(f, "10\nabc\n");
		fclose(f);
	}
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "bad:2:"));
	remove_tmpdir();

	ck_assert_int_lt(trace_set_load("/nonexistent/traces", &set, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/traces"));
}
END_TEST

/* A NUL byte ended a sample early ("5\0" "0" read as 5) and a NUL line passed for blank (seen writing fuzz_power_trace). */
START_TEST(nul_bytes_in_a_trace_are_refused)
{
	static const char nul_in_sample[] = "10\n10\n5\0" "0\n";
	double util[TRACE_SAMPLES + 1];
	char text[4 * TRACE_SAMPLES + 16], why[256];
	size_t len = 0;
	FILE *f;

	memcpy(text, nul_in_sample, sizeof(nul_in_sample) - 1);
	len = sizeof(nul_in_sample) - 1;
	for (int i = 3; i < TRACE_SAMPLES; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "10\n");
	f = fmemopen(text, len, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(trace_file_read(f, "traces/vm1", util, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "traces/vm1:3: NUL byte in line");
	fclose(f);

	len = 0;	/* a whole trace, then a line holding only a NUL */
	for (int i = 0; i < TRACE_SAMPLES; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "10\n");
	text[len++] = '\0';
	text[len++] = '\n';
	f = fmemopen(text, len, "r");
	ck_assert_int_eq(trace_file_read(f, "traces/vm1", util, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "traces/vm1:289: NUL byte in line");
	fclose(f);
}
END_TEST

START_TEST(folder_per_day_is_one_day_each)
{
	int v[TRACE_SAMPLES];
	struct trace_set set;
	char why[256], day[128];

	make_tmpdir();
	for (int i = 0; i < TRACE_SAMPLES; i++)
		v[i] = 20;
	for (int d = 0; d < 2; d++) {
		snprintf(day, sizeof(day), "%s/2011030%d", tmpdir, d + 3);
		ck_assert_int_eq(mkdir(day, 0700), 0);
		write_trace(day, "a", v, TRACE_SAMPLES);
		write_trace(day, "b", v, TRACE_SAMPLES);
	}
	ck_assert_int_eq(trace_set_load(tmpdir, &set, why, sizeof(why)), 0);
	ck_assert_int_eq(set.n_days, 2);
	ck_assert_str_eq(set.days[0].name, "20110303");
	ck_assert_int_eq(set.days[1].n_servers, 2);
	ck_assert_double_eq_tol(set.days[1].util[0][5], 0.2, 1e-12);
	trace_set_free(&set);
	remove_tmpdir();
}
END_TEST

START_TEST(median_row_shows_the_median_wall_time)
{
	static const double walls[] = { 1.5, 4.0, 2.25 };
	struct sim_result *r = calloc(3, sizeof(*r));
	char *text = NULL, day[16];
	double energy, wall;
	long migrations;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(r);
	for (int i = 0; i < 3; i++) {
		snprintf(r[i].day, sizeof(r[i].day), "2011030%d", i + 3);
		r[i].energy_kwh = 100 * (i + 1);
		r[i].migrations = 10 * (i + 1);
		r[i].wall_s = walls[i];
	}
	report_table_end(f, r, 3);
	fclose(f);
	ck_assert_int_eq(sscanf(text, "%15s %lf %*f %*f %*f %*f %ld %*d %lf", day, &energy, &migrations, &wall), 4);
	ck_assert_str_eq(day, "total");
	ck_assert_double_eq_tol(wall, 7.75, 1e-9);
	ck_assert_int_eq(sscanf(strchr(text, '\n') + 1, "%15s %lf %*f %*f %*f %*f %ld %*d %lf", day, &energy,
				&migrations, &wall), 4);
	ck_assert_str_eq(day, "median");
	ck_assert_double_eq_tol(energy, 200, 1e-9);
	ck_assert_int_eq(migrations, 20);
	ck_assert_double_eq_tol(wall, 2.25, 1e-9);
	free(text);
	free(r);
}
END_TEST

START_TEST(axis_ticks_are_one_two_or_five_times_a_power_of_ten)
{
	static const struct {
		double max, step, top;
	} cases[] = { { 42, 10, 50 }, { 595, 200, 600 }, { 80, 20, 80 }, { 1, 0.2, 1 },
		      { 4.3, 1, 5 }, { 0.37, 0.1, 0.4 }, { 0, 0.2, 1 } };
	struct axis a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		axis_fit(cases[i].max, 5, &a);
		ck_assert_double_eq_tol(a.step, cases[i].step, 1e-12);
		ck_assert_double_eq_tol(a.top, cases[i].top, 1e-9);
	}
	ck_assert_int_eq(axis_hour_step(24, 14), 2);
	ck_assert_int_eq(axis_hour_step(48, 14), 6);
	ck_assert_int_eq(axis_hour_step(168, 14), 12);
}
END_TEST

/* A day at 40-80 active hosts after an initial placement on 595 hosts. */
static void day_after_a_peak(struct sim_result *r)
{
	snprintf(r->day, sizeof(r->day), "20110303");
	r->n_points = TRACE_SAMPLES - 1;
	for (int k = 1; k < TRACE_SAMPLES; k++) {
		struct sim_point *p = &r->series[k - 1];

		p->time_s = k * POWER_INTERVAL_S + 0.1;
		p->active_hosts = k == 1 ? 595 : 40 + k % 41;
		p->power_w = p->active_hosts * 100.0;
	}
}

START_TEST(plot_fits_the_day_not_the_initial_placement)
{
	struct sim_result *r = calloc(1, sizeof(*r));
	struct svg_series series = { "sheer", r, 1 };
	struct svg_plot plot = { .series = &series, .n_series = 1, .traces = "a&b<c>", .n_hosts = 800,
				 .min_servers = 1052, .max_servers = 1052, .max_migrations = -1 };
	struct plot_range range;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(r);
	day_after_a_peak(r);
	r->series[143].active_hosts = 300;	/* a lone spike at noon is marked, not fitted */
	range = plot_range(&series, 1, PLOT_ACTIVE_HOSTS);
	ck_assert_double_eq(range.limit, 80);
	ck_assert_double_eq(range.max, 595);
	ck_assert_int_eq(svg_write(f, &plot), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, ">sheer power simulate: active hosts and power</text>"));
	ck_assert_ptr_nonnull(strstr(text, "traces a&amp;b&lt;c&gt; (1 day, 20110303); policies sheer</text>"));
	ck_assert_ptr_nonnull(strstr(text, ">800 hosts; 1052 servers; interval 300 s</text>"));
	ck_assert_ptr_nonnull(strstr(text, "text-anchor='end'>80</text>"));	/* the y-axis tops at 80 */
	ck_assert_ptr_null(strstr(text, "text-anchor='end'>600</text>"));
	ck_assert_ptr_nonnull(strstr(text, "values above the scale, up to 595)"));
	ck_assert_ptr_nonnull(strstr(text, "<title>595</title>"));	/* the markers */
	ck_assert_ptr_nonnull(strstr(text, "<title>300</title>"));
	ck_assert_ptr_nonnull(strstr(text, ">22 h</text>"));
	ck_assert_ptr_nonnull(strstr(text, ">24 h</text>"));
	free(text);
	free(r);
}
END_TEST

START_TEST(cli_rejects_unknown_policy_and_missing_folder)
{
	char *unknown[] = { "power", "simulate", "--traces", "/tmp", "--policy", "best", NULL };
	char *missing[] = { "power", "simulate", "--traces", "/nonexistent/x", "--policy", "sheer", NULL };

	ck_assert_int_eq(cmd_power(6, unknown), SHEER_EXIT_USAGE);
	ck_assert_int_eq(cmd_power(6, missing), SHEER_EXIT_USAGE);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("power");
	TCase *planner = tcase_create("planner");
	TCase *sim = tcase_create("simulator");

	tcase_add_test(planner, overloaded_host_gives_up_its_cheapest_server);
	tcase_add_test(planner, no_server_goes_where_memory_is_short);
	tcase_add_test(planner, device_server_moves_only_to_a_free_device_of_its_model);
	tcase_add_test(planner, assign_refuses_a_host_without_the_device);
	tcase_add_test(planner, excluded_hosts_neither_give_nor_take);
	tcase_add_test(planner, migration_limit_is_honoured);
	tcase_add_test(planner, plans_are_deterministic);
	tcase_add_test(planner, emptied_hosts_are_powered_off_and_fresh_ones_on);
	tcase_add_test(planner, relieved_servers_spread_over_idle_hosts_as_cloudsim);
	tcase_add_test(planner, a_relieved_server_whose_new_host_is_emptied_migrates_twice);
	tcase_add_test(planner, sheer_search_picks_what_a_scan_of_every_host_picks);
	tcase_add_test(planner, a_sheer_search_examines_log_hosts_not_every_host);
	tcase_add_test(planner, a_synthetic_fleet_is_the_same_for_a_seed_and_holds_every_server);
	tcase_add_test(planner, unknown_policy_is_refused);
	tcase_add_test(planner, spec_power_interpolates);
	tcase_add_test(sim, metrics_pool_time_and_capacity_as_cloudsim);
	tcase_add_test(sim, energy_of_one_steady_server_is_worked_out_by_hand);
	tcase_add_test(sim, a_server_whose_demand_reaches_zero_finishes);
	tcase_add_test(sim, servers_being_created_hold_their_mips_but_ask_nothing);
	tcase_add_test(sim, a_migration_target_is_at_100_percent_until_the_copy_ends);
	tcase_add_test(sim, bad_traces_are_reported_with_file_and_line);
	tcase_add_test(sim, nul_bytes_in_a_trace_are_refused);
	tcase_add_test(sim, folder_per_day_is_one_day_each);
	tcase_add_test(sim, cli_rejects_unknown_policy_and_missing_folder);
	tcase_add_test(sim, median_row_shows_the_median_wall_time);
	tcase_add_test(sim, axis_ticks_are_one_two_or_five_times_a_power_of_ten);
	tcase_add_test(sim, plot_fits_the_day_not_the_initial_placement);
	suite_add_tcase(s, planner);
	suite_add_tcase(s, sim);
	return s;
}
