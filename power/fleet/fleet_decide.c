/* Power decisions and migration limits (fleet_decide.h). */
#include "power/fleet/fleet_decide.h"

unsigned int fleet_decide_active(const struct fleet_decide_host *h, unsigned int n)
{
	unsigned int active = 0;

	for (unsigned int i = 0; i < n; i++)
		active += h[i].on && !h[i].failed && !h[i].spare;
	return active;
}

static bool rested(const struct fleet_decide_host *h, const struct fleet_policy *p, int64_t now)
{
	return now - h->power_changed_at >= (int64_t)p->hysteresis_s;
}

/* May sleep, and may be woken again: the conditions both directions share. */
static bool sleep_worthy(const struct fleet_decide_host *h, const struct fleet_policy *p, int64_t now)
{
	return h->has_bmc && h->trusted && !h->wake_failed && !h->busy && !h->failed && rested(h, p, now);
}

unsigned int fleet_decide_power_off(const struct fleet_decide_host *h, unsigned int n, const struct fleet_policy *p,
				    int64_t now, unsigned int *out)
{
	unsigned int active = fleet_decide_active(h, n), k = 0;

	if (!p->power_saving)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		if (!h[i].on || h[i].n_servers || !sleep_worthy(&h[i], p, now))
			continue;
		if (!h[i].spare) {
			if (active <= p->min_active_hosts)
				continue;
			active--;
		}
		out[k++] = i;
	}
	return k;
}

int fleet_decide_wake(const struct fleet_decide_host *h, unsigned int n, const struct fleet_policy *p, int64_t now,
		      double demand, double capacity)
{
	bool short_of_hosts = fleet_decide_active(h, n) < p->min_active_hosts;

	if (!short_of_hosts && demand <= capacity * (100 - p->headroom_pct) / 100.0)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		if (h[i].off && !h[i].spare && sleep_worthy(&h[i], p, now))
			return (int)i;
	return -1;
}

int fleet_decide_wake_test(const struct fleet_decide_host *h, unsigned int n, const struct fleet_policy *p)
{
	unsigned int active = fleet_decide_active(h, n);

	for (unsigned int i = 0; i < n; i++) {
		if (!h[i].on || h[i].n_servers || !h[i].has_bmc || h[i].trusted || h[i].wake_failed || h[i].busy ||
		    h[i].failed)
			continue;
		if (h[i].spare || active > p->min_active_hosts)
			return (int)i;
	}
	return -1;
}

unsigned int fleet_decide_migrations_allowed(const struct fleet_policy *p, unsigned int running,
					     unsigned int started_this_round)
{
	unsigned int by_concurrency = running < p->max_concurrent_migrations ? p->max_concurrent_migrations - running : 0;
	unsigned int by_round = started_this_round < p->max_migrations_per_interval
					? p->max_migrations_per_interval - started_this_round
					: 0;

	return by_concurrency < by_round ? by_concurrency : by_round;
}
