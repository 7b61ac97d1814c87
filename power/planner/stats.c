/* The statistics CloudSim's detectors use, with its exact conventions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "power/planner/planner.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Quartiles by rank round(p * (n + 1)), as CloudSim's MathUtil.iqr. */
double stats_iqr(const double *data, int n)
{
	double sorted[POWER_HISTORY_LEN];
	int q1, q3;

	if (n <= 0 || n > POWER_HISTORY_LEN)
		return 0;
	memcpy(sorted, data, n * sizeof(double));
	qsort(sorted, n, sizeof(double), cmp_double);
	q1 = (int)floor(0.25 * (n + 1) + 0.5) - 1;
	q3 = (int)floor(0.75 * (n + 1) + 0.5) - 1;
	if (q1 < 0)
		q1 = 0;
	if (q3 > n - 1)
		q3 = n - 1;
	return sorted[q3] - sorted[q1];
}

/*
 * Least squares on x = 1..n. CloudSim's "loess" ends up unweighted: its tricube
 * weights are never zero, so its weighted branch is never taken.
 */
void stats_ols(const double *y, int n, double *intercept, double *slope)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;

	for (int i = 0; i < n; i++) {
		double x = i + 1;

		sx += x;
		sy += y[i];
		sxx += x * x;
		sxy += x * y[i];
	}
	*slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	*intercept = (sy - *slope * sx) / n;
}
