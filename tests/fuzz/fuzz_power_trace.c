/* One server's CPU trace as `sheer power simulate --traces DIR` reads it from a file anyone could have written. */
/*
 * Read through trace_file_read() (what trace_set_load() does with each
 * file). A refusal must name the file and line, and a trace holding a NUL
 * byte must be refused; a violation aborts. A trace that loads is replayed
 * as a small day, four servers on the rotated trace and two hosts, through
 * one policy (picked by the trace's first sample), so that any trace the
 * reader accepts also goes through the planner and the simulator.
 */
#include <stdio.h>
#include <stdlib.h>

#include "power/planner/power.h"
#include "power/sim/sim.h"
#include "power/sim/trace.h"
#include "tests/fuzz/fuzz_input.h"

#define DAY_SERVERS 4
#define DAY_HOSTS 2

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_power_trace: %s\n", what);
	abort();
}

static const char *pick_policy(const double *util)
{
	const char *const *names = power_policy_names();
	unsigned int n = 0;

	while (names[n])
		n++;
	return names[(unsigned int)(util[0] * 100 + 0.5) % n];
}

static void simulate(const double *util)
{
	static double day_util[DAY_SERVERS][TRACE_SAMPLES + 1];
	static char files[DAY_SERVERS][256];
	struct trace_day day = { .name = "fuzz", .n_servers = DAY_SERVERS, .files = files, .util = day_util };
	struct sim_config cfg = { .n_hosts = DAY_HOSTS, .reserve_memory = false, .max_migrations = -1 };
	static struct sim_result result;

	for (int s = 0; s < DAY_SERVERS; s++)
		for (int i = 0; i <= TRACE_SAMPLES; i++)
			day_util[s][i] = util[(i + s * TRACE_SAMPLES / DAY_SERVERS) % (TRACE_SAMPLES + 1)];
	sim_run_day(&day, pick_policy(util), &cfg, &result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	double util[TRACE_SAMPLES + 1];
	char why[512];
	FILE *f;
	int ret;

	f = fuzz_file(data, len);
	if (!f)
		return 0;
	ret = trace_file_read(f, "traces/vm1", util, why, sizeof(why));
	fclose(f);
	if (ret < 0 && !fuzz_names_file(why, "traces/vm1"))
		fail("a refusal that does not name the file and line");
	if (ret == 0 && memchr(data, '\0', len))
		fail("a trace with a NUL byte loads");
	if (ret == 0)
		simulate(util);
	return 0;
}
