/*
 * planner_scale [HOSTS:SERVERS...]: the cost of one planning interval of the `sheer`
 * policy on synthetic fleets (power/sim/synthetic.c, seed 1), a table row per size.
 * Each size runs INTERVALS intervals (env SHEER_BENCH_PLANNER_INTERVALS, default 5):
 * plan, carry out the migrations, take the next sample. The first interval packs a
 * freshly generated fleet and is reported apart from the median of the others.
 * Columns: hosts, servers, hosts running servers at the start, intervals run, the
 * first interval's ms (it also allocates the policy's working copy), the median and
 * the largest of the others, migrations and host searches per interval, and hosts
 * examined per search (a scan of every host would examine them all).
 * Default sizes: 800:1052 8000:10520 80000:95190 100000:1000000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "power/sim/synthetic.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int active_hosts(const struct power_fleet *f)
{
	int n = 0;

	for (int h = 0; h < f->n_hosts; h++)
		n += f->hosts[h].n_servers > 0;
	return n;
}

static int bench_size(int n_hosts, int n_servers, int intervals)
{
	struct synthetic syn;
	struct power_policy *policy;
	struct power_plan plan;
	double ms[64], first = 0;
	long migrations = 0, searches = 0, examined = 0;
	int active, err;

	err = synthetic_init(&syn, n_hosts, n_servers, 1);
	if (err) {
		fprintf(stderr, "planner_scale: %d hosts cannot hold %d servers\n", n_hosts, n_servers);
		return err;
	}
	active = active_hosts(&syn.fleet);
	power_plan_init(&plan);
	err = power_policy_new("sheer", &policy);
	for (int k = 0; k < intervals && !err; k++) {
		double t0 = now_ms();

		err = power_plan_compute(policy, &syn.fleet, &plan);
		ms[k] = now_ms() - t0;
		migrations += plan.n_migrations;
		searches += plan.host_searches;
		examined += plan.hosts_examined;
		if (!err)
			err = synthetic_apply(&syn, &plan);
		synthetic_step(&syn);
	}
	if (!err) {
		first = ms[0];
		qsort(ms + 1, intervals - 1, sizeof(double), cmp_double);
		printf("%8d %9d %8d %6d %9.1f %9.1f %9.1f %11.1f %9.1f %9.1f\n", n_hosts, n_servers, active,
		       intervals, first, ms[intervals / 2], ms[intervals - 1], (double)migrations / intervals,
		       (double)searches / intervals, searches ? (double)examined / searches : 0);
	}
	power_policy_free(policy);
	power_plan_free(&plan);
	synthetic_free(&syn);
	return err;
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = { "800:1052", "8000:10520", "80000:95190", "100000:1000000" };
	const char *env = getenv("SHEER_BENCH_PLANNER_INTERVALS");
	int intervals = env ? atoi(env) : 5, n = argc > 1 ? argc - 1 : 4, rc = 0;

	if (intervals < 2 || intervals > 64) {
		fprintf(stderr, "planner_scale: SHEER_BENCH_PLANNER_INTERVALS must be 2-64\n");
		return 2;
	}
	printf("%8s %9s %8s %6s %9s %9s %9s %11s %9s %9s\n", "hosts", "servers", "running", "runs", "first ms",
	       "median ms", "max ms", "migrations", "searches", "examined");
	for (int i = 0; i < n; i++) {
		const char *arg = argc > 1 ? argv[i + 1] : defaults[i];
		int hosts, servers;

		if (sscanf(arg, "%d:%d", &hosts, &servers) != 2 || hosts < 1 || servers < 1) {
			fprintf(stderr, "planner_scale: '%s' is not HOSTS:SERVERS\n", arg);
			return 2;
		}
		fflush(stdout);
		if (bench_size(hosts, servers, intervals))
			rc = 1;
	}
	return rc;
}
