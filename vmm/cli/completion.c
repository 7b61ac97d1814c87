/*
 * Completion candidates from the command table: the words of a command line are read as
 * the dispatcher reads them (options anywhere, their values, "--"), so the word being
 * typed is known to be a subcommand, an option, an option's value or the N-th argument;
 * the metavariable of a value or argument says what fits it.
 */
#include <stdbool.h>
#include <string.h>

#include "vmm/cli/command.h"
#include "vmm/cli/completion.h"

/* What only the shell can list, by the metavariable that names it in the table. */
static const struct {
	const char *metavar;
	const char *kind;
} completion_kinds[] = {
	{ "NAME", "@servers" },	  { "SERVER", "@physical" }, { "TARGET", "@physical" },
	{ "PROFILE", "@profiles" }, { "FILE", "@files" },	     { "DIR", "@dirs" },
};

static void print_names(FILE *out, const struct command *list)
{
	for (; list && list->name; list++)
		fprintf(out, "%s\n", list->name);
}

/*
 * One choice of a value: a lowercase word is typed as it is; a metavariable (its
 * leading capitals: FILE of FILE.svg) is a kind, or the commands. context: the command
 * named by the first argument (help's SUBCOMMAND).
 */
static void print_choice(FILE *out, const char *choice, size_t len, const struct command *context)
{
	size_t caps = 0;

	while (caps < len && ((choice[caps] >= 'A' && choice[caps] <= 'Z') || choice[caps] == '_'))
		caps++;
	if (caps == 0) {
		fprintf(out, "%.*s\n", (int)len, choice);
		return;
	}
	if (caps == strlen("COMMAND") && strncmp(choice, "COMMAND", caps) == 0)
		print_names(out, command_table());
	if (caps == strlen("SUBCOMMAND") && strncmp(choice, "SUBCOMMAND", caps) == 0 && context)
		print_names(out, context->children);
	for (size_t i = 0; i < sizeof(completion_kinds) / sizeof(completion_kinds[0]); i++)
		if (strlen(completion_kinds[i].metavar) == caps && strncmp(choice, completion_kinds[i].metavar, caps) == 0)
			fprintf(out, "%s\n", completion_kinds[i].kind);
}

/* "kernel|disk", "NAME|SERVER": each choice. */
static void print_value(FILE *out, const char *value, const struct command *context)
{
	while (*value) {
		size_t len = strcspn(value, "|");

		print_choice(out, value, len, context);
		value += len + (value[len] == '|');
	}
}

static void print_options(FILE *out, const struct command *cmd)
{
	for (const struct command_option *opt = cmd->options; opt && opt->name; opt++)
		if (!(opt->flags & OPTION_HIDDEN))
			fprintf(out, "--%s\n", opt->name);
	fprintf(out, "--help\n");
}

/* The words after cmd's name, the last one being typed. */
static void complete_args(FILE *out, const struct command *cmd, char **words, int n)
{
	const struct command_option *pending = NULL;
	const struct command *context = NULL;
	unsigned int positional = 0;
	bool options_end = false;
	char arg[64];

	for (int i = 0; i < n - 1; i++) {
		const char *word = words[i], *eq = strchr(word, '=');

		if (pending) {
			pending = NULL;
		} else if (!options_end && strcmp(word, "--") == 0) {
			options_end = true;
		} else if (!options_end && word[0] == '-' && word[1] == '-') {
			pending = command_option_find(cmd, word + 2, eq ? (size_t)(eq - word - 2) : strlen(word + 2));
			if (pending && (pending->flags & OPTION_REST))
				return;
			if (pending && (!pending->value || eq))
				pending = NULL;
		} else if (options_end || word[0] != '-' || !word[1]) {
			if (positional++ == 0)
				context = command_find(command_table(), word);
		}
	}
	if (pending)
		print_value(out, pending->value, context);
	else if (!options_end && words[n - 1][0] == '-')
		print_options(out, cmd);
	else if (command_arg_word(cmd, positional, arg, sizeof(arg)) == 0)
		print_value(out, arg, context);
}

void completion_print(FILE *out, int n, char **words)
{
	const struct command *cmd;

	if (n < 1)
		return;
	if (n == 1) {
		if (words[0][0] == '-')
			fprintf(out, "--help\n--version\n");
		else
			print_names(out, command_table());
		return;
	}
	cmd = command_find(command_table(), words[0]);
	/* A command that runs itself as well as its subcommands (sheer agent --listen). */
	if (cmd && cmd->children && cmd->options && words[1][0] == '-') {
		complete_args(out, cmd, words + 1, n - 1);
		return;
	}
	if (cmd && cmd->children && n == 2) {
		if (words[1][0] == '-')
			fprintf(out, "--help\n");
		else
			print_names(out, cmd->children);
		return;
	}
	if (cmd && cmd->children) {
		cmd = command_find(cmd->children, words[1]);
		if (cmd)
			complete_args(out, cmd, words + 2, n - 2);
	} else if (cmd) {
		complete_args(out, cmd, words + 1, n - 1);
	}
}
