/*
 * The agent does what it is asked by running this same sheer program's
 * subcommands (fork and exec of /proc/self/exe, argv fixed by the caller
 * from checked fields, never a shell), so every check of the command line
 * applies to the fleet as to an operator.
 */
#ifndef SHEER_POWER_AGENT_AGENT_EXEC_H
#define SHEER_POWER_AGENT_AGENT_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "power/agent/agent_response.h"

struct agent_exec {
	int status;			/* its exit status; -1 when it could not run or was killed */
	bool timed_out;			/* killed at its deadline */
	char output[AGENT_OUTPUT_MAX];	/* its standard output, printable ASCII and newlines, cut at the end */
	char error[AGENT_ERROR_MAX];	/* its last line on stderr without "sheer: ", or why it did not run */
};

/*
 * Run /proc/self/exe with argv (argv[0] included, NULL-terminated) in a
 * process group of its own, stdin from /dev/null; past deadline_s it is
 * sent SIGTERM, then SIGKILL. Processes it leaves in a session of their
 * own (a server's supervisor) are not waited for.
 */
void agent_exec_run(char *const argv[], unsigned int deadline_s, struct agent_exec *run);
/* Bytes a command printed, made safe for a JSON string and a terminal: control characters and non-ASCII become '?'. */
void agent_exec_clean(char *text, bool multiline);

#endif
