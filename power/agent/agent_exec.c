#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "power/agent/agent_exec.h"
#include "vmm/lib/clock.h"

/* How much of stderr is kept to find its last line. */
#define EXEC_STDERR_TAIL 4096
/* After SIGTERM at the deadline, this long before SIGKILL. */
#define EXEC_KILL_GRACE_MS 5000
/* After the command exited, this long for what its pipes still hold (a descendant may keep them open). */
#define EXEC_DRAIN_MS 200

/* In the child: only async-signal-safe calls until exec (the agent has other threads). */
static void exec_child(char *const argv[], int out_fd, int err_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int null_fd = open("/dev/null", O_RDONLY);

	/* The agent's signal mask and ignored SIGPIPE would survive the exec. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	setpgid(0, 0);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(127);
	close_range(3, ~0u, 0);
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* What the command's pipes brought so far. */
struct capture {
	struct pollfd fds[2];	/* stdout, stderr; fd -1 once closed */
	size_t out_len;
	char tail[EXEC_STDERR_TAIL];
	size_t tail_len;
};

static void capture_stderr(struct capture *c, const char *data, size_t n)
{
	if (n >= sizeof(c->tail)) {
		data += n - sizeof(c->tail);
		n = sizeof(c->tail);
	}
	if (c->tail_len + n > sizeof(c->tail)) {
		size_t drop = c->tail_len + n - sizeof(c->tail);

		memmove(c->tail, c->tail + drop, c->tail_len - drop);
		c->tail_len -= drop;
	}
	memcpy(c->tail + c->tail_len, data, n);
	c->tail_len += n;
}

/* Read what is ready, within wait_ms; stdout beyond its room is read and dropped so the command never blocks. */
static void capture_poll(struct capture *c, struct agent_exec *run, int wait_ms)
{
	char buf[4096];

	if (poll(c->fds, 2, wait_ms) <= 0)
		return;
	for (int i = 0; i < 2; i++) {
		ssize_t n;

		if (c->fds[i].fd < 0 || !c->fds[i].revents)
			continue;
		n = read(c->fds[i].fd, buf, sizeof(buf));
		if (n <= 0 && !(n < 0 && errno == EINTR)) {
			close(c->fds[i].fd);
			c->fds[i].fd = -1;
		} else if (n > 0 && i == 0) {
			size_t room = sizeof(run->output) - 1 - c->out_len, take = (size_t)n < room ? (size_t)n : room;

			memcpy(run->output + c->out_len, buf, take);
			c->out_len += take;
		} else if (n > 0) {
			capture_stderr(c, buf, (size_t)n);
		}
	}
}

void agent_exec_clean(char *text, bool multiline)
{
	for (unsigned char *p = (unsigned char *)text; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t'))) || *p >= 0x7f)
			*p = '?';
}

/* The line that says why: the last "sheer: " line that is not a warning, or else the last line. */
static void last_error_line(const struct capture *c, struct agent_exec *run)
{
	char tail[EXEC_STDERR_TAIL + 1], *line, *save = NULL, *chosen = NULL, *last = NULL;

	memcpy(tail, c->tail, c->tail_len);
	tail[c->tail_len] = '\0';
	for (line = strtok_r(tail, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		last = line;
		if (strncmp(line, "sheer: ", 7) == 0 && strncmp(line, "sheer: warning: ", 16) != 0)
			chosen = line + 7;
	}
	snprintf(run->error, sizeof(run->error), "%s", chosen ? chosen : last ? last : "");
	agent_exec_clean(run->error, false);
}

/* Past the deadline: SIGTERM to its group, then SIGKILL if it is still there after the grace. */
static void exec_stop(pid_t pid, uint64_t *kill_at, struct agent_exec *run)
{
	if (!run->timed_out) {
		run->timed_out = true;
		kill(-pid, SIGTERM);
		*kill_at = clock_monotonic_ns() + (uint64_t)EXEC_KILL_GRACE_MS * 1000000;
	} else if (clock_monotonic_ns() >= *kill_at) {
		kill(-pid, SIGKILL);
		*kill_at = UINT64_MAX;
	}
}

static void exec_wait(pid_t pid, unsigned int deadline_s, struct capture *c, struct agent_exec *run)
{
	uint64_t end = clock_monotonic_ns() + (uint64_t)deadline_s * 1000000000, kill_at = 0, exited_at = 0;
	int status;

	for (;;) {
		uint64_t now = clock_monotonic_ns();
		pid_t waited;

		if (exited_at && ((c->fds[0].fd < 0 && c->fds[1].fd < 0) || now > exited_at + EXEC_DRAIN_MS * 1000000ull))
			break;
		capture_poll(c, run, 100);
		waited = exited_at ? 0 : waitpid(pid, &status, WNOHANG);
		if (waited == pid) {
			exited_at = clock_monotonic_ns();
			run->status = WIFEXITED(status) && !run->timed_out ? WEXITSTATUS(status) : -1;
		} else if (waited < 0 && errno != EINTR) {
			/* Not ours to wait for any more (reaped elsewhere): what it printed is all there is. */
			exited_at = clock_monotonic_ns();
		} else if (!exited_at && now >= end && kill_at != UINT64_MAX) {
			exec_stop(pid, &kill_at, run);
		}
	}
	for (int i = 0; i < 2; i++)
		if (c->fds[i].fd >= 0)
			close(c->fds[i].fd);
}

void agent_exec_run(char *const argv[], unsigned int deadline_s, struct agent_exec *run)
{
	struct capture c = { .fds = { { .fd = -1, .events = POLLIN }, { .fd = -1, .events = POLLIN } } };
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	pid_t pid = -1;

	memset(run, 0, sizeof(*run));
	run->status = -1;
	if (pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0)
		pid = fork();
	if (pid == 0)
		exec_child(argv, out[1], err[1]);
	if (pid < 0) {
		snprintf(run->error, sizeof(run->error), "cannot run sheer %s: %s", argv[1], strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0)
				close(out[i]);
			if (err[i] >= 0)
				close(err[i]);
		}
		return;
	}
	close(out[1]);
	close(err[1]);
	c.fds[0].fd = out[0];
	c.fds[1].fd = err[0];
	exec_wait(pid, deadline_s, &c, run);
	run->output[c.out_len] = '\0';
	agent_exec_clean(run->output, true);
	last_error_line(&c, run);
	if (run->timed_out)
		snprintf(run->error, sizeof(run->error), "sheer %s did not finish within %u s; it was stopped", argv[1],
			 deadline_s);
}
