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

void controller_hold_move(struct controller *ctl, const char *server, int to)
{
	struct controller_held_move *slot = &ctl->held[0];

	if (to < 0)
		return;
	for (unsigned int i = 0; i < CONTROLLER_HELD_MAX; i++) {
		struct controller_held_move *h = &ctl->held[i];

		if ((h->to == to && strcmp(h->server, server) == 0) || h->until < slot->until) {
			slot = h;
			if (h->to == to && strcmp(h->server, server) == 0)
				break;
		}
	}
	snprintf(slot->server, sizeof(slot->server), "%s", server);
	slot->to = to;
	slot->until = controller_now() + hold_s(ctl);
	controller_log(ctl, "%s is not moved to %s again for %u s", server, ctl->hosts[to].cfg->name, hold_s(ctl));
}

bool controller_move_held(const struct controller *ctl, const char *server, int to)
{
	int64_t now = controller_now();

	for (unsigned int i = 0; i < CONTROLLER_HELD_MAX; i++)
		if (ctl->held[i].until > now && ctl->held[i].to == to && strcmp(ctl->held[i].server, server) == 0)
			return true;
	return false;
}
