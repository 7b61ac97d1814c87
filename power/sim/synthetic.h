/*
 * Synthetic fleets for measuring the planner at any size: a deterministic generator
 * (one seed, the same fleet on every machine) of hosts, servers with PlanetLab-like
 * utilisation histories, an initial packing, and the next sample of every server.
 */
#ifndef SHEER_POWER_SIM_SYNTHETIC_H
#define SHEER_POWER_SIM_SYNTHETIC_H

#include <stdint.h>

#include "power/planner/power.h"

struct synthetic {
	struct power_fleet fleet;	/* its hosts point into models: the struct must not move */
	struct host_model models[2];
	double *base;			/* per server: the utilisation its samples vary around */
	uint64_t rng;
};

/*
 * n_servers servers on n_hosts hosts sized to hold them: the standard G4/G5 pair
 * with eight times their memory, scaled up k-fold (cores, memory, watts) when there
 * are more servers per host than the standard 1,052 on 800. Memory is charged and
 * every history full; hosts are packed first fit, each to 30-95% of its CPU, in
 * index order, so some hosts are off, some underloaded and a few overloaded.
 * -ENOSPC when the hosts cannot hold the servers.
 */
int synthetic_init(struct synthetic *s, int n_hosts, int n_servers, uint64_t seed);
void synthetic_free(struct synthetic *s);
/* The next 5-minute sample of every server: its demand now and history. */
void synthetic_step(struct synthetic *s);
/* Carry out a plan's migrations in the fleet. */
int synthetic_apply(struct synthetic *s, const struct power_plan *plan);

#endif
