/*
 * Under ASan/UBSan (test builds only) a report symbolizes and writes
 * through calls no list allows; letting them through keeps the sanitizer's
 * diagnosis instead of a violation line that hides it. Release builds add
 * nothing.
 */
#include <sys/syscall.h>

#include "vmm/sandbox/sandbox_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif

#ifdef SANDBOX_SANITIZED
static const int sanitizer_calls[] = {
	SYS_openat, SYS_readlink, SYS_getdents64, SYS_clone, SYS_clone3, SYS_wait4, SYS_ptrace, SYS_prctl,
	SYS_sched_getaffinity, SYS_pipe2, SYS_dup2, SYS_execve, SYS_close, SYS_fstat, SYS_newfstatat, SYS_read,
	SYS_kill, SYS_getppid, SYS_lseek, SYS_mmap, SYS_mprotect, SYS_getrlimit, SYS_prlimit64, SYS_setrlimit,
	SYS_uname, SYS_munmap,
};

int sandbox_sanitizer_allow(scmp_filter_ctx ctx)
{
	int ret = 0;

	for (size_t i = 0; i < sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]) && ret == 0; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_calls[i], 0);
	return ret;
}
#else
int sandbox_sanitizer_allow(scmp_filter_ctx ctx)
{
	(void)ctx;
	return 0;
}
#endif
