/*
 * Help on the terminal: the list of commands, and one command's usage, description and
 * options, filled to 80 columns. The same text, as roff, is the man page (man_page.c).
 */
#include <stdio.h>
#include <string.h>

#include "vmm/cli/command.h"
#include "vmm/cli/completion.h"
#include "vmm/cli/help.h"
#include "vmm/cli/man_page.h"
#include "vmm/lib/cli.h"

#define HELP_WIDTH 79
#define HELP_OPTION_COLUMN 28

/*
 * Print len bytes of text as words filled to HELP_WIDTH: the cursor is at column col,
 * and continuation lines start at column indent.
 */
static void print_filled(FILE *out, const char *text, size_t len, unsigned int col, unsigned int indent)
{
	const char *end = text + len;
	bool first = true;

	while (text < end) {
		size_t n;

		while (text < end && (*text == ' ' || *text == '\n'))
			text++;
		for (n = 0; text + n < end && text[n] != ' ' && text[n] != '\n'; n++)
			;
		if (n == 0)
			break;
		if (!first && col + 1 + n > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, n, out);
		col += (unsigned int)n;
		text += n;
		first = false;
	}
	fputc('\n', out);
}

/* Paragraphs are separated by an empty line in the table, and on the terminal. */
static void print_paragraphs(FILE *out, const char *text)
{
	while (*text) {
		const char *next = strstr(text, "\n\n");
		size_t len = next ? (size_t)(next - text) : strlen(text);

		print_filled(out, text, len, 0, 0);
		if (!next)
			break;
		fputc('\n', out);
		text = next + 2;
	}
}

/* "  --name NAME" and its help in a column of their own. */
static void print_option(FILE *out, const char *label, const char *help)
{
	int col = fprintf(out, "  %s", label);

	if (col + 2 > HELP_OPTION_COLUMN) {
		fputc('\n', out);
		col = 0;
	}
	fprintf(out, "%*s", HELP_OPTION_COLUMN - col, "");
	print_filled(out, help, strlen(help), HELP_OPTION_COLUMN, HELP_OPTION_COLUMN);
}

static void print_options(FILE *out, const struct command *cmd)
{
	char label[128];

	fprintf(out, "\noptions:\n");
	for (const struct command_option *opt = cmd->options; opt && opt->name; opt++) {
		if (opt->flags & OPTION_HIDDEN)
			continue;
		snprintf(label, sizeof(label), "--%s%s%s", opt->name, opt->value ? " " : "", opt->value ? opt->value : "");
		print_option(out, label, opt->help);
	}
	print_option(out, "-h, --help", "show this help.");
}

/* "usage: " before the first synopsis line, its width of spaces before the others. */
static void print_usage_lines(FILE *out, const struct command *cmd, const char *path, bool *first)
{
	char line[COMMAND_SYNOPSIS_MAX];

	for (unsigned int i = 0; command_synopsis(cmd, path, i, line, sizeof(line)) == 0; i++) {
		fprintf(out, "%s%s\n", *first ? "usage: " : "       ", line);
		*first = false;
	}
}

static void print_children(FILE *out, const struct command *cmd, const char *path)
{
	fprintf(out, "\ncommands:\n");
	for (const struct command *child = cmd->children; child->name; child++)
		print_option(out, child->name, child->summary);
	fprintf(out, "\nEach has its own options: sheer help %s COMMAND.\n", path);
}

void help_print_command(FILE *out, const struct command *cmd, const char *path)
{
	char child_path[COMMAND_PATH_MAX];
	bool first = true;

	if (cmd->children && cmd->options)
		print_usage_lines(out, cmd, path, &first);
	if (cmd->children) {
		for (const struct command *child = cmd->children; child->name; child++) {
			snprintf(child_path, sizeof(child_path), "%s %s", path, child->name);
			print_usage_lines(out, child, child_path, &first);
		}
	} else {
		print_usage_lines(out, cmd, path, &first);
	}
	fputc('\n', out);
	print_paragraphs(out, cmd->description);
	if (cmd->children)
		print_children(out, cmd, path);
	if (!cmd->children || cmd->options)
		print_options(out, cmd);
}

void help_print_overview(FILE *out)
{
	fprintf(out, "usage: sheer COMMAND [ARGS...]\n"
		     "       sheer help COMMAND      (or sheer COMMAND --help): a command's options\n"
		     "       sheer --version\n\n"
		     "commands:\n");
	for (const struct command *cmd = command_table(); cmd->name; cmd++)
		fprintf(out, "  %-12s %s\n", cmd->name, cmd->summary);
	fprintf(out, "\nExit status: 0 done, 1 failed while doing the work, 2 bad input or refused (nothing "
		     "changed).\nThe manual: man sheer.\n");
}

/* --commands: every command a test should walk, subcommands as "power simulate". */
static void print_command_list(FILE *out)
{
	for (const struct command *cmd = command_table(); cmd->name; cmd++) {
		fprintf(out, "%s\n", cmd->name);
		for (const struct command *child = cmd->children; child && child->name; child++)
			fprintf(out, "%s %s\n", cmd->name, child->name);
	}
}

/* sheer help COMMAND [SUBCOMMAND], the words already counted by the dispatcher. */
static int help_topic(int n, char **words)
{
	const struct command *cmd = command_find(command_table(), words[0]), *child;
	char path[COMMAND_PATH_MAX];

	if (!cmd) {
		command_usage_error(NULL, "unknown command '%.64s'", words[0]);
		return SHEER_EXIT_USAGE;
	}
	if (n == 1) {
		help_print_command(stdout, cmd, cmd->name);
		return SHEER_EXIT_OK;
	}
	if (!cmd->children) {
		command_usage_error(cmd->name, "no subcommand '%.64s': it has none", words[1]);
		return SHEER_EXIT_USAGE;
	}
	child = command_find(cmd->children, words[1]);
	if (!child) {
		command_usage_error(cmd->name, "unknown subcommand '%.64s'", words[1]);
		return SHEER_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s %s", cmd->name, child->name);
	help_print_command(stdout, child, path);
	return SHEER_EXIT_OK;
}

int cmd_help(int argc, char **argv)
{
	char *words[2];
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--man") == 0)
			return man_page_print(stdout) < 0 ? SHEER_EXIT_FAILURE : SHEER_EXIT_OK;
		if (strcmp(argv[i], "--commands") == 0)
			return print_command_list(stdout), SHEER_EXIT_OK;
		if (strcmp(argv[i], "--complete") == 0)
			return completion_print(stdout, argc - i - 1, argv + i + 1), SHEER_EXIT_OK;
		if (strcmp(argv[i], "--") != 0 && n < 2)
			words[n++] = argv[i];
	}
	if (n == 0) {
		help_print_overview(stdout);
		return SHEER_EXIT_OK;
	}
	return help_topic(n, words);
}
