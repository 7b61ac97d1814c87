/* Restart targets for a failed host's servers (fleet_spares.h). */
#include <string.h>

#include "power/fleet/fleet_remap.h"
#include "power/fleet/fleet_spares.h"

static bool has_room(const struct fleet_spare_host *h, const struct fleet_seen_server *s)
{
	const struct fleet_report *r = h->report;

	return h->usable && r && (uint64_t)h->mem_used_mib + s->memory_mib <= r->memory_free_mib &&
	       s->vcpus <= r->cpus && fleet_remap_fits(s, r, h->taken);
}

static void reserve(struct fleet_spare_host *h, int failed, const struct fleet_seen_server *s)
{
	h->mem_used_mib += s->memory_mib;
	if (h->spare && h->claimed_by < 0)
		h->claimed_by = failed;
	/* The same choice fleet_remap_definition will make: the first free device of each model. */
	for (unsigned int d = 0; d < s->n_devices; d++)
		for (unsigned int i = 0; i < h->report->n_free; i++) {
			if (!h->taken[i] && strcmp(h->report->free_devices[i].id, s->devices[d].id) == 0) {
				h->taken[i] = true;
				break;
			}
		}
}

int fleet_spares_place(struct fleet_spare_host *hosts, unsigned int n, int failed,
		       const struct fleet_seen_server *server, bool spares_only)
{
	/* Its own spare first, then a spare no one holds, then room anywhere (a spare's left over last). */
	for (int pass = 0; pass < 4; pass++) {
		if (spares_only && pass >= 2)
			break;
		for (unsigned int i = 0; i < n; i++) {
			struct fleet_spare_host *h = &hosts[i];
			bool fits = pass == 0 ? h->spare && h->claimed_by == failed
				  : pass == 1 ? h->spare && h->claimed_by < 0
				  : pass == 2 ? !h->spare
					      : h->spare;

			if (fits && has_room(h, server)) {
				reserve(h, failed, server);
				return (int)i;
			}
		}
	}
	return -1;
}
