/*
 * What the bash completion (vmm/cli/sheer.bash) may offer for the word being typed,
 * from the command table: `sheer help --complete WORD...` prints it.
 */
#ifndef SHEER_VMM_CLI_COMPLETION_H
#define SHEER_VMM_CLI_COMPLETION_H

#include <stdio.h>

/*
 * words are the command line after "sheer", the last one the word being completed
 * (maybe empty). Prints one candidate per line: subcommands, options and fixed values
 * as they are typed, and for what only the shell can list, a line naming the kind:
 * @servers (running and defined), @physical (the inventory), @profiles (*.ini),
 * @files, @dirs. The shell filters them by the word typed so far.
 */
void completion_print(FILE *out, int n, char **words);

#endif
