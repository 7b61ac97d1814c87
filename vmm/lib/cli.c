#include <stdarg.h>
#include <stdio.h>

#include "vmm/lib/cli.h"

/*
 * One write for the whole line: the VMM's threads and processes share stderr,
 * and a line written in pieces could take another's in its middle (CI saw a
 * warning and a receive's last line on one line).
 */
void cli_error(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sheer: %s\n", line);
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("sheer %s\n", SHEER_VERSION);
	return SHEER_EXIT_OK;
}
