/* `sheer release BDF`: give back a device a killed VMM left bound to vfio-pci. */
#include <stdio.h>
#include <string.h>

#include "passthru/host/assign.h"
#include "passthru/cli/commands.h"
#include "vmm/lib/cli.h"

int cmd_release(int argc, char **argv)
{
	struct passthru_env env;
	char err[768];
	int ret;

	if (argc != 2 || argv[1][0] == '-') {
		cli_error("release: usage: sheer release BDF");
		return SHEER_EXIT_USAGE;
	}
	passthru_env_init(&env, NULL, NULL);
	ret = passthru_release_stale(&env, argv[1], err, sizeof(err));
	if (ret < 0) {
		cli_error("%s", err);
		return passthru_error_is_refusal(ret) ? SHEER_EXIT_USAGE : SHEER_EXIT_FAILURE;
	}
	printf("released %s\n", argv[1]);
	return SHEER_EXIT_OK;
}
