/*
 * stamp: copy stdin to stdout, each line prefixed with the CLOCK_MONOTONIC
 * time (seconds, microsecond resolution) at which its first byte was read.
 * The migration benchmark runs each VMM's console through it inside a lab
 * host, where a shell loop stamping 100 lines a second would take the CPU
 * from what it measures.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	char buf[4096];
	int at_line_start = 1;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		double t = now();

		for (ssize_t i = 0; i < n; i++) {
			if (at_line_start)
				printf("%.6f ", t);
			putchar(buf[i]);
			at_line_start = buf[i] == '\n';
		}
	}
	return 0;
}
