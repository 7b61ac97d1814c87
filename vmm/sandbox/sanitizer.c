/*
 * Under ASan/UBSan (test builds only) the runtime asks about its own limits
 * and affinity now and then. Nothing that opens, forks or maps executable
 * memory is let through, so the tests of the lists hold in both builds; a
 * sanitizer report still prints its first line before the symbolizer's fork
 * is refused. Release builds add nothing.
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
static const int sanitizer_calls[] = { SYS_sched_getaffinity, SYS_getrlimit, SYS_prlimit64 };

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
