/* What `sheer help`, `sheer --help` and `sheer CMD --help` print, from the command table. */
#ifndef SHEER_VMM_CLI_HELP_H
#define SHEER_VMM_CLI_HELP_H

#include <stdio.h>

#include "vmm/cli/command.h"

/* sheer help [COMMAND [SUBCOMMAND]], and the build's and completion's hidden --man, --commands, --complete. */
int cmd_help(int argc, char **argv);
/* Every command and its summary, on out. */
void help_print_overview(FILE *out);
/* cmd's usage lines, description and options (or subcommands); path names it ("power simulate"). */
void help_print_command(FILE *out, const struct command *cmd, const char *path);

#endif
