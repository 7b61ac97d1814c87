/* The progress line of long commands (checkpoint, restore), on a terminal only. */
#ifndef SHEER_VMM_CLI_PROGRESS_H
#define SHEER_VMM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress_meter {
	const char *what;	/* "web01: checkpoint" */
	uint64_t start_ns;
	bool shown;		/* a line was drawn: end it with a newline */
};

/* The rate of bytes in ns, in MiB/s; 0 for no time. */
double progress_mib_per_s(uint64_t bytes, uint64_t ns);
/* Start timing; returns whether progress will be shown (stderr is a terminal). */
bool progress_meter_start(struct progress_meter *meter, const char *what);
/* Draw "WHAT: 120 of 256 MiB, 300 MiB/s" in place; ctx is the meter. */
void progress_meter_update(void *ctx, uint64_t done, uint64_t total);
/* End the line, if one was drawn. */
void progress_meter_finish(struct progress_meter *meter);

#endif
