/*
 * `sheer run`: start one logical server from a profile and/or flags and stay
 * with it in the foreground (vmm/cli/session.c).
 */
#include <string.h>

#include "vmm/cli/commands.h"
#include "vmm/cli/run_options.h"
#include "vmm/cli/session.h"
#include "vmm/lib/cli.h"

int cmd_run(int argc, char **argv)
{
	struct run_session session;
	char err[ERR_MAX] = "";
	int ret;

	session_init(&session);
	ret = run_options_parse(argc, argv, &session.spec, err, sizeof(err));
	if (ret == 0)
		ret = spec_check(&session.spec, err, sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return SHEER_EXIT_USAGE;
	}
	return session_main(&session);
}
