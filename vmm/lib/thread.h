/* Threads of the VMM: vCPUs, console, control socket, signals. */
#ifndef SHEER_VMM_LIB_THREAD_H
#define SHEER_VMM_LIB_THREAD_H

#include <pthread.h>

/*
 * Start fn(arg) on a small stack, pinned to host_cpu when host_cpu >= 0.
 * Returns 0 or a negative errno.
 */
int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, int host_cpu);

#endif
