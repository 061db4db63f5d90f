/* Byte helpers the emulator's parts share: the wire and the image file are
 * little or big endian by field, and several places ask whether memory reads
 * erased. One definition each, so the parts cannot drift apart. */
#ifndef STM32SIM_BYTES_H
#define STM32SIM_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t sim_get_le32(const uint8_t *p);
void sim_put_le32(uint8_t *p, uint32_t value);
uint32_t sim_get_be32(const uint8_t *p);
/* XOR of all bytes: the AN3155 frame checksum. */
uint8_t sim_xor(const uint8_t *data, size_t length);
/* True when every byte is 0xFF (erased flash); true for length 0. */
bool sim_all_ff(const uint8_t *data, size_t length);

#endif
