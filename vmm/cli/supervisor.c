/* The supervisor and its VMM process (supervisor.h says why there are two). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/cli/supervisor.h"
#include "vmm/lib/cli.h"
#include "vmm/sandbox/sandbox.h"

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

int supervisor_block_signals(struct supervisor *supervisor)
{
	sigset_t set;

	*supervisor = (struct supervisor){ .vmm = -1, .ready_fd = -1, .signal_fd = -1 };
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&set, forwarded_signals[i]);
	sigaddset(&set, SIGCHLD);
	/* Before the fork: a signal that comes while the VMM starts waits for it, it is not lost. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	supervisor->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return supervisor->signal_fd < 0 ? -errno : 0;
}

int supervisor_spawn(struct supervisor *supervisor, int (*vmm_main)(void *ctx, int ready_fd), void *ctx)
{
	int pipe_fds[2], status;
	pid_t pid;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return -errno;
	}
	if (pid == 0) {
		/* ps and top tell the two apart; the supervisor keeps the name operators kill. */
		prctl(PR_SET_NAME, "sheer-vmm", 0, 0, 0);
		close(pipe_fds[0]);
		close(supervisor->signal_fd);
		status = vmm_main(ctx, pipe_fds[1]);
		/*
		 * No exit handlers: they would run under the main thread's filter
		 * (a sanitizer's leak check forks and traces), and the kernel frees
		 * what the VMM holds anyway. stdio is flushed by hand.
		 */
		fflush(NULL);
		_exit(status);
	}
	close(pipe_fds[1]);
	supervisor->vmm = pid;
	supervisor->ready_fd = pipe_fds[0];
	return 0;
}

int supervisor_bind_vmm_to_parent(pid_t supervisor_pid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	/* The supervisor may have died before the setting took. */
	return getppid() == supervisor_pid ? 0 : -ESRCH;
}

void supervisor_signal_ready_keep(int ready_fd)
{
	ssize_t ignored = write(ready_fd, "r", 1);

	(void)ignored;
}

void supervisor_signal_ready(int ready_fd)
{
	supervisor_signal_ready_keep(ready_fd);
	close(ready_fd);
}

void supervisor_signal_switched_over(int ready_fd)
{
	ssize_t ignored = write(ready_fd, "s", 1);

	/* Not closed: the thread that says it (receive) may not close descriptors; the VMM's exit does. */
	(void)ignored;
}

/*
 * A signal the terminal sent (Ctrl-C, or Ctrl-backslash) went to the whole foreground
 * process group, the VMM included: passing it on would make one Ctrl-C two,
 * the power button and the power-off. A hang-up is the exception when this
 * process leads the session (`ssh -t host sheer run ...`): the kernel sent
 * it here alone.
 */
static bool supervisor_passes_on(const struct signalfd_siginfo *info)
{
	if (info->ssi_code != SI_KERNEL)
		return true;
	return info->ssi_signo == SIGHUP && getsid(0) == getpid();
}

/* One signal from the signal fd: a stop signal goes on to the VMM; returns true once the VMM exited. */
static bool supervisor_handle_signal(struct supervisor *supervisor)
{
	struct signalfd_siginfo info;

	if (read(supervisor->signal_fd, &info, sizeof(info)) != sizeof(info))
		return false;
	if (info.ssi_signo != SIGCHLD) {
		if (supervisor_passes_on(&info))
			kill(supervisor->vmm, (int)info.ssi_signo);
		return false;
	}
	/* Every child that ended (a migration's TLS relay too), so none lingers as a zombie. */
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return supervisor->exited;
		if (pid == supervisor->vmm) {
			supervisor->wait_status = status;
			supervisor->exited = true;
		}
	}
}

int supervisor_await_ready(struct supervisor *supervisor)
{
	struct pollfd fds[2] = {
		{ .fd = supervisor->ready_fd, .events = POLLIN },
		{ .fd = supervisor->signal_fd, .events = POLLIN },
	};
	char byte;

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (fds[0].revents) {
			if (read(supervisor->ready_fd, &byte, 1) == 1)
				return 0;
			/* Closed without a word: the VMM exited (or is exiting); its status says how. */
			supervisor_wait(supervisor);
			return -ECHILD;
		}
		if (fds[1].revents && supervisor_handle_signal(supervisor))
			return -ECHILD;
	}
}

/* A byte from the VMM after ready: the switch-over. End of file: nothing more will come. */
static void supervisor_handle_event(struct supervisor *supervisor)
{
	char byte;

	if (read(supervisor->ready_fd, &byte, 1) == 1) {
		if (byte == 's' && supervisor->switched_over)
			supervisor->switched_over(supervisor->ctx);
		return;
	}
	close(supervisor->ready_fd);
	supervisor->ready_fd = -1;
}

void supervisor_wait(struct supervisor *supervisor)
{
	while (!supervisor->exited) {
		struct pollfd fds[2] = {
			{ .fd = supervisor->signal_fd, .events = POLLIN },
			{ .fd = supervisor->ready_fd, .events = POLLIN },
		};

		if (poll(fds, supervisor->ready_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			supervisor_handle_event(supervisor);
		if (fds[0].revents)
			supervisor_handle_signal(supervisor);
	}
}

int supervisor_exit_status(const struct supervisor *supervisor, const char *name, const char *cleaned)
{
	int status = supervisor->wait_status;

	if (!supervisor->exited) {
		cli_error("%s: lost track of the VMM (pid %d)", name, (int)supervisor->vmm);
		return SHEER_EXIT_FAILURE;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == SANDBOX_VIOLATION_EXIT) {
		cli_error("%s: the VMM was stopped by its seccomp filter; %s", name, cleaned);
		return SHEER_EXIT_FAILURE;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	cli_error("%s: the VMM (pid %d) was killed by signal %d (%s); %s", name, (int)supervisor->vmm,
		  WTERMSIG(status), strsignal(WTERMSIG(status)), cleaned);
	return SHEER_EXIT_FAILURE;
}

void supervisor_close(struct supervisor *supervisor)
{
	if (supervisor->ready_fd >= 0)
		close(supervisor->ready_fd);
	if (supervisor->signal_fd >= 0)
		close(supervisor->signal_fd);
	supervisor->ready_fd = supervisor->signal_fd = -1;
}
