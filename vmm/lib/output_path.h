/* Files a command will write when its work is done, checked before the work starts. */
#ifndef SHEER_VMM_LIB_OUTPUT_PATH_H
#define SHEER_VMM_LIB_OUTPUT_PATH_H

#include <stddef.h>

/*
 * Whether a file can be written at path: not a directory, in a directory that exists and
 * the caller may create files in (or an existing file it may write). Creates nothing.
 * Returns 0, or a negative errno with one phrase in why ("directory /x does not exist").
 */
int output_path_check(const char *path, char *why, size_t why_len);

#endif
