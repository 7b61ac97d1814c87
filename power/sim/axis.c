/* The plot's scales: round ticks, hours along x, and a y range the interesting part fills. */
#include <math.h>
#include <stdlib.h>

#include "power/sim/report.h"

#define FIRST_HOUR_S 3600.0		/* a point at or after this time of its day is past the placement */
#define PLOT_PERCENTILE 99.0

void axis_fit(double max, int max_ticks, struct axis *a)
{
	static const double mantissas[] = { 1, 2, 5 };
	double magnitude;

	if (!(max > 0))
		max = 1;
	if (max_ticks < 1)
		max_ticks = 1;
	magnitude = pow(10, floor(log10(max / max_ticks)));
	for (;; magnitude *= 10)
		for (int i = 0; i < 3; i++) {
			/* the tolerance keeps 1 / 0.2 from counting as 6 ticks */
			double ticks = ceil(max / (mantissas[i] * magnitude) - 1e-9);

			if (ticks <= max_ticks) {
				a->step = mantissas[i] * magnitude;
				a->top = ticks * a->step;
				return;
			}
		}
}

int axis_hour_step(double hours, int max_ticks)
{
	static const int steps[] = { 1, 2, 3, 6, 12, 24, 48 };

	if (max_ticks < 1)
		max_ticks = 1;
	for (int i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++)
		if (hours / steps[i] <= max_ticks)
			return steps[i];
	return 24 * (int)ceil(hours / 24 / max_ticks);
}

double plot_value(const struct sim_point *p, enum plot_panel panel)
{
	return panel == PLOT_ACTIVE_HOSTS ? p->active_hosts : p->power_w / 1000;
}

/* Every value after its day's first hour, in v (n_out of them); the largest of all in max. */
static void values_after_first_hour(const struct svg_series *s, int n, enum plot_panel panel, double *v,
				    size_t *n_out, double *max)
{
	*n_out = 0;
	*max = 0;
	for (int i = 0; i < n; i++)
		for (int d = 0; d < s[i].n_days; d++)
			for (int k = 0; k < s[i].days[d].n_points; k++) {
				const struct sim_point *p = &s[i].days[d].series[k];

				*max = fmax(*max, plot_value(p, panel));
				if (p->time_s >= FIRST_HOUR_S && v)
					v[(*n_out)++] = plot_value(p, panel);
			}
}

struct plot_range plot_range(const struct svg_series *s, int n, enum plot_panel panel)
{
	size_t n_points = 0, n_after;
	struct plot_range r;
	double *v;

	for (int i = 0; i < n; i++)
		for (int d = 0; d < s[i].n_days; d++)
			n_points += s[i].days[d].n_points;
	v = malloc((n_points ? n_points : 1) * sizeof(*v));
	values_after_first_hour(s, n, panel, v, &n_after, &r.max);
	r.limit = r.max;	/* also when memory is short: nothing clipped */
	if (n_after > 0) {
		summary_sort(v, n_after);
		r.limit = v[(size_t)ceil(PLOT_PERCENTILE / 100 * n_after) - 1];
	}
	free(v);
	return r;
}
