/* Time for measuring and deadlines: CLOCK_MONOTONIC, never the wall clock. */
#ifndef SHEER_VMM_LIB_CLOCK_H
#define SHEER_VMM_LIB_CLOCK_H

#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t clock_monotonic_ns(void);
/* Sleep ms milliseconds (polling loops). */
void clock_sleep_ms(unsigned int ms);

#endif
