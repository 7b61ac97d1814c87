/*
 * IQR: the threshold adapts to the host's variability, 1 - s * IQR(history).
 * Needs 12 samples of history; until then CloudSim falls back to THR 0.7.
 */
#include "power/planner/planner.h"

#define IQR_MIN_HISTORY 12
#define FALLBACK_THRESHOLD 0.7

bool iqr_overloaded(struct plan_state *st, int host, int extra, double safety)
{
	struct host_view v;
	double upper;

	host_view_get(st, host, extra, &v);
	if (v.n_history < IQR_MIN_HISTORY)
		return v.demand_mips / v.total_mips > FALLBACK_THRESHOLD;
	upper = 1 - safety * stats_iqr(v.history, v.n_history);
	return v.demand_mips / v.total_mips > upper;
}
