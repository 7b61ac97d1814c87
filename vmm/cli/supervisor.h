/*
 * `sheer run` is two processes (README, "Security"). The supervisor keeps
 * the caller's rights: it claims devices, registers the server and, however
 * the VMM ends (power-off, crash, a seccomp violation, SIGKILL), gives the
 * devices back and removes the registry entry. The VMM is its child: it
 * builds the VM, drops to an unprivileged user, confines each thread and
 * runs the guest. Stop signals sent to the supervisor are passed on to the
 * VMM; if the supervisor itself is killed, the kernel kills the VMM too,
 * so no guest runs with devices nobody will give back.
 */
#ifndef SHEER_VMM_CLI_SUPERVISOR_H
#define SHEER_VMM_CLI_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct supervisor {
	pid_t vmm;
	int ready_fd;		/* the VMM writes one byte once the guest is about to run (and one at a switch-over) */
	int signal_fd;		/* stop signals to pass on, and SIGCHLD */
	int wait_status;
	bool exited;
	/* An incoming migration's switch-over: the guest runs here now (the VMM said so on ready_fd). */
	void (*switched_over)(void *ctx);
	void *ctx;
};

/* The stop signals, and SIGCHLD: blocked in the caller before anything forks. */
int supervisor_block_signals(struct supervisor *supervisor);
/*
 * Fork the VMM, which runs vmm_main(ctx, ready_fd) and exits with what it
 * returns. In the VMM, ready_fd is the write end: supervisor_signal_ready().
 */
int supervisor_spawn(struct supervisor *supervisor, int (*vmm_main)(void *ctx, int ready_fd), void *ctx);
/* In the VMM: it dies with the supervisor, even after changing user (which clears that setting). */
int supervisor_bind_vmm_to_parent(pid_t supervisor_pid);
void supervisor_signal_ready(int ready_fd);
/* The same, keeping ready_fd open for supervisor_signal_switched_over() (an incoming migration). */
void supervisor_signal_ready_keep(int ready_fd);
/* In the VMM: the guest migrated here runs now (ready_fd stays open until the VMM exits). */
void supervisor_signal_switched_over(int ready_fd);
/* 0 once the VMM is ready; -ECHILD when it exited first (its status in wait_status). */
int supervisor_await_ready(struct supervisor *supervisor);
/* Pass stop signals on until the VMM exits, and tell switched_over when the VMM says so. */
void supervisor_wait(struct supervisor *supervisor);
/*
 * The VMM's exit status as sheer's own; a VMM that did not exit on its own
 * is reported in one line, saying what the supervisor did about it (cleaned).
 */
int supervisor_exit_status(const struct supervisor *supervisor, const char *name, const char *cleaned);
void supervisor_close(struct supervisor *supervisor);

#endif
