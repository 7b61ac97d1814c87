/* The host's memory as /proc/meminfo counts it. */
#ifndef SHEER_VMM_LIB_MEMINFO_H
#define SHEER_VMM_LIB_MEMINFO_H

#include <stdint.h>

/* The line "key: N kB" in bytes ("MemTotal", "MemAvailable"); -ENODATA when there is none. */
int meminfo_read(const char *key, uint64_t *bytes);

#endif
