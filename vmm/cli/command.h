/*
 * The subcommands of `sheer` as data: what each takes and what it does, in one table
 * (vmm/cli/command_table.c). The dispatcher checks the command line against it, and
 * `sheer help`, `CMD --help`, the man page and the bash completion are printed from it,
 * so a new subcommand is one entry there.
 */
#ifndef SHEER_VMM_CLI_COMMAND_H
#define SHEER_VMM_CLI_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

enum command_option_flag {
	OPTION_REQUIRED = 1 << 0,	/* the command refuses to run without it */
	OPTION_HIDDEN = 1 << 1,		/* for sheer's own tools (build, completion): left out of every listing */
	OPTION_REST = 1 << 2,		/* every word after it is its value */
};

struct command_option {
	const char *name;	/* the long name, without "--" */
	const char *value;	/* its value as help shows it (NAME, FILE, kernel|disk); NULL: it takes none */
	const char *help;	/* one sentence or two */
	unsigned int flags;	/* enum command_option_flag */
};

struct command {
	const char *name;
	/* Gets argv from its own name on; NULL for a subcommand of a command (its parent's run gets it). */
	int (*run)(int argc, char **argv);
	const char *summary;		/* one line in `sheer help` */
	/*
	 * The words after the name that are not options, as help shows them: "NAME FILE",
	 * "[PROFILE]". Brackets make a word optional; a lowercase word is typed as it is,
	 * '|' separates the choices. The dispatcher checks their number against it.
	 */
	const char *args;
	const char *const *forms;	/* synopsis lines after "sheer NAME", when the generated one would mislead */
	const char *description;	/* paragraphs separated by an empty line */
	const struct command_option *options;	/* ends with a NULL name; NULL: none */
	/*
	 * Its own subcommands (power simulate); ends with a NULL name. With options of its
	 * own, the command also runs alone when no subcommand comes first (sheer agent --listen).
	 */
	const struct command *children;
};

#define COMMAND_HELP 1
#define COMMAND_PATH_MAX 64
#define COMMAND_SYNOPSIS_MAX 512

/* Every subcommand of sheer, ending with a NULL name. */
const struct command *command_table(void);
/* The command called name in list (a table or a command's children), or NULL. */
const struct command *command_find(const struct command *list, const char *name);
/* The option of cmd called name (its first len characters), or NULL. */
const struct command_option *command_option_find(const struct command *cmd, const char *name, size_t len);
/* -h or --help. */
bool command_word_is_help(const char *word);
/* How many positional words cmd->args allows. */
void command_arg_bounds(const struct command *cmd, unsigned int *min, unsigned int *max);
/* The i-th positional word of cmd->args without its brackets into out; -ENOENT past the last. */
int command_arg_word(const struct command *cmd, unsigned int i, char *out, size_t len);
/* The i-th synopsis line of cmd ("sheer PATH ARGS --to ADDR [OPTIONS]"); -ENOENT past the last. */
int command_synopsis(const struct command *cmd, const char *path, unsigned int i, char *out, size_t len);
/*
 * Check argv[first..argc) against cmd, named path in messages ("power simulate"):
 * 0 when cmd may run, COMMAND_HELP when -h or --help is among its options, or
 * -EINVAL after the one line on stderr that says what is wrong and where help is.
 */
int command_check(const struct command *cmd, const char *path, int argc, char **argv, int first);
/* One line "sheer: PATH: PROBLEM; see 'sheer help PATH'" on stderr (PATH NULL: the program itself). */
void command_usage_error(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
