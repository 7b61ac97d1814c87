/* sheer's own policy (placeholder until tuned: behaves as LR-MMT). */
#include "power/planner.h"

int sheer_plan(struct power_policy *p, struct plan_state *st)
{
	return cloudsim_plan(p, st);
}

int sheer_place(struct power_policy *p, struct plan_state *st, int server)
{
	return cloudsim_place(p, st, server);
}
