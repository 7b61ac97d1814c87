/*
 * first_byte RUNS COMMAND...: start COMMAND RUNS times and print the median,
 * minimum and maximum time from fork() to the first byte on its stdout (for
 * sheer: VMM start to the guest's first serial byte). The rest of the output
 * is drained so the command runs to its end each time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One run: milliseconds to the first byte, or -1 when the command printed nothing or failed. */
static double time_first_byte(char **argv)
{
	int out[2], status;
	char buf[4096];
	double start, first = -1;
	ssize_t n;
	pid_t pid;

	if (pipe(out) < 0)
		return -1;
	start = now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while ((n = read(out[0], buf, sizeof(buf))) > 0)
		if (first < 0)
			first = now_ms() - start;
	close(out[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return first;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *ms;

	if (runs < 1) {
		fprintf(stderr, "usage: first_byte RUNS COMMAND...\n");
		return 2;
	}
	ms = calloc(runs, sizeof(*ms));
	if (!ms)
		return 1;
	for (int i = 0; i < runs; i++) {
		ms[i] = time_first_byte(argv + 2);
		if (ms[i] < 0) {
			fprintf(stderr, "first_byte: run %d of '%s' failed or printed nothing\n", i + 1, argv[2]);
			free(ms);
			return 1;
		}
	}
	qsort(ms, runs, sizeof(*ms), compare_doubles);
	printf("%.2f %.2f %.2f\n", ms[runs / 2], ms[0], ms[runs - 1]);
	free(ms);
	return 0;
}
