/*
 * power/: the consolidation planner and its trace-driven simulator.
 *
 * The planner's core is power_plan_compute(): each interval it looks at the fleet
 * (host capacities, where every logical server runs, each server's demand and
 * history) and returns a plan: migrations, hosts to power off, hosts to power on.
 * Everything the planner must honour beyond CPU lives in the fleet: memory,
 * directly assigned devices (a server moves only where a free device of the same
 * model waits), excluded hosts and the migration limit per interval.
 */
#ifndef SHEER_POWER_PLANNER_POWER_H
#define SHEER_POWER_PLANNER_POWER_H

#include <stdbool.h>
#include <stddef.h>

#define POWER_HISTORY_LEN 30	/* utilisation samples kept per server, as CloudSim's PowerVm */
#define POWER_MAX_DEVICES 4
#define POWER_MODEL_LEN 32
#define POWER_INTERVAL_S 300.0

struct host_model {
	const char *id;		/* what a fleet file's model = names it by */
	const char *name;
	double mips_per_pe;
	int pes;
	int mem_mb;
	double bw_mbit;
	double watts[11];	/* SPECpower: power at 0%, 10%, ... 100% CPU */
};

/* The two HP ProLiant types of the standard experiment; index 0 = G4, 1 = G5; NULL past the last. */
const struct host_model *host_model_standard(int type);
/* The model whose id is id ("hp-ml110-g5"), or NULL. */
const struct host_model *host_model_find(const char *id);
double host_model_total_mips(const struct host_model *m);
/* Watts at a CPU utilisation in [0, 1], linear between the table's points. */
double host_model_power(const struct host_model *m, double utilization);

struct power_device {
	char model[POWER_MODEL_LEN];
	int owner;		/* server index, -1 when free */
};

struct power_host {
	const struct host_model *model;
	bool excluded;		/* operator said hands off: nothing moves to or from it */
	double util_mips;	/* CPU measured at the last interval; 0 means switched off */
	/*
	 * CPU granted to servers created this instant whose workload has not started:
	 * CloudSim gives a new VM its full MIPS at creation while the VM asks nothing
	 * until its cloudlet runs, so capacity counts it and overload checks do not.
	 */
	double booting_mips;
	int n_devices;
	struct power_device devices[POWER_MAX_DEVICES];
	int *servers;		/* indices of the servers it runs, in arrival order */
	int n_servers, cap_servers;
	int mem_used_mb;
};

/*
 * A logical server. Its history and device models live in storage its fleet owns
 * (power_fleet_init makes it), so the server itself is one cache line: the planner
 * copies and walks a million of them every interval.
 */
struct power_server {
	double mips;		/* capacity of its one vCPU */
	int mem_mb;		/* memory charged on its host */
	int ram_mb;		/* memory copied by a migration: sets the migration time */
	int host;		/* -1 before placement */
	double demand_mips;	/* requested now */
	double *history;	/* POWER_HISTORY_LEN utilisation fractions, newest first */
	int n_history;
	int n_devices;
	char (*devices)[POWER_MODEL_LEN];	/* POWER_MAX_DEVICES device models */
	bool gone;		/* finished: demand fell to zero (CloudSim's completed VM) */
};

struct power_fleet {
	struct power_host *hosts;
	int n_hosts;
	struct power_server *servers;
	int n_servers;
	int max_migrations;	/* per interval; negative = no limit */
	/* What the servers' history and devices point into; NULL in a planner's working copy. */
	double (*history_store)[POWER_HISTORY_LEN];
	char (*device_store)[POWER_MAX_DEVICES][POWER_MODEL_LEN];
};

int power_fleet_init(struct power_fleet *f, int n_hosts, int n_servers);
void power_fleet_free(struct power_fleet *f);
/* Put a server on a host (or move it): keeps memory, device ownership and lists right. */
int power_fleet_assign(struct power_fleet *f, int server, int host);
void power_fleet_unassign(struct power_fleet *f, int server);
void power_server_record(struct power_server *s, double utilization);
/* Seconds to copy a server's memory over half the host link (CloudSim's model). */
double power_migration_seconds(const struct power_server *s, const struct power_host *to);

struct power_migration {
	int server, from, to;
};

struct power_plan {
	struct power_migration *migrations;
	int n_migrations, cap_migrations;
	int *power_off, n_power_off;
	int *power_on, n_power_on;
	/*
	 * How hard planning worked: searches for a host to take a server, and the hosts
	 * they looked at. `sheer` keeps the second at O(log hosts) per search; a scan
	 * would look at every host.
	 */
	long host_searches, hosts_examined;
};

void power_plan_init(struct power_plan *p);
void power_plan_clear(struct power_plan *p);
void power_plan_free(struct power_plan *p);

struct power_policy;

/* Names: none, thr-mmt-0.8, iqr-mmt-1.5, lr-mmt-1.2, sheer. -EINVAL when unknown. */
int power_policy_new(const char *name, struct power_policy **out);
void power_policy_free(struct power_policy *p);
const char *power_policy_name(const struct power_policy *p);
const char *const *power_policy_names(void);	/* NULL-terminated */
/* Whether name is one of power_policy_names(). */
bool power_policy_known(const char *name);
/* Initial placement of an unplaced server; -ENOSPC when no host can take it. */
int power_policy_place(struct power_policy *p, struct power_fleet *f, int server);
/* The core: one interval's plan. The fleet is not modified. Deterministic. */
int power_plan_compute(struct power_policy *p, const struct power_fleet *f, struct power_plan *plan);

/* sheer power ... */
int cmd_power(int argc, char **argv);

#endif
