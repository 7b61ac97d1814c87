/* Shared conventions of the sheer command line. */
#ifndef SHEER_VMM_LIB_CLI_H
#define SHEER_VMM_LIB_CLI_H

#define SHEER_VERSION "0.1.0"

enum sheer_exit {
	SHEER_EXIT_OK = 0,
	SHEER_EXIT_FAILURE = 1,	/* something went wrong while doing the work */
	SHEER_EXIT_USAGE = 2,	/* bad input or a refused request: nothing was started */
};

/* Print one line "sheer: <context>: <message>" to stderr; the single place errors reach the operator. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_version(int argc, char **argv);

#endif
