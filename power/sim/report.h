/* Running the simulator over days and policies, and reporting what it measured. */
#ifndef SHEER_POWER_SIM_REPORT_H
#define SHEER_POWER_SIM_REPORT_H

#include <stdbool.h>

#include "power/sim/sim.h"

struct report {
	bool json;
	const char *csv_path;
	const char *svg_path;
};

/* Returns a process exit status; errors are reported once with cli_error(). */
int report_run(const struct report *rep, const struct trace_set *set, const char *const *policies,
	       int n_policies, const struct sim_config *cfg);

struct svg_series {
	const char *label;
	const struct sim_result *days;
	int n_days;
};

int svg_write(const char *path, const struct svg_series *series, int n_series);

#endif
