/* none: every server stays where it was first put (first fit), nothing moves. */
#include <errno.h>

#include "power/planner/planner.h"

int none_place(struct power_policy *p, struct plan_state *st, int server)
{
	(void)p;
	for (int h = 0; h < st->w->n_hosts; h++)
		if (host_suitable(st->w, h, server))
			return plan_move(st, server, h);
	return -ENOSPC;
}

int none_plan(struct power_policy *p, struct plan_state *st)
{
	(void)p;
	(void)st;
	return 0;
}
