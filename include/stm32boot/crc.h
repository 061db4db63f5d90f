/* libstm32boot: the STM32 CRC unit's checksum, as the chip computes it. */
#ifndef STM32BOOT_CRC_H
#define STM32BOOT_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The STM32 CRC unit's CRC-32 (poly 0x04C11DB7, MSB first, 32-bit little-
 * endian words, no final XOR). Start with crc = 0xFFFFFFFF; length must be a
 * multiple of 4. */
uint32_t stm32_crc32(uint32_t crc, const uint8_t *data, size_t length);

#ifdef __cplusplus
}
#endif
#endif
