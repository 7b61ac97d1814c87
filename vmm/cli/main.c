/*
 * sheer: the one command-line program. Each subcommand lives with the folder that owns
 * it and is listed in vmm/cli/command_table.c; dispatch.c picks it. Exit status: 0
 * success, 1 runtime failure, 2 bad input (usage, profile, refused request).
 */
#include "vmm/cli/dispatch.h"

int main(int argc, char **argv)
{
	return dispatch_main(argc, argv);
}
