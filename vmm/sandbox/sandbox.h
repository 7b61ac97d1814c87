/*
 * What confines the VMM once the guest can run (README, "Security"): it runs
 * as an unprivileged user with no-new-privileges, and every thread under a
 * seccomp allow-list for its kind. A system call outside the list stops the
 * whole VMM with one line naming the thread kind and the call; the
 * supervisor (vmm/cli/supervisor.c) then gives the devices back.
 */
#ifndef SHEER_VMM_SANDBOX_SANDBOX_H
#define SHEER_VMM_SANDBOX_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The VMM's exit status when a filter stopped it (128 + SIGSYS, as a shell reports a signal). */
#define SANDBOX_VIOLATION_EXIT 159

enum sandbox_thread {
	SANDBOX_MAIN,		/* waits for the guest to stop, then tears the VM down; the signal thread */
	SANDBOX_VCPU,		/* KVM_RUN and the device emulation behind each exit */
	SANDBOX_CONSOLE,	/* serial console in and out */
	SANDBOX_CONTROL,	/* the control socket, checkpoints and outgoing migrations included */
	SANDBOX_RECEIVE,	/* an incoming migration, before the guest runs here */
	SANDBOX_RELAY,		/* the process carrying a migration between TLS and the VMM */
	SANDBOX_THREAD_KINDS
};

/* Who the VMM runs as: the caller when not root, else a dedicated user. */
struct sandbox_user {
	uid_t uid;
	gid_t gid;
	bool change;		/* root: switch to uid/gid before the guest runs */
	char name[64];
};

struct sandbox {
	bool confine;		/* false: no filters (unit tests that run VMs in-process) */
	int forbidden_in;	/* test builds only: the thread kind that makes a forbidden call, or -1 */
};

/* The user for the VMM: $SHEER_VMM_USER or "sheer" when root; refused when it does not exist or is root. */
int sandbox_user_resolve(struct sandbox_user *user, char *err, size_t errlen);
/* Become that user with no supplementary groups, no capabilities and no-new-privileges. */
int sandbox_user_enter(const struct sandbox_user *user, char *err, size_t errlen);

/* Confine the calling thread to its kind's list; also installs the handler that reports a violation. */
int sandbox_confine_thread(const struct sandbox *sandbox, enum sandbox_thread kind);
/* thread_start(), the new thread confined before fn runs; a failure to confine is returned here. */
int sandbox_thread_start(const struct sandbox *sandbox, enum sandbox_thread kind, pthread_t *thread,
			 void *(*fn)(void *), void *arg, int host_cpu);
const char *sandbox_thread_name(enum sandbox_thread kind);
/* Whether this kernel can filter system calls (for `sheer host check`). */
bool sandbox_available(void);

/*
 * The test hook (test_hook.c): in the test build (SHEER_TEST_HOOKS),
 * $SHEER_TEST_FORBIDDEN_SYSCALL names a thread kind that then makes a
 * forbidden call at its hook point; in the release binary both are no-ops.
 */
void sandbox_test_hook_init(struct sandbox *sandbox);
void sandbox_test_hook(const struct sandbox *sandbox, enum sandbox_thread kind);

#endif
