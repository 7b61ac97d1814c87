/*
 * Synthetic fleets. Utilisation is drawn the way the PlanetLab traces look: most
 * servers idle along at 2-20% with noise, a few busy ones, now and then a burst,
 * in whole percent. The generator is splitmix64, so a seed names one fleet.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "power/sim/synthetic.h"

#define SERVERS_PER_STANDARD_HOST (1052.0 / 800)	/* the standard experiment's ratio */

static const struct {
	double mips;
	int ram_mb;
} server_types[] = { { 2500, 870 }, { 2000, 1740 }, { 1000, 1740 }, { 500, 613 } };

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *state)
{
	return (rng_next(state) >> 11) * 0x1.0p-53;
}

/* The standard pair with `scale` times the cores and watts, and eight times their memory per core. */
static void models_init(struct synthetic *s, int scale)
{
	for (int t = 0; t < 2; t++) {
		const struct host_model *std = host_model_standard(t);
		struct host_model *m = &s->models[t];

		*m = *std;
		m->pes = std->pes * scale;
		m->mem_mb = 8 * std->mem_mb * scale;
		m->bw_mbit = std->bw_mbit * scale;
		for (int k = 0; k < 11; k++)
			m->watts[k] = std->watts[k] * scale;
	}
}

static double sample(struct synthetic *s, int server)
{
	double u = s->base[server] * (0.7 + 0.6 * rng_unit(&s->rng));

	if (rng_unit(&s->rng) < 0.03)
		u += 0.4 * rng_unit(&s->rng);
	u = floor(u * 100) / 100;
	return u < 0.01 ? 0.01 : u > 1 ? 1 : u;
}

void synthetic_step(struct synthetic *s)
{
	struct power_fleet *f = &s->fleet;

	for (int i = 0; i < f->n_servers; i++) {
		struct power_server *v = &f->servers[i];

		power_server_record(v, sample(s, i));
		v->demand_mips = v->history[0] * v->mips;
	}
	for (int h = 0; h < f->n_hosts; h++) {
		struct power_host *host = &f->hosts[h];

		host->util_mips = 0;
		for (int k = 0; k < host->n_servers; k++)
			host->util_mips += f->servers[host->servers[k]].demand_mips;
	}
}

static void servers_init(struct synthetic *s)
{
	struct power_fleet *f = &s->fleet;

	for (int i = 0; i < f->n_servers; i++) {
		struct power_server *v = &f->servers[i];
		int type = (int)(rng_unit(&s->rng) * 4);
		double r = rng_unit(&s->rng);

		v->mips = server_types[type].mips;
		v->ram_mb = server_types[type].ram_mb;
		v->mem_mb = v->ram_mb;
		s->base[i] = rng_unit(&s->rng) < 0.05 ? 0.5 + 0.4 * r : 0.02 + 0.18 * r * r;
	}
	for (int k = 0; k < POWER_HISTORY_LEN; k++)
		synthetic_step(s);
}

/* First fit in index order, each host up to its own share of its CPU. */
static int servers_pack(struct synthetic *s)
{
	struct power_fleet *f = &s->fleet;
	int h = 0;
	double used = 0, target = 0;

	for (int i = 0; i < f->n_servers; i++) {
		const struct power_server *v = &f->servers[i];

		while (h < f->n_hosts && used > 0 &&
		       (used + v->demand_mips > target ||
			f->hosts[h].mem_used_mb + v->mem_mb > f->hosts[h].model->mem_mb)) {
			h++;
			used = 0;
		}
		if (h == f->n_hosts)
			return -ENOSPC;
		if (used == 0)
			target = (0.3 + 0.65 * rng_unit(&s->rng)) * host_model_total_mips(f->hosts[h].model);
		if (power_fleet_assign(f, i, h))
			return -ENOMEM;
		used += v->demand_mips;
		f->hosts[h].util_mips = used;
	}
	return 0;
}

int synthetic_init(struct synthetic *s, int n_hosts, int n_servers, uint64_t seed)
{
	int scale = (int)ceil(n_servers / (SERVERS_PER_STANDARD_HOST * (n_hosts > 0 ? n_hosts : 1)));
	int err;

	memset(s, 0, sizeof(*s));
	s->rng = seed;
	models_init(s, scale > 1 ? scale : 1);
	err = power_fleet_init(&s->fleet, n_hosts, n_servers);
	if (err)
		return err;
	s->base = calloc(n_servers + 1, sizeof(double));
	if (!s->base) {
		synthetic_free(s);
		return -ENOMEM;
	}
	for (int h = 0; h < n_hosts; h++)
		s->fleet.hosts[h].model = &s->models[h % 2];
	servers_init(s);
	err = servers_pack(s);
	if (err)
		synthetic_free(s);
	return err;
}

void synthetic_free(struct synthetic *s)
{
	power_fleet_free(&s->fleet);
	free(s->base);
	s->base = NULL;
}

int synthetic_apply(struct synthetic *s, const struct power_plan *plan)
{
	for (int i = 0; i < plan->n_migrations; i++) {
		int err = power_fleet_assign(&s->fleet, plan->migrations[i].server, plan->migrations[i].to);

		if (err)
			return err;
	}
	return 0;
}
