/* Between the files of vmm/sandbox: loading a kind's filter and reporting a violation. */
#ifndef SHEER_VMM_SANDBOX_SANDBOX_INTERNAL_H
#define SHEER_VMM_SANDBOX_SANDBOX_INTERNAL_H

#include <seccomp.h>

#include "vmm/sandbox/sandbox.h"

/* Load kind's allow-list on the calling thread; negative errno. */
int sandbox_filter_load(enum sandbox_thread kind);
/* Sanitizer builds (tests only) report through calls the release VMM never makes. */
int sandbox_sanitizer_allow(scmp_filter_ctx ctx);
/* The SIGSYS handler that names the thread kind and the call, once per process; then mark this thread's kind. */
int sandbox_violation_handler_install(void);
void sandbox_violation_set_kind(enum sandbox_thread kind);

#endif
