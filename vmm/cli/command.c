/*
 * Reading the command table: lookups, the positional words of a command, its synopsis,
 * and the check of a command line against it (the way getopt_long reads it: options
 * anywhere, a value in the next word or after '=', "--" ends the options).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli/command.h"
#include "vmm/lib/cli.h"

const struct command *command_find(const struct command *list, const char *name)
{
	for (; list && list->name; list++)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

const struct command_option *command_option_find(const struct command *cmd, const char *name, size_t len)
{
	for (const struct command_option *opt = cmd->options; opt && opt->name; opt++)
		if (strlen(opt->name) == len && strncmp(opt->name, name, len) == 0)
			return opt;
	return NULL;
}

bool command_word_is_help(const char *word)
{
	return strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0;
}

/* The next word of an args string at *pos: its text without brackets, and whether it was bracketed. */
static bool args_next(const char **pos, const char **word, size_t *len, bool *optional)
{
	const char *p = *pos + strspn(*pos, " ");
	size_t n = strcspn(p, " ");

	if (n == 0)
		return false;
	*pos = p + n;
	*optional = p[0] == '[';
	*word = p + (*optional ? 1 : 0);
	*len = n - (*optional ? 2 : 0);
	return true;
}

void command_arg_bounds(const struct command *cmd, unsigned int *min, unsigned int *max)
{
	const char *pos = cmd->args ? cmd->args : "", *word;
	size_t len;
	bool optional;

	*min = *max = 0;
	while (args_next(&pos, &word, &len, &optional)) {
		(*max)++;
		if (!optional)
			(*min)++;
	}
}

int command_arg_word(const struct command *cmd, unsigned int i, char *out, size_t len)
{
	const char *pos = cmd->args ? cmd->args : "", *word;
	size_t n;
	bool optional;

	for (unsigned int k = 0; args_next(&pos, &word, &n, &optional); k++)
		if (k == i)
			return snprintf(out, len, "%.*s", (int)n, word) < (int)len ? 0 : -ENAMETOOLONG;
	return -ENOENT;
}

/* " --to ADDR" for each required option, then " [OPTIONS]" if any other is documented. */
static void synopsis_options(const struct command *cmd, char *out, size_t len)
{
	bool optional = false;

	for (const struct command_option *opt = cmd->options; opt && opt->name; opt++) {
		size_t used = strlen(out);

		if (opt->flags & OPTION_HIDDEN)
			continue;
		if (!(opt->flags & OPTION_REQUIRED))
			optional = true;
		else if (opt->value)
			snprintf(out + used, len - used, " --%s %s", opt->name, opt->value);
		else
			snprintf(out + used, len - used, " --%s", opt->name);
	}
	if (optional)
		snprintf(out + strlen(out), len - strlen(out), " [OPTIONS]");
}

int command_synopsis(const struct command *cmd, const char *path, unsigned int i, char *out, size_t len)
{
	int n;

	if (cmd->forms) {
		for (unsigned int k = 0; k < i; k++)
			if (!cmd->forms[k])
				return -ENOENT;
		if (!cmd->forms[i])
			return -ENOENT;
		n = snprintf(out, len, "sheer %s %s", path, cmd->forms[i]);
		return n < (int)len ? 0 : -ENAMETOOLONG;
	}
	if (i > 0)
		return -ENOENT;
	n = snprintf(out, len, "sheer %s%s%s", path, cmd->args && cmd->args[0] ? " " : "", cmd->args ? cmd->args : "");
	if (n >= (int)len)
		return -ENAMETOOLONG;
	synopsis_options(cmd, out, len);
	return 0;
}

void command_usage_error(const char *path, const char *fmt, ...)
{
	char problem[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	if (path)
		cli_error("%s: %s; see 'sheer help %s'", path, problem, path);
	else
		cli_error("%s; see 'sheer help'", problem);
}

/* What a scan of the words found: help wins over the first problem, which wins over the counts. */
struct word_scan {
	const struct command *cmd;
	unsigned int positional;
	const char *extra;		/* the first positional word past the last one allowed */
	unsigned long required_seen;	/* bit i: the i-th option was given */
	bool help;
	char problem[256];
};

static void scan_problem(struct word_scan *scan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void scan_problem(struct word_scan *scan, const char *fmt, ...)
{
	va_list ap;

	if (scan->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(scan->problem, sizeof(scan->problem), fmt, ap);
	va_end(ap);
}

/* argv[i] is an option: note it; returns the index of its last word (its value's, or argc for the rest). */
static int scan_option(struct word_scan *scan, int argc, char **argv, int i)
{
	const char *word = argv[i], *eq = strchr(word, '=');
	const struct command_option *opt;

	if (command_word_is_help(word)) {
		scan->help = true;
		return i;
	}
	opt = word[1] == '-' ? command_option_find(scan->cmd, word + 2, eq ? (size_t)(eq - word - 2) : strlen(word + 2))
			     : NULL;
	if (!opt) {
		scan_problem(scan, "unknown option '%.*s'", eq && word[1] == '-' ? (int)(eq - word) : 64, word);
		return i;
	}
	if (opt->flags & OPTION_REST)
		return argc;
	if (opt->value && !eq && i + 1 == argc)
		scan_problem(scan, "option '--%s' needs a value (%s)", opt->name, opt->value);
	else if (!opt->value && eq)
		scan_problem(scan, "option '--%s' takes no value", opt->name);
	scan->required_seen |= 1ul << (opt - scan->cmd->options);
	return opt->value && !eq ? i + 1 : i;
}

static void scan_words(struct word_scan *scan, int argc, char **argv, int first)
{
	unsigned int min, max;
	bool options_end = false;

	command_arg_bounds(scan->cmd, &min, &max);
	for (int i = first; i < argc; i++) {
		if (!options_end && strcmp(argv[i], "--") == 0)
			options_end = true;
		else if (!options_end && argv[i][0] == '-' && argv[i][1])
			i = scan_option(scan, argc, argv, i);
		else if (++scan->positional > max && !scan->extra)
			scan->extra = argv[i];
	}
}

/* The counts, once every word is known: missing words first, then extra ones, then required options. */
static void scan_counts(struct word_scan *scan)
{
	unsigned int min, max;
	char word[64];

	command_arg_bounds(scan->cmd, &min, &max);
	if (scan->positional < min && command_arg_word(scan->cmd, scan->positional, word, sizeof(word)) == 0)
		scan_problem(scan, "missing %s", word);
	if (scan->extra && max > 0 && command_arg_word(scan->cmd, max - 1, word, sizeof(word)) == 0)
		scan_problem(scan, "unexpected argument '%.64s' after %s", scan->extra, word);
	else if (scan->extra)
		scan_problem(scan, "unexpected argument '%.64s'", scan->extra);
	for (const struct command_option *opt = scan->cmd->options; opt && opt->name; opt++)
		if ((opt->flags & OPTION_REQUIRED) && !(scan->required_seen & (1ul << (opt - scan->cmd->options))))
			scan_problem(scan, "missing --%s%s%s", opt->name, opt->value ? " " : "", opt->value ? opt->value : "");
}

int command_check(const struct command *cmd, const char *path, int argc, char **argv, int first)
{
	struct word_scan scan = { .cmd = cmd };

	scan_words(&scan, argc, argv, first);
	if (scan.help)
		return COMMAND_HELP;
	scan_counts(&scan);
	if (scan.problem[0]) {
		command_usage_error(path, "%s", scan.problem);
		return -EINVAL;
	}
	return 0;
}
