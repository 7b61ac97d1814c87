/*
 * Hosts in balanced search trees (treaps) ordered by a key, each node carrying
 * bounds on what the hosts of its subtree hold, so a search can skip a subtree in
 * which no host can take a server. The nodes are the hosts themselves (one array
 * entry per host), and a host is in at most one tree of a forest at a time.
 */
#ifndef SHEER_POWER_PLANNER_HOST_TREE_H
#define SHEER_POWER_PLANNER_HOST_TREE_H

#include <stdbool.h>

/* One host's load, as its servers' forecasts sum up (the planner's exact figures). */
struct host_load {
	double mean;		/* sum of the servers' expected demands, MIPS */
	double var;		/* sum of their variances, MIPS^2 */
	double now;		/* sum of what they ask now */
	double peak;		/* mean + sigmas x sqrt(var): the forecast without its floor */
	double avail_left;	/* capacity less what is granted, before host_available_mips clamps it at 0 */
	double avail;		/* CPU not granted yet (host_available_mips) */
	int mem_free_mb;
	bool device_free;	/* it has a device no server owns */
};

/* The same over a subtree: the range of each figure a bound needs, the most of the rest. */
struct host_bounds {
	double key_lo, key_hi, peak_lo, peak_hi, var_lo, var_hi, now_lo, now_hi, avail_hi;
	int mem_free_hi;
	bool device_free;
};

struct host_forest {
	int *left, *right;	/* -1: none */
	unsigned *prio;		/* a hash of the host's index: the same shape on every run */
	double *key;
	struct host_bounds *sub;
	const struct host_load *load;	/* per host */
};

int host_forest_init(struct host_forest *t, int n_hosts, const struct host_load *load);
void host_forest_free(struct host_forest *t);
/* Add host (its key and load set) to the tree at *root; order: key, then host index. */
void host_tree_insert(struct host_forest *t, int *root, int host);
/* Take host out of the tree at *root, where it must be. */
void host_tree_remove(struct host_forest *t, int *root, int host);
/*
 * Make the tree of hosts[0..n), already in order (key, then index), in O(n); the
 * same tree their insertion one by one makes. `stack` has room for n hosts.
 */
int host_tree_build(struct host_forest *t, const int *hosts, int n, int *stack);

#endif
