/* The whole `sheer` command line: which subcommand, checked against the command table. */
#ifndef SHEER_VMM_CLI_DISPATCH_H
#define SHEER_VMM_CLI_DISPATCH_H

/*
 * Run the subcommand argv names, once its words fit its table entry; help and usage
 * errors are answered here, the same way for every subcommand. Returns the exit status.
 */
int dispatch_main(int argc, char **argv);

#endif
