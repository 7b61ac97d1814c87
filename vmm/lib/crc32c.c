#include <stdbool.h>

#include "vmm/lib/crc32c.h"

#define CRC32C_POLY_REFLECTED 0x82f63b78U

static uint32_t crc32c_table_step(uint32_t crc, uint8_t byte)
{
	crc ^= byte;
	for (int bit = 0; bit < 8; bit++)
		crc = (crc >> 1) ^ (CRC32C_POLY_REFLECTED & -(crc & 1));
	return crc;
}

/* Bit-at-a-time fallback: only used on CPUs without SSE4.2, which no KVM host lacks in practice. */
static uint32_t crc32c_portable(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = crc32c_table_step(crc, *p++);
	return crc;
}

/* Guest RAM goes through here: the SSE4.2 instruction does 8 bytes a cycle or so. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	for (; len && ((uintptr_t)p & 7); len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	for (; len >= 8; len -= 8, p += 8)
		c = __builtin_ia32_crc32di(c, *(const uint64_t *)p);
	for (; len; len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	crc = ~crc;
	crc = __builtin_cpu_supports("sse4.2") ? crc32c_sse42(crc, data, len) : crc32c_portable(crc, data, len);
	return ~crc;
}
