/* Planner internals shared by the policies; not part of power/'s public API. */
#ifndef SHEER_POWER_PLANNER_PLANNER_H
#define SHEER_POWER_PLANNER_PLANNER_H

#include "power/planner/power.h"

struct plan_state;

/* What a policy is: how it places a new server and how it plans an interval. */
struct policy_ops {
	const char *name;
	double param;
	/* CloudSim family: is this host (plus `extra` server, or -1) overloaded? */
	bool (*overloaded)(struct plan_state *st, int host, int extra, double param);
	int (*plan)(struct power_policy *p, struct plan_state *st);
	int (*place)(struct power_policy *p, struct plan_state *st, int server);
	void (*release)(void *state);	/* frees what the policy keeps between intervals */
};

struct power_policy {
	const struct policy_ops *ops;
	void *state;
	int state_hosts;
	struct power_fleet work;	/* the working copy plans are made on, kept between intervals */
};

/* A host's load as a detector sees it: demand now and the utilisation history. */
struct host_view {
	double demand_mips;
	double total_mips;
	double history[POWER_HISTORY_LEN];	/* newest first, host-relative fraction */
	int n_history;				/* after trimming the zero tail */
	int max_ram_mb;
	int n_servers;
};

struct plan_state {
	struct power_fleet *w;		/* the working copy the plan is built on */
	double (*hist)[POWER_HISTORY_LEN];
	bool *hist_dirty;
	unsigned char *excl;		/* scratch host sets for the policies */
	unsigned char *excl2;
	const struct power_fleet *orig;
	struct power_plan *plan;
	int migrations_left;		/* negative: unlimited */
	/*
	 * CloudSim's migration map has one entry per placement: a server placed twice in
	 * one interval (taken from an overloaded host, then its new host emptied) is
	 * migrated twice from where it runs. Otherwise the second move amends the first.
	 */
	bool each_move_migrates;
	int *slot;			/* per server: where its migration may be in plan (checked before use) */
	long host_searches, hosts_examined;	/* copied into the plan: see struct power_plan */
};

/* A fleet whose servers' history and devices point into another's storage: a working copy. */
int power_fleet_init_borrowing(struct power_fleet *f, int n_hosts, int n_servers);
/* The state of one plan on w (the policy's working copy, or the fleet a placement changes). */
int plan_state_init(struct plan_state *st, struct power_fleet *w);
/* What plan_state_init allocated; the fleet stays. */
void plan_state_free(struct plan_state *st);

void host_view_get(struct plan_state *st, int host, int extra, struct host_view *v);
double host_available_mips(const struct power_fleet *f, int host);
/* CPU a host grants a server asking `demand`: one core at most. */
double host_grant(const struct power_host *h, double demand);
bool host_suitable(const struct power_fleet *f, int host, int server);
/* A free device of each model the server needs, one device per need. */
bool host_has_devices_for(const struct power_host *h, const struct power_server *s);
int plan_move(struct plan_state *st, int server, int to);
bool plan_can_move(const struct plan_state *st);
void sort_servers_by_demand(const struct power_fleet *f, int *ids, int n);

/* Statistics the detectors use, CloudSim's exact definitions. */
double stats_iqr(const double *data, int n);
void stats_ols(const double *y, int n, double *intercept, double *slope);

/* CloudSim's PowerVmAllocationPolicyMigrationAbstract flow and its power-aware BFD. */
int cloudsim_plan(struct power_policy *p, struct plan_state *st);
int cloudsim_place(struct power_policy *p, struct plan_state *st, int server);
int cloudsim_find_host(struct power_policy *p, struct plan_state *st, int server,
		       const unsigned char *excluded);

bool thr_overloaded(struct plan_state *st, int host, int extra, double threshold);
bool iqr_overloaded(struct plan_state *st, int host, int extra, double safety);
bool lr_overloaded(struct plan_state *st, int host, int extra, double safety);

int none_place(struct power_policy *p, struct plan_state *st, int server);
int none_plan(struct power_policy *p, struct plan_state *st);
int sheer_plan(struct power_policy *p, struct plan_state *st);
int sheer_place(struct power_policy *p, struct plan_state *st, int server);
void sheer_release(void *state);


#endif
