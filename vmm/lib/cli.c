#include <stdarg.h>
#include <stdio.h>

#include "vmm/lib/cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sheer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("sheer %s\n", SHEER_VERSION);
	return SHEER_EXIT_OK;
}
