/* CRC-32C (Castagnoli), the checksum of every state section sheer writes. */
#ifndef SHEER_VMM_LIB_CRC32C_H
#define SHEER_VMM_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over data; start with 0. crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
