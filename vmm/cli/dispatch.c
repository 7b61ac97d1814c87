/*
 * From argv to a subcommand: the version and help flags, the subcommand and its own
 * subcommand (power simulate), then its words checked against the command table, so
 * that -h and --help are help everywhere, and an unknown option, a missing value or
 * argument, or an extra word is the same one line for every subcommand. The
 * subcommand then parses argv itself, from its own name on.
 */
#include <stdio.h>
#include <string.h>

#include "vmm/cli/command.h"
#include "vmm/cli/dispatch.h"
#include "vmm/cli/help.h"
#include "vmm/lib/cli.h"

/* "attach or detach", for a message. */
static void child_names(const struct command *cmd, char *out, size_t len)
{
	out[0] = '\0';
	for (const struct command *child = cmd->children; child->name; child++) {
		size_t used = strlen(out);

		snprintf(out + used, len - used, "%s%s", used ? (child[1].name ? ", " : " or ") : "", child->name);
	}
}

/* The subcommand of cmd named by word, or NULL after saying what is wrong. */
static const struct command *dispatch_child(const struct command *cmd, const char *word)
{
	const struct command *child = word ? command_find(cmd->children, word) : NULL;
	char names[128];

	if (child)
		return child;
	child_names(cmd, names, sizeof(names));
	if (!word)
		command_usage_error(cmd->name, "missing the subcommand (%s)", names);
	else if (word[0] == '-')
		command_usage_error(cmd->name, "unknown option '%.64s' (the subcommand, %s, comes first)", word, names);
	else
		command_usage_error(cmd->name, "unknown subcommand '%.64s' (%s)", word, names);
	return NULL;
}

/* A command with subcommands and options of its own runs itself when no subcommand comes first (sheer agent --listen). */
static bool dispatch_runs_itself(const struct command *cmd, int argc, char **argv)
{
	return cmd->options && (argc <= 2 || argv[2][0] == '-');
}

/* cmd, or its subcommand, checked; its help printed when asked for. */
static int dispatch_command(const struct command *cmd, int argc, char **argv)
{
	const struct command *target = cmd;
	char path[COMMAND_PATH_MAX];
	int first = 2, ret;

	snprintf(path, sizeof(path), "%s", cmd->name);
	if (cmd->children && argc > 2 && command_word_is_help(argv[2])) {
		help_print_command(stdout, cmd, path);
		return SHEER_EXIT_OK;
	}
	if (cmd->children && !dispatch_runs_itself(cmd, argc, argv)) {
		target = dispatch_child(cmd, argc > 2 ? argv[2] : NULL);
		if (!target)
			return SHEER_EXIT_USAGE;
		snprintf(path, sizeof(path), "%s %s", cmd->name, target->name);
		first = 3;
	}
	ret = command_check(target, path, argc, argv, first);
	if (ret == COMMAND_HELP) {
		help_print_command(stdout, target, path);
		return SHEER_EXIT_OK;
	}
	return ret < 0 ? SHEER_EXIT_USAGE : cmd->run(argc - 1, argv + 1);
}

int dispatch_main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		command_usage_error(NULL, "no command given");
		return SHEER_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (command_word_is_help(argv[1])) {
		help_print_overview(stdout);
		return SHEER_EXIT_OK;
	}
	cmd = command_find(command_table(), argv[1]);
	if (!cmd) {
		command_usage_error(NULL, "unknown %s '%.64s'", argv[1][0] == '-' ? "option" : "command", argv[1]);
		return SHEER_EXIT_USAGE;
	}
	return dispatch_command(cmd, argc, argv);
}
