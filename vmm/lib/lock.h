/* Exclusive advisory locks that serialise sheer processes on shared state. */
#ifndef SHEER_VMM_LIB_LOCK_H
#define SHEER_VMM_LIB_LOCK_H

#include <sys/types.h>

/*
 * Open path (open(2) flags and mode) and take an exclusive flock on it,
 * waiting for other holders. Returns the locked fd (close it to unlock) or
 * a negative errno.
 */
int lock_open_exclusive(const char *path, int flags, mode_t mode);
/* The same without waiting: -EWOULDBLOCK while someone else holds it. */
int lock_try_open_exclusive(const char *path, int flags, mode_t mode);

#endif
