/* Reading text files a user controls one bounded line at a time. */
#ifndef SHEER_VMM_LIB_LINE_READER_H
#define SHEER_VMM_LIB_LINE_READER_H

#include <stdio.h>
#include <sys/types.h>

/*
 * The next line of f into buf (size bytes, NUL-terminated, newline kept):
 * its length; 0 at end of file; -E2BIG as soon as the line is longer than
 * size - 1 (nothing more of it is read, so a 1 GiB line costs nothing);
 * -errno (-EIO when the stream does not say) on a read error.
 */
ssize_t line_read(FILE *f, char *buf, size_t size);

#endif
