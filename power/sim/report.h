/* Running the simulator over days and policies, and reporting what it measured. */
#ifndef SHEER_POWER_SIM_REPORT_H
#define SHEER_POWER_SIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "power/sim/sim.h"

struct report {
	bool json;
	const char *csv_path;	/* "-" is standard output; the table then goes to standard error */
	const char *svg_path;
	const char *traces;	/* named on the plot */
};

/*
 * Simulates every day under every policy, writing each day's row (or JSON line) as soon as it
 * is simulated, then the CSV and the plot. Returns a process exit status; errors are reported
 * once with cli_error(). Output paths are the caller's to check before (the run is long).
 */
int report_run(const struct report *rep, const struct trace_set *set, const char *const *policies,
	       int n_policies, const struct sim_config *cfg);

/* The table of one policy: its header, one row per day, then the total and median rows. */
void report_table_header(FILE *out, const char *policy);
void report_table_row(FILE *out, const struct sim_result *r);
void report_table_end(FILE *out, const struct sim_result *r, int n);

/* Energy, ESV, migrations, shutdowns and wall time summed; the ratios averaged over the days. */
void summary_total(const struct sim_result *r, int n, struct sim_result *t);
/* Every column's own median over the days. */
void summary_median(const struct sim_result *r, int n, struct sim_result *m);
/* Ascending, in place (medians, the plot's percentile). */
void summary_sort(double *v, size_t n);

struct svg_series {
	const char *label;
	const struct sim_result *days;
	int n_days;
};

/* What the plot shows and the run's parameters, printed under its title. */
struct svg_plot {
	const struct svg_series *series;
	int n_series;
	const char *traces;
	int n_hosts;
	int min_servers, max_servers;	/* over the days */
	int max_migrations;		/* negative: no limit */
	bool reserve_memory;
};

/* The whole drawing into f; 0, -EINVAL without a series, -EIO when f failed. */
int svg_write(FILE *f, const struct svg_plot *plot);

/* The y-axis: ticks every step (1, 2 or 5 x 10^k) from 0 to top, top >= the value it was fitted to. */
struct axis {
	double step, top;
};

/* The smallest such step that covers max (0 counts as 1) in at most max_ticks steps. */
void axis_fit(double max, int max_ticks, struct axis *a);
/* Hours between x-axis ticks (1, 2, 3, 6, 12, 24 or 48) so that `hours` gets at most max_ticks. */
int axis_hour_step(double hours, int max_ticks);

enum plot_panel { PLOT_ACTIVE_HOSTS, PLOT_POWER_KW };

/* Active hosts, or power in kW. */
double plot_value(const struct sim_point *p, enum plot_panel panel);

struct plot_range {
	double limit;	/* what the y-axis is fitted to */
	double max;	/* the largest value of all: above limit, it is drawn at the top edge and marked */
};

/*
 * The limit is the 99th percentile of the values after each day's first hour: the first hour
 * holds the initial placement (the servers spread over many hosts until the policy first
 * consolidates) and a slow ramp down (--max-migrations), far above the rest of the day, which
 * a plain maximum would squash into the bottom tenth. The largest of all when nothing comes
 * after the first hour.
 */
struct plot_range plot_range(const struct svg_series *s, int n, enum plot_panel panel);

#endif
