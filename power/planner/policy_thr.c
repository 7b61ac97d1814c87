/* THR: a host is overloaded when its demand passes a fixed share of its capacity. */
#include "power/planner/planner.h"

bool thr_overloaded(struct plan_state *st, int host, int extra, double threshold)
{
	struct host_view v;

	host_view_get(st, host, extra, &v);
	return v.demand_mips / v.total_mips > threshold;
}
