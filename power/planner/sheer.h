/*
 * The `sheer` policy's internals, shared by its plan (policy_sheer.c) and its
 * search for a host (sheer_index.c); the unit tests check the search against a
 * plain scan of every host through these.
 */
#ifndef SHEER_POWER_PLANNER_SHEER_H
#define SHEER_POWER_PLANNER_SHEER_H

#include "power/planner/host_tree.h"
#include "power/planner/planner.h"

#define SHEER_BUDGET 1.0		/* share of a host's CPU the forecasts may fill */
#define SHEER_SIGMAS 1.5

#define SHEER_MEM_STEPS 16	/* most memory classes a search tells apart exactly */

/* Hosts that look the same to a search: equal capacity, core size and MIPS per idle watt. */
struct sheer_group {
	double capacity, mips_per_pe, efficiency;
	int running[SHEER_MEM_STEPS + 1];	/* tree roots of hosts running servers, per memory class */
	int empty;			/* tree root of empty hosts: all of key 0, so in index order */
};

/*
 * Every host that may take a server, in a tree of its group by forecast load, with
 * its load's sums cached: the same sums, in the same order, as a scan of its
 * servers makes. Running hosts are apart by free memory, in classes whose limits
 * are the servers' memory sizes, so a search skips whole classes that lack it.
 */
struct sheer_index {
	struct host_load *load;		/* per host */
	bool *stale;			/* per host: load out of date (only while avoided) */
	bool *avoid;			/* per host: excluded, or kept out by the plan */
	struct host_forest forest;
	int *group;			/* per host */
	signed char *tree;		/* per host: -2 in none, -1 empty, else its memory class */
	int *order, *stack;		/* room for every host while the trees are made */
	int mem_steps[SHEER_MEM_STEPS];	/* class c holds free memory in [mem_steps[c-1], mem_steps[c]) */
	int n_mem_steps;
	struct sheer_group *groups;
	int n_groups;
};

struct sheer_state {
	int n_hosts, n_servers;
	long interval;
	long *moved_at;			/* per server: interval of its last move */
	double *forecast;		/* per server, this interval: expected MIPS */
	double *variance;		/* per server, this interval: MIPS^2 */
	struct sheer_index index;
};

/* The policy's state for this fleet's shape (made anew when the shape changes); NULL: no memory. */
struct sheer_state *sheer_state_get(struct power_policy *p, const struct power_fleet *f);
/* This interval's forecast of every server, then the index of every host; -ENOMEM. */
int sheer_prepare(struct sheer_state *s, const struct power_fleet *f, const unsigned char *avoid);

/* Room for an index of n_hosts hosts (filled by sheer_index_build); -ENOMEM. */
int sheer_index_init(struct sheer_index *ix, int n_hosts);
void sheer_index_free(struct sheer_index *ix);
/* Put every host not excluded and not in `avoid` (may be NULL) into the index. */
int sheer_index_build(struct sheer_state *s, const struct power_fleet *f, const unsigned char *avoid);
/* After a host's servers changed: its sums again, and its place in its trees. */
void sheer_index_refresh(struct sheer_state *s, const struct power_fleet *f, int host);
/* After `server` was put on `host` (last in its list): its sums grow by that server's. */
void sheer_index_added(struct sheer_state *s, const struct power_fleet *f, int host, int server);
/* Keep a host out of (or let it back into) every search until said otherwise. */
void sheer_index_avoid(struct sheer_state *s, const struct power_fleet *f, int host, bool avoid);
/*
 * Best fit: among running hosts the fullest that still holds `server` within the
 * budget (lowest index on a tie); when none does, an empty host of the most
 * efficient model (lowest index first). -1 when nothing fits. Counts the search
 * and each host it looks at in st.
 */
int sheer_find_host(const struct sheer_state *s, struct plan_state *st, int server);

/* The host's forecast load alone, from the index's sums while they are current. */
double sheer_index_forecast(const struct sheer_state *s, const struct power_fleet *f, int host);
/*
 * The load a host must be ready for with `extra` added (-1: none), summed server by
 * server: expected demands plus SHEER_SIGMAS x the pooled deviation, never less
 * than what they ask now.
 */
double sheer_host_forecast_with(const struct sheer_state *s, const struct power_fleet *f, int host, int extra);

#endif
