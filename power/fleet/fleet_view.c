/* The planner's fleet from the hosts' reports (fleet_view.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/fleet/fleet_view.h"

static void model_fill(struct host_model *m, const struct fleet_view_host *h, unsigned int headroom_pct)
{
	const struct fleet_report *r = h->now;
	unsigned int cpus = h->cfg->cpus ? h->cfg->cpus : (r ? r->cpus : 0);
	unsigned int mem_mib = h->cfg->memory_bytes ? (unsigned int)(h->cfg->memory_bytes >> 20)
						     : (r ? r->memory_total_mib : 0);

	m->id = h->cfg->model ? h->cfg->model->id : "agent";
	m->name = h->cfg->name;
	/* One processing element of the whole host: a server may use any of its CPUs. */
	m->pes = 1;
	m->mips_per_pe = cpus * FLEET_MIPS_PER_CPU * (100 - headroom_pct) / 100.0;
	m->mem_mb = (int)mem_mib;
	m->bw_mbit = 1000;
	for (int i = 0; i < 11; i++)
		m->watts[i] = h->cfg->model ? h->cfg->model->watts[i] : FLEET_FLAT_WATTS;
}

static void device_add(struct power_host *ph, const char *id)
{
	if (!id[0] || ph->n_devices >= POWER_MAX_DEVICES)
		return;
	snprintf(ph->devices[ph->n_devices].model, POWER_MODEL_LEN, "%s", id);
	ph->devices[ph->n_devices++].owner = -1;
}

/* The devices its servers hold (claimed again as they are placed), then the free ones. */
static void host_devices(struct power_host *ph, const struct fleet_report *r)
{
	for (unsigned int i = 0; r && i < r->n_servers; i++)
		for (unsigned int d = 0; r->servers[i].running && d < r->servers[i].n_devices; d++)
			device_add(ph, r->servers[i].devices[d].id);
	for (unsigned int i = 0; r && i < r->n_free; i++)
		device_add(ph, r->free_devices[i].id);
}

static unsigned int count_servers(const struct fleet_view_host *hosts, unsigned int n)
{
	unsigned int total = 0;

	for (unsigned int h = 0; h < n; h++)
		for (unsigned int i = 0; hosts[h].on && hosts[h].now && i < hosts[h].now->n_servers; i++)
			total += hosts[h].now->servers[i].running;
	return total;
}

/* Server s of host h's report as the planner's server (placed by the caller). */
static void server_fill(struct fleet_view *v, int index, const struct fleet_view_host *h,
			const struct fleet_seen_server *s)
{
	struct power_server *ps = &v->fleet.servers[index];
	double demand = fleet_report_demand(h->prev, h->now, s->name);

	snprintf(v->server_names[index], SERVER_NAME_MAX, "%s", s->name);
	ps->mips = s->vcpus * FLEET_MIPS_PER_CPU;
	ps->mem_mb = (int)s->memory_mib;
	ps->ram_mb = (int)s->memory_mib;
	ps->host = -1;
	if (demand < 0) {
		/* Not measured yet: plan for the whole of it rather than pack it blind. */
		demand = 1;
		v->n_unknown_demand++;
	}
	ps->demand_mips = demand * ps->mips;
	power_server_record(ps, demand);
	for (unsigned int d = 0; d < s->n_devices; d++)
		snprintf(ps->devices[ps->n_devices++], POWER_MODEL_LEN, "%s", s->devices[d].id);
}

int fleet_view_build(const struct fleet_view_host *hosts, unsigned int n, unsigned int headroom_pct,
		     struct fleet_view *v)
{
	unsigned int n_servers = count_servers(hosts, n);
	int k = 0, ret;

	memset(v, 0, sizeof(*v));
	v->models = calloc(n + 1, sizeof(*v->models));
	v->server_names = calloc(n_servers + 1, sizeof(*v->server_names));
	if (!v->models || !v->server_names || power_fleet_init(&v->fleet, (int)n, (int)n_servers) < 0) {
		fleet_view_free(v);
		return -ENOMEM;
	}
	v->fleet.max_migrations = -1;
	for (unsigned int h = 0; h < n; h++) {
		struct power_host *ph = &v->fleet.hosts[h];

		model_fill(&v->models[h], &hosts[h], headroom_pct);
		ph->model = &v->models[h];
		ph->excluded = hosts[h].excluded;
		if (hosts[h].on)
			host_devices(ph, hosts[h].now);
	}
	for (unsigned int h = 0; h < n; h++) {
		const struct fleet_report *r = hosts[h].on ? hosts[h].now : NULL;

		for (unsigned int i = 0; r && i < r->n_servers; i++) {
			if (!r->servers[i].running)
				continue;
			server_fill(v, k, &hosts[h], &r->servers[i]);
			/*
			 * A server holding more devices than the planner follows (or than it
			 * keeps per host) stays where it is, and so does everything on its host.
			 */
			if (r->servers[i].pinned || power_fleet_assign(&v->fleet, k, (int)h) < 0) {
				v->fleet.servers[k].n_devices = 0;
				v->fleet.hosts[h].excluded = true;
				if ((ret = power_fleet_assign(&v->fleet, k, (int)h)) < 0) {
					fleet_view_free(v);
					return ret;
				}
			}
			v->fleet.hosts[h].util_mips += v->fleet.servers[k].demand_mips;
			k++;
		}
		/* Switched on, even idle: the planner tells a host that is off by a load of 0. */
		if (hosts[h].on && v->fleet.hosts[h].util_mips <= 0)
			v->fleet.hosts[h].util_mips = 1e-3;
	}
	return 0;
}

void fleet_view_free(struct fleet_view *v)
{
	power_fleet_free(&v->fleet);
	free(v->models);
	free(v->server_names);
	memset(v, 0, sizeof(*v));
}

int fleet_view_server(const struct fleet_view *v, const char *name)
{
	for (int i = 0; i < v->fleet.n_servers; i++)
		if (strcmp(v->server_names[i], name) == 0)
			return i;
	return -1;
}

void fleet_view_load(const struct fleet_view *v, const struct fleet_view_host *hosts, double *demand,
		     double *capacity)
{
	*demand = 0;
	*capacity = 0;
	for (int h = 0; h < v->fleet.n_hosts; h++) {
		if (!hosts[h].on || hosts[h].excluded)
			continue;
		*capacity += hosts[h].cfg->cpus ? hosts[h].cfg->cpus * FLEET_MIPS_PER_CPU
						: (hosts[h].now ? hosts[h].now->cpus * FLEET_MIPS_PER_CPU : 0);
		for (int i = 0; i < v->fleet.hosts[h].n_servers; i++)
			*demand += v->fleet.servers[v->fleet.hosts[h].servers[i]].demand_mips;
	}
}
