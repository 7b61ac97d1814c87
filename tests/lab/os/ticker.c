/*
 * sheer-ticker MIB_PER_S [WORKSET_MIB]: the migration benchmark's workload in
 * the test OS image. Every 10 ms it prints "tick N" on its own line and
 * dirties its share of MIB_PER_S (one write per 4 KiB page, walking a
 * working set of WORKSET_MIB, 64 by default, filled once with non-zero data
 * so that migration has real pages to send). 0 MiB/s is an idle guest that
 * only ticks. The host stamps the lines as they arrive: the longest silence
 * across a migration is the downtime the guest's users see.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096
#define TICK_NS 10000000L

static void next_tick(struct timespec *t)
{
	t->tv_nsec += TICK_NS;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

int main(int argc, char **argv)
{
	long rate_mib = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	long set_mib = argc > 2 ? strtol(argv[2], NULL, 10) : 64;
	size_t pages, next = 0;
	uint64_t per_s, written = 0;
	struct timespec due;
	uint8_t *set;

	if (rate_mib < 0 || rate_mib > 4096 || set_mib < 1 || set_mib > 4096) {
		fprintf(stderr, "usage: sheer-ticker MIB_PER_S [WORKSET_MIB]\n");
		return 2;
	}
	pages = (size_t)set_mib * (1 << 20) / PAGE;
	set = malloc(pages * PAGE);
	if (!set) {
		perror("sheer-ticker: working set");
		return 1;
	}
	memset(set, 0xa5, pages * PAGE);
	per_s = (uint64_t)rate_mib * (1 << 20) / PAGE;
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &due);
	for (unsigned long n = 1;; n++) {
		/* The pages due by this tick, so that rates not a multiple of 100 pages per second come out right. */
		for (; written < per_s * n / 100; written++) {
			set[next * PAGE] = (uint8_t)n;
			next = (next + 1) % pages;
		}
		printf("tick %lu\n", n);
		next_tick(&due);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
	}
}
