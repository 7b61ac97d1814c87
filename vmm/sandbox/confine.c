/*
 * Putting threads under their filters. A confined thread starts through a
 * trampoline that loads its kind's list before the thread's function runs
 * and reports back, so the creator knows the thread is confined (a vCPU
 * thread, before its first KVM_RUN) or gets the error instead of a thread.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/lib/thread.h"
#include "vmm/sandbox/sandbox_internal.h"

const char *sandbox_thread_name(enum sandbox_thread kind)
{
	switch (kind) {
	case SANDBOX_MAIN: return "main";
	case SANDBOX_VCPU: return "vcpu";
	case SANDBOX_CONSOLE: return "console";
	case SANDBOX_CONTROL: return "control";
	case SANDBOX_RECEIVE: return "receive";
	case SANDBOX_RELAY: return "relay";
	case SANDBOX_THREAD_KINDS: break;
	}
	return "unknown";
}

bool sandbox_available(void)
{
	unsigned int action = SECCOMP_RET_TRAP;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

int sandbox_confine_thread(const struct sandbox *sandbox, enum sandbox_thread kind)
{
	sigset_t sys;
	int ret;

	if (!sandbox || !sandbox->confine)
		return 0;
	ret = sandbox_violation_handler_install();
	if (ret < 0)
		return ret;
	/* A blocked SIGSYS would turn the named report into a bare kill. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	sandbox_violation_set_kind(kind);
	return sandbox_filter_load(kind);
}

struct confined_start {
	const struct sandbox *sandbox;
	enum sandbox_thread kind;
	void *(*fn)(void *);
	void *arg;
	sem_t loaded;
	int result;
};

static void *confined_thread(void *p)
{
	struct confined_start *start = p;
	void *(*fn)(void *) = start->fn;
	void *arg = start->arg;
	int ret = sandbox_confine_thread(start->sandbox, start->kind);

	/* start lives on the creator's stack: nothing of it is read after the post. */
	start->result = ret;
	sem_post(&start->loaded);
	return ret == 0 ? fn(arg) : NULL;
}

int sandbox_thread_start(const struct sandbox *sandbox, enum sandbox_thread kind, pthread_t *thread,
			 void *(*fn)(void *), void *arg, int host_cpu)
{
	struct confined_start start = { sandbox, kind, fn, arg, .result = 0 };
	int ret;

	if (!sandbox || !sandbox->confine)
		return thread_start(thread, fn, arg, host_cpu);
	if (sem_init(&start.loaded, 0, 0) < 0)
		return -errno;
	ret = thread_start(thread, confined_thread, &start, host_cpu);
	if (ret == 0) {
		while (sem_wait(&start.loaded) < 0 && errno == EINTR)
			;
		ret = start.result;
		if (ret < 0)
			pthread_join(*thread, NULL);
	}
	sem_destroy(&start.loaded);
	return ret;
}
