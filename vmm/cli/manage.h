/* What the commands that talk to running servers share (vmm/cli/manage.c). */
#ifndef SHEER_VMM_CLI_MANAGE_H
#define SHEER_VMM_CLI_MANAGE_H

#include <jansson.h>

#include "vmm/server/control.h"
#include "vmm/server/registry.h"

/* Send one request to a server by name; -ESRCH (reported) when it is not running, other errors reported too. */
int manage_call(struct registry *registry, const char *name, const struct control_request *request, int timeout_s,
		const struct control_progress *progress, json_t **reply);
/* Exit status for a manage_call() error: 2 for a name not running or a refused request, else 1. */
int manage_exit_status(int ret);

/* Press every running server's power button, then wait up to timeout_s for them all; an exit status. */
int manage_stop_all(unsigned int timeout_s);

#endif
