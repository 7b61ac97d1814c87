/*
 * sheer: the one command-line program. Each subcommand lives with the folder that
 * owns it; this file only dispatches. Exit status: 0 success, 1 runtime failure,
 * 2 bad input (usage, profile, refused request).
 */
#include <stdio.h>
#include <string.h>

#include "iommu/host_check.h"
#include "passthru/cli/commands.h"
#include "power/cli/commands.h"
#include "power/planner/power.h"
#include "vmm/lib/cli.h"
#include "vmm/cli/commands.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_help(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "help", cmd_help, "show this list" },
	{ "version", cmd_version, "print the version" },
	{ "run", cmd_run, "run a logical server in the foreground (PROFILE and/or flags)" },
	{ "status", cmd_status, "show a running server (NAME [--json])" },
	{ "shutdown", cmd_shutdown, "press a server's power button and wait (NAME [--timeout S])" },
	{ "poweroff", cmd_poweroff, "stop a server at once (NAME)" },
	{ "pause", cmd_pause, "pause a server's vCPUs (NAME)" },
	{ "resume", cmd_resume, "resume a paused server (NAME)" },
	{ "list", cmd_list, "list running servers ([--json])" },
	{ "checkpoint", cmd_checkpoint, "save a server's whole state to a file (NAME FILE [--leave-running] [--json])" },
	{ "restore", cmd_restore, "run a server from a checkpoint in the foreground (FILE [--name NAME])" },
	{ "migrate", cmd_migrate, "move a running server to another host (NAME --to ADDR [--downtime-ms N] [--json])" },
	{ "receive", cmd_receive, "take a migrating server and run it in the foreground (--listen ADDR [--name NAME])" },
	{ "host", cmd_host, "check this host is ready for device assignment (check [--json])" },
	{ "devices", cmd_devices, "list PCI devices and whether each can be assigned ([--json])" },
	{ "release", cmd_release, "give back a device a killed server left behind (BDF)" },
	{ "power", cmd_power, "simulate consolidation policies on traces" },
	{ "bmc", cmd_bmc, "a physical server's BMC: power and boot device (TARGET power|bootdev ...)" },
	{ "switch", cmd_switch, "move a server between logical and physical (NAME --to physical SERVER | SERVER --to logical PROFILE)" },
	{ "physical", cmd_physical, "the inventory of physical servers and their power (list [--json])" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: sheer COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		printf("  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(0, NULL);
		return SHEER_EXIT_USAGE;
	}
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(0, NULL);
	fprintf(stderr, "sheer: unknown command '%s' (try 'sheer help')\n", argv[1]);
	return SHEER_EXIT_USAGE;
}
