/*
 * The planner's fleet (struct power_fleet) built from what the hosts
 * reported: each host's capacity is its CPUs x 1000 MIPS-equivalents less the
 * policy's headroom (so a plan leaves it free), its memory and free devices
 * from its report; each running server asks vCPUs x 1000 at most and its
 * measured demand now (the growth of its vCPU time between two reports). A
 * host that may not take or give servers (a spare, one that failed, one off
 * that may not be woken) is excluded; a host that is off is a switched-off
 * host (no servers, no load).
 */
#ifndef SHEER_POWER_FLEET_FLEET_VIEW_H
#define SHEER_POWER_FLEET_FLEET_VIEW_H

#include <stdbool.h>

#include "power/fleet/fleet_config.h"
#include "power/fleet/fleet_report.h"
#include "power/planner/power.h"

#define FLEET_MIPS_PER_CPU 1000.0
/* A model's watts when the fleet file names none: flat, so hosts compare by capacity alone. */
#define FLEET_FLAT_WATTS 100.0

struct fleet_view_host {
	const struct fleet_host_config *cfg;
	bool on;			/* answering, and its report current */
	bool excluded;			/* nothing moves to or from it */
	const struct fleet_report *now;	/* NULL when it has none */
	const struct fleet_report *prev;	/* the one before, for demand; NULL when none */
};

struct fleet_view {
	struct power_fleet fleet;	/* host i is the fleet file's host i */
	struct host_model *models;	/* one per host, what fleet.hosts[i].model points at */
	char (*server_names)[SERVER_NAME_MAX];
	unsigned int n_unknown_demand;	/* running servers whose demand could not be measured (taken as full) */
};

/* Build v from n hosts (the fleet file's order) with the policy's headroom; 0 or -ENOMEM. */
int fleet_view_build(const struct fleet_view_host *hosts, unsigned int n, unsigned int headroom_pct,
		     struct fleet_view *v);
void fleet_view_free(struct fleet_view *v);
/* The index of server name in v, or -1. */
int fleet_view_server(const struct fleet_view *v, const char *name);
/* Total demand and capacity (MIPS) of the hosts that are on and not excluded: the headroom rule's input. */
void fleet_view_load(const struct fleet_view *v, const struct fleet_view_host *hosts, double *demand,
		     double *capacity);

#endif
