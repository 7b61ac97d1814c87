#include <stdio.h>
#include <unistd.h>

#include "vmm/cli/progress.h"
#include "vmm/lib/clock.h"

bool progress_meter_start(struct progress_meter *meter, const char *what)
{
	*meter = (struct progress_meter){ .what = what, .start_ns = clock_monotonic_ns() };
	return isatty(STDERR_FILENO);
}

void progress_meter_update(void *ctx, uint64_t done, uint64_t total)
{
	struct progress_meter *meter = ctx;
	double seconds = (clock_monotonic_ns() - meter->start_ns) / 1e9;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%s: %llu of %llu MiB, %.0f MiB/s ", meter->what, (unsigned long long)(done >> 20),
		(unsigned long long)(total >> 20), seconds > 0 ? done / 1048576.0 / seconds : 0.0);
	meter->shown = true;
}

void progress_meter_finish(struct progress_meter *meter)
{
	if (meter->shown)
		fputc('\n', stderr);
	meter->shown = false;
}
