/*
 * LR: fit a line through the host's last 10 utilisation samples and predict one
 * migration time ahead; overloaded when safety x prediction reaches 100%.
 */
#include <math.h>

#include "power/planner/planner.h"

#define LR_WINDOW 10
#define FALLBACK_THRESHOLD 0.7

bool lr_overloaded(struct plan_state *st, int host, int extra, double safety)
{
	struct host_view v;
	double oldest_first[LR_WINDOW], a, b, ahead, migration_s;

	host_view_get(st, host, extra, &v);
	if (v.n_history < LR_WINDOW)
		return v.demand_mips / v.total_mips > FALLBACK_THRESHOLD;
	for (int i = 0; i < LR_WINDOW; i++)
		oldest_first[i] = v.history[LR_WINDOW - 1 - i];
	stats_ols(oldest_first, LR_WINDOW, &a, &b);
	migration_s = v.max_ram_mb * 8.0 / (st->w->hosts[host].model->bw_mbit / 2);
	ahead = ceil(migration_s / POWER_INTERVAL_S);
	return safety * (a + b * (LR_WINDOW + ahead)) >= 1;
}
