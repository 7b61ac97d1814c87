/*
 * A system call outside a thread's list: one line on stderr naming the
 * thread kind, the call and (for ioctl) the request, then the whole VMM
 * exits with SANDBOX_VIOLATION_EXIT. Only async-signal-safe calls here, and
 * only those every list allows (write, exit_group).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "vmm/sandbox/sandbox_internal.h"

static __thread int thread_kind = -1;

/*
 * Syscall names, resolved before any filter (libseccomp allocates them):
 * the handler may only read. The one piece of process-wide state here, as
 * a signal handler has no other way to its data.
 */
#define SYSCALL_NAMES 512
static const char *syscall_names[SYSCALL_NAMES];
static pthread_once_t syscall_names_once = PTHREAD_ONCE_INIT;

static void syscall_names_resolve(void)
{
	for (int nr = 0; nr < SYSCALL_NAMES; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

void sandbox_violation_set_kind(enum sandbox_thread kind)
{
	thread_kind = (int)kind;
}

static char *append(char *at, const char *end, const char *text)
{
	while (*text && at < end)
		*at++ = *text++;
	return at;
}

static char *append_bounded(char *at, const char *end, const char *text, size_t max)
{
	for (size_t i = 0; text && i < max && text[i] && at < end; i++)
		*at++ = text[i];
	return at;
}

static char *append_number(char *at, const char *end, unsigned long value, unsigned int base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value && n < (int)sizeof(digits));
	while (n > 0 && at < end)
		*at++ = digits[--n];
	return at;
}

static void violation_handler(int sig, siginfo_t *info, void *context)
{
	const ucontext_t *uc = context;
	char line[256], *at = line, *end = line + sizeof(line) - 1;
	const char *kind = thread_kind >= 0 ? sandbox_thread_name((enum sandbox_thread)thread_kind) : "unconfined";
	ssize_t ignored;

	(void)sig;
	at = append(at, end, "sheer: VMM stopped: its ");
	at = append(at, end, kind);
	at = append(at, end, " thread made system call ");
	if (info->si_syscall >= 0 && info->si_syscall < SYSCALL_NAMES && syscall_names[info->si_syscall]) {
		at = append(at, end, syscall_names[info->si_syscall]);
		at = append(at, end, " ");
	}
	at = append(at, end, "(");
	at = append_number(at, end, (unsigned long)info->si_syscall, 10);
	at = append(at, end, ")");
	if (info->si_syscall == SYS_openat) {
		/* Our own call's argument: which file the VMM wanted says which code path to look at. */
		at = append(at, end, " of ");
		at = append_bounded(at, end, (const char *)uc->uc_mcontext.gregs[REG_RSI], 96);
	}
	if (info->si_syscall == SYS_ioctl) {
		at = append(at, end, " (ioctl request 0x");
		at = append_number(at, end, (unsigned long)(unsigned int)uc->uc_mcontext.gregs[REG_RSI], 16);
		at = append(at, end, ")");
	}
	at = append(at, end, ", which its seccomp filter does not allow (README, Security)\n");
	ignored = write(STDERR_FILENO, line, (size_t)(at - line));
	(void)ignored;
	syscall(SYS_exit_group, SANDBOX_VIOLATION_EXIT);
}

int sandbox_violation_handler_install(void)
{
	struct sigaction sa = { .sa_sigaction = violation_handler, .sa_flags = SA_SIGINFO };

	pthread_once(&syscall_names_once, syscall_names_resolve);
	sigfillset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}
