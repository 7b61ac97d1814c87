/* The device-assignment subcommands of `sheer`. */
#ifndef SHEER_PASSTHRU_CLI_COMMANDS_H
#define SHEER_PASSTHRU_CLI_COMMANDS_H

int cmd_devices(int argc, char **argv);	/* passthru/cli/devices_cmd.c */
int cmd_release(int argc, char **argv);	/* passthru/cli/release_cmd.c */

#endif
