/* Tables, JSON lines and CSV of simulation results. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim/report.h"
#include "vmm/lib/cli.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(const struct sim_result *r, int n, size_t offset)
{
	double v[n > 0 ? n : 1];

	for (int i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&r[i] + offset);
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void total_of(const struct sim_result *r, int n, struct sim_result *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->day, sizeof(t->day), "total");
	for (int i = 0; i < n; i++) {
		t->energy_kwh += r[i].energy_kwh;
		t->slatah += r[i].slatah / n;
		t->pdm += r[i].pdm / n;
		t->slav += r[i].slav / n;
		t->esv += r[i].esv;
		t->migrations += r[i].migrations;
		t->shutdowns += r[i].shutdowns;
		t->wall_s += r[i].wall_s;
	}
}

static void print_json(const char *policy, const struct sim_result *r)
{
	json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f}",
			      "policy", policy, "day", r->day, "energy_kwh", r->energy_kwh,
			      "slatah", r->slatah, "pdm", r->pdm, "slav", r->slav, "esv", r->esv,
			      "migrations", (json_int_t)r->migrations, "shutdowns", (json_int_t)r->shutdowns,
			      "wall_s", r->wall_s);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;

	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static void print_row(const struct sim_result *r)
{
	printf("%-10s %10.2f %8.4f %8.5f %10.3f %10.5f %10ld %9ld %8.2f\n", r->day, r->energy_kwh,
	       r->slatah * 100, r->pdm * 100, r->slav * 1e5, r->esv * 1e3, r->migrations, r->shutdowns,
	       r->wall_s);
}

static void print_table(const char *policy, const struct sim_result *r, int n)
{
	struct sim_result t;

	printf("policy %s\n%-10s %10s %8s %8s %10s %10s %10s %9s %8s\n", policy, "day", "energy_kWh",
	       "SLATAH%", "PDM%", "SLAVx1e5", "ESVx1e3", "migrations", "shutdowns", "wall_s");
	for (int i = 0; i < n; i++)
		print_row(&r[i]);
	total_of(r, n, &t);
	print_row(&t);
	if (n > 1) {
		struct sim_result m = { 0 };

		snprintf(m.day, sizeof(m.day), "median");
		m.energy_kwh = median_of(r, n, offsetof(struct sim_result, energy_kwh));
		m.slatah = median_of(r, n, offsetof(struct sim_result, slatah));
		m.pdm = median_of(r, n, offsetof(struct sim_result, pdm));
		m.slav = median_of(r, n, offsetof(struct sim_result, slav));
		m.esv = median_of(r, n, offsetof(struct sim_result, esv));
		{
			double mig[n], sd[n];

			for (int i = 0; i < n; i++) {
				mig[i] = r[i].migrations;
				sd[i] = r[i].shutdowns;
			}
			qsort(mig, n, sizeof(double), cmp_double);
			qsort(sd, n, sizeof(double), cmp_double);
			m.migrations = (long)(n % 2 ? mig[n / 2] : (mig[n / 2 - 1] + mig[n / 2]) / 2);
			m.shutdowns = (long)(n % 2 ? sd[n / 2] : (sd[n / 2 - 1] + sd[n / 2]) / 2);
		}
		print_row(&m);
	}
	printf("\n");
}

static int write_csv(const char *path, const char *const *policies, int n_policies,
		     struct sim_result *const *results, int n_days)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "policy,day,time_s,active_hosts,power_w,overloaded_hosts\n");
	for (int p = 0; p < n_policies; p++)
		for (int d = 0; d < n_days; d++)
			for (int i = 0; i < results[p][d].n_points; i++) {
				const struct sim_point *pt = &results[p][d].series[i];

				fprintf(f, "%s,%s,%.1f,%d,%.1f,%d\n", policies[p], results[p][d].day, pt->time_s,
					pt->active_hosts, pt->power_w, pt->overloaded_hosts);
			}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

int report_run(const struct report *rep, const struct trace_set *set, const char *const *policies,
	       int n_policies, const struct sim_config *cfg)
{
	struct sim_result *results[n_policies];
	int rc = SHEER_EXIT_OK, err;

	memset(results, 0, sizeof(results));
	for (int p = 0; p < n_policies && rc == SHEER_EXIT_OK; p++) {
		results[p] = calloc(set->n_days, sizeof(struct sim_result));
		if (!results[p]) {
			cli_error("power simulate: out of memory");
			rc = SHEER_EXIT_FAILURE;
			break;
		}
		for (int d = 0; d < set->n_days; d++) {
			err = sim_run_day(&set->days[d], policies[p], cfg, &results[p][d]);
			if (err) {
				cli_error("power simulate: policy %s, day %s: %s", policies[p], set->days[d].name,
					  err == -ENOSPC ? "the hosts cannot hold all the servers" : strerror(-err));
				rc = err == -ENOSPC ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
				break;
			}
		}
		if (rc != SHEER_EXIT_OK)
			break;
		if (rep->json) {
			struct sim_result t;

			for (int d = 0; d < set->n_days; d++)
				print_json(policies[p], &results[p][d]);
			total_of(results[p], set->n_days, &t);
			print_json(policies[p], &t);
		} else {
			print_table(policies[p], results[p], set->n_days);
		}
	}
	if (rc == SHEER_EXIT_OK && rep->csv_path) {
		err = write_csv(rep->csv_path, policies, n_policies, results, set->n_days);
		if (err) {
			cli_error("power simulate: %s: %s", rep->csv_path, strerror(-err));
			rc = SHEER_EXIT_FAILURE;
		}
	}
	if (rc == SHEER_EXIT_OK && rep->svg_path) {
		struct svg_series series[n_policies];

		for (int p = 0; p < n_policies; p++)
			series[p] = (struct svg_series){ policies[p], results[p], set->n_days };
		err = svg_write(rep->svg_path, series, n_policies);
		if (err) {
			cli_error("power simulate: %s: %s", rep->svg_path, strerror(-err));
			rc = SHEER_EXIT_FAILURE;
		}
	}
	for (int p = 0; p < n_policies; p++)
		free(results[p]);
	return rc;
}
