/* The trace-driven simulator of the standard dynamic-consolidation experiment. */
#ifndef SHEER_POWER_SIM_SIM_H
#define SHEER_POWER_SIM_SIM_H

#include "power/planner/power.h"
#include "power/sim/trace.h"

struct sim_config {
	int n_hosts;		/* 800 in the standard experiment */
	bool reserve_memory;	/* charge each server's full RAM on its host (CloudSim charges none after boot) */
	int max_migrations;	/* per interval; negative = no limit */
};

struct sim_point {
	double time_s;
	int active_hosts;
	double power_w;
	int overloaded_hosts;
};

struct sim_result {
	char day[256];
	double energy_kwh, slatah, pdm, slav, esv;
	long migrations, shutdowns;
	double wall_s;
	struct sim_point series[TRACE_SAMPLES];
	int n_points;
};

/* Server i of n gets VM type floor(i / ceil(n / 4)), hosts alternate G4, G5. */
int sim_run_day(const struct trace_day *day, const char *policy, const struct sim_config *cfg,
		struct sim_result *r);

/* Accumulators behind SLATAH and PDM (the paper's definitions). */
struct metrics {
	double *host_active_s, *host_violation_s;
	double *server_requested, *server_lost;	/* MIPS x s */
	int n_hosts, n_servers;
	double energy_j;
	long migrations, shutdowns;
};

int metrics_init(struct metrics *m, int n_hosts, int n_servers);
void metrics_free(struct metrics *m);
void metrics_finish(const struct metrics *m, struct sim_result *r);

#endif
