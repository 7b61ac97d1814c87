/* Little-endian numbers of SIZE bytes in a byte buffer (state section headers, migration messages). */
#ifndef SHEER_VMM_LIB_LE_H
#define SHEER_VMM_LIB_LE_H

#include <stdint.h>

static inline void le_put(uint8_t *p, uint64_t v, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t le_get(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
