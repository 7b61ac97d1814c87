#include <stddef.h>
#include <sys/stat.h>

#include "vmm/lib/file_kind.h"

const char *file_kind_problem(mode_t mode)
{
	if (S_ISREG(mode))
		return NULL;
	/* The usual slip is the folder instead of the file in it: say so rather than "not a regular file". */
	if (S_ISDIR(mode))
		return "is a directory, not a file";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "is a device, not a regular file";
	if (S_ISFIFO(mode))
		return "is a FIFO, not a regular file";
	if (S_ISSOCK(mode))
		return "is a socket, not a regular file";
	return "not a regular file";
}
