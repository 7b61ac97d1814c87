#include <stdio.h>
#include <unistd.h>

#include "vmm/cli/progress.h"
#include "vmm/lib/clock.h"

double progress_mib_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / (1 << 20) / ((double)ns / 1e9) : 0;
}

bool progress_meter_start(struct progress_meter *meter, const char *what)
{
	*meter = (struct progress_meter){ .what = what, .start_ns = clock_monotonic_ns() };
	return isatty(STDERR_FILENO);
}

void progress_meter_update(void *ctx, uint64_t done, uint64_t total)
{
	struct progress_meter *meter = ctx;
	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%s: %llu of %llu MiB, %.0f MiB/s ", meter->what, (unsigned long long)(done >> 20),
		(unsigned long long)(total >> 20), progress_mib_per_s(done, clock_monotonic_ns() - meter->start_ns));
	meter->shown = true;
}

void progress_meter_finish(struct progress_meter *meter)
{
	if (meter->shown)
		fputc('\n', stderr);
	meter->shown = false;
}
