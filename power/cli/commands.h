/* The power-control subcommands of `sheer` (besides `sheer power`, power/planner/power.h). */
#ifndef SHEER_POWER_CLI_COMMANDS_H
#define SHEER_POWER_CLI_COMMANDS_H

int cmd_agent(int argc, char **argv);		/* power/cli/agent_cmd.c */
int cmd_bmc(int argc, char **argv);		/* power/cli/bmc_cmd.c */
int cmd_physical(int argc, char **argv);	/* power/cli/physical_cmd.c */
int cmd_fleet(int argc, char **argv);		/* power/cli/fleet_cmd.c */

#endif
