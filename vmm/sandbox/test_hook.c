/*
 * The test build's way to prove the filters (tests/lab, sheer-sandbox):
 * built with -DSHEER_TEST_HOOKS into build/sheer-test-hooks only, never
 * into build/sheer. $SHEER_TEST_FORBIDDEN_SYSCALL=vcpu|console|control|main
 * makes that kind of thread try to open /etc/shadow at its hook point.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/sandbox/sandbox.h"

#ifdef SHEER_TEST_HOOKS
void sandbox_test_hook_init(struct sandbox *sandbox)
{
	const char *kind = getenv("SHEER_TEST_FORBIDDEN_SYSCALL");

	sandbox->forbidden_in = -1;
	for (int k = 0; kind && k < SANDBOX_THREAD_KINDS; k++)
		if (strcmp(kind, sandbox_thread_name((enum sandbox_thread)k)) == 0)
			sandbox->forbidden_in = k;
}

void sandbox_test_hook(const struct sandbox *sandbox, enum sandbox_thread kind)
{
	int fd;

	if (!sandbox || sandbox->forbidden_in != (int)kind)
		return;
	fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}
#else
void sandbox_test_hook_init(struct sandbox *sandbox)
{
	sandbox->forbidden_in = -1;
}

void sandbox_test_hook(const struct sandbox *sandbox, enum sandbox_thread kind)
{
	(void)sandbox;
	(void)kind;
}
#endif
