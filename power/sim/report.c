/* Tables and JSON lines of simulation results as they are produced, then the CSV and the plot. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim/report.h"
#include "vmm/lib/cli.h"

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

void report_table_header(FILE *out, const char *policy)
{
	fprintf(out, "policy %s\n%-10s %10s %8s %8s %10s %10s %10s %9s %8s\n", policy, "day", "energy_kWh",
		"SLATAH%", "PDM%", "SLAVx1e5", "ESVx1e3", "migrations", "shutdowns", "wall_s");
}

void report_table_row(FILE *out, const struct sim_result *r)
{
	fprintf(out, "%-10s %10.2f %8.4f %8.5f %10.3f %10.5f %10ld %9ld %8.2f\n", r->day, r->energy_kwh,
		r->slatah * 100, r->pdm * 100, r->slav * 1e5, r->esv * 1e3, r->migrations, r->shutdowns,
		r->wall_s);
}

void report_table_end(FILE *out, const struct sim_result *r, int n)
{
	struct sim_result s;

	summary_total(r, n, &s);
	report_table_row(out, &s);
	if (n > 1) {
		summary_median(r, n, &s);
		report_table_row(out, &s);
	}
	fprintf(out, "\n");
}

/* A day's row goes out as soon as the day is simulated: a long run shows its progress. */
static int run_policy(const struct report *rep, FILE *table, const struct trace_set *set, const char *policy,
		      const struct sim_config *cfg, struct sim_result *results)
{
	struct sim_result total;
	int err;

	if (!rep->json)
		report_table_header(table, policy);
	for (int d = 0; d < set->n_days; d++) {
		err = sim_run_day(&set->days[d], policy, cfg, &results[d]);
		if (err) {
			cli_error("power simulate: policy %s, day %s: %s", policy, set->days[d].name,
				  err == -ENOSPC ? "the hosts cannot hold all the servers; give more --hosts"
						 : strerror(-err));
			return err == -ENOSPC ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
		}
		if (rep->json)
			print_json(policy, &results[d]);
		else
			report_table_row(table, &results[d]);
	}
	if (!rep->json) {
		report_table_end(table, results, set->n_days);
		return SHEER_EXIT_OK;
	}
	summary_total(results, set->n_days, &total);
	print_json(policy, &total);
	return SHEER_EXIT_OK;
}

/* Writes one output file ("-": standard output) with write(f, ctx); 0 or a negative errno. */
static int write_output(const char *path, int (*write)(FILE *f, const void *ctx), const void *ctx)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = write(f, ctx);
	if (to_stdout)
		return fflush(f) != 0 || ferror(f) ? -EIO : err;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

struct csv_job {
	const char *const *policies;
	int n_policies;
	struct sim_result *const *results;
	int n_days;
};

/* One line per policy, day and interval. */
static int csv_job_write(FILE *f, const void *ctx)
{
	const struct csv_job *job = ctx;

	fprintf(f, "policy,day,time_s,active_hosts,power_w,overloaded_hosts\n");
	for (int p = 0; p < job->n_policies; p++)
		for (int d = 0; d < job->n_days; d++) {
			const struct sim_result *r = &job->results[p][d];

			for (int i = 0; i < r->n_points; i++)
				fprintf(f, "%s,%s,%.1f,%d,%.1f,%d\n", job->policies[p], r->day, r->series[i].time_s,
					r->series[i].active_hosts, r->series[i].power_w,
					r->series[i].overloaded_hosts);
		}
	return 0;
}

static int svg_job_write(FILE *f, const void *ctx)
{
	return svg_write(f, ctx);
}

static void servers_range(const struct trace_set *set, int *min, int *max)
{
	*min = *max = set->n_days ? set->days[0].n_servers : 0;
	for (int d = 1; d < set->n_days; d++) {
		if (set->days[d].n_servers < *min)
			*min = set->days[d].n_servers;
		if (set->days[d].n_servers > *max)
			*max = set->days[d].n_servers;
	}
}

static int write_plot(const struct report *rep, const struct trace_set *set, const char *const *policies,
		      int n_policies, const struct sim_config *cfg, struct sim_result *const *results)
{
	struct svg_series series[n_policies];
	struct svg_plot plot = { .series = series, .n_series = n_policies, .traces = rep->traces,
				 .n_hosts = cfg->n_hosts, .max_migrations = cfg->max_migrations,
				 .reserve_memory = cfg->reserve_memory };

	for (int p = 0; p < n_policies; p++)
		series[p] = (struct svg_series){ policies[p], results[p], set->n_days };
	servers_range(set, &plot.min_servers, &plot.max_servers);
	return write_output(rep->svg_path, svg_job_write, &plot);
}

int report_run(const struct report *rep, const struct trace_set *set, const char *const *policies,
	       int n_policies, const struct sim_config *cfg)
{
	FILE *table = rep->csv_path && strcmp(rep->csv_path, "-") == 0 ? stderr : stdout;
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
		rc = run_policy(rep, table, set, policies[p], cfg, results[p]);
	}
	if (rc == SHEER_EXIT_OK && rep->csv_path) {
		struct csv_job job = { policies, n_policies, results, set->n_days };

		err = write_output(rep->csv_path, csv_job_write, &job);
		if (err) {
			cli_error("power simulate: --csv %s: %s", rep->csv_path, strerror(-err));
			rc = SHEER_EXIT_FAILURE;
		}
	}
	if (rc == SHEER_EXIT_OK && rep->svg_path) {
		err = write_plot(rep, set, policies, n_policies, cfg, results);
		if (err) {
			cli_error("power simulate: --plot %s: %s", rep->svg_path, strerror(-err));
			rc = SHEER_EXIT_FAILURE;
		}
	}
	for (int p = 0; p < n_policies; p++)
		free(results[p]);
	return rc;
}
