/* What operators are told when a path they gave is not the regular file sheer wanted. */
#ifndef SHEER_VMM_LIB_FILE_KIND_H
#define SHEER_VMM_LIB_FILE_KIND_H

#include <sys/types.h>

/*
 * Why a file of this mode cannot be read as a file, for "WHAT PATH: PROBLEM"
 * lines: "is a directory, not a file", "is a device, not a regular file", ...;
 * NULL for a regular file.
 */
const char *file_kind_problem(mode_t mode);

#endif
