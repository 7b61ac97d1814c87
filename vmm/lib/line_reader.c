#include <errno.h>

#include "vmm/lib/line_reader.h"

ssize_t line_read(FILE *f, char *buf, size_t size)
{
	size_t len = 0;
	int c;

	errno = 0;
	while ((c = getc(f)) != EOF) {
		if (len + 1 >= size)
			return -E2BIG;
		buf[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	buf[len] = '\0';
	return (ssize_t)len;
}
