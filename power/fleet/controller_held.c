/*
 * Moves held back after a failure. The planner sees the same fleet again next
 * round and plans the same move: a target that refused a server (a TSC it
 * cannot set, a device it lacks) would otherwise be asked again every round.
 */
#include <stdio.h>
#include <string.h>

#include "power/fleet/controller.h"

static unsigned int hold_s(const struct controller *ctl)
{
	unsigned int s = 6 * ctl->cfg->controller.interval_s;

	return s < CONTROLLER_HOLD_MIN_S ? CONTROLLER_HOLD_MIN_S : s;
}

static bool same_move(const struct controller_held_move *h, const char *server, int to)
{
	return h->to == to && strcmp(h->server, server) == 0;
}

void controller_hold_move(struct controller *ctl, const char *server, int to)
{
	struct controller_held_move *slot = &ctl->held[0];
	unsigned int s = hold_s(ctl);

	if (to < 0)
		return;
	/* The same move's hold, else the one that ends first. */
	for (unsigned int i = 0; i < CONTROLLER_HELD_MAX && !same_move(slot, server, to); i++)
		if (same_move(&ctl->held[i], server, to) || ctl->held[i].until < slot->until)
			slot = &ctl->held[i];
	snprintf(slot->server, sizeof(slot->server), "%s", server);
	slot->to = to;
	slot->until = controller_now() + s;
	controller_log(ctl, "%s is not moved to %s again for %u s", server, ctl->hosts[to].cfg->name, s);
}

bool controller_move_held(const struct controller *ctl, const char *server, int to)
{
	int64_t now = controller_now();

	for (unsigned int i = 0; i < CONTROLLER_HELD_MAX; i++)
		if (ctl->held[i].until > now && same_move(&ctl->held[i], server, to))
			return true;
	return false;
}
