/* Private to src/lib/rom: the framing helpers protocol.c gives
 * protocol_memory.c (bytes on the wire, ACKs, checksummed words, error
 * annotation). */
#ifndef STM32BOOT_ROM_PROTOCOL_INTERNAL_H
#define STM32BOOT_ROM_PROTOCOL_INTERNAL_H

#include "rom/rom_protocol.h"

#define CRC_POLYNOMIAL 0x04C11DB7u
#define CRC_INITIAL 0xFFFFFFFFu

unsigned rom_wire_ms(const struct stm32_bl *bl, size_t bytes);
unsigned rom_saturating_add(unsigned a, unsigned b);
enum stm32_status rom_receive(struct stm32_bl *bl, uint8_t *data, size_t length,
				 unsigned timeout_ms, const char *what, struct stm32_error *err);
enum stm32_status rom_receive_more(struct stm32_bl *bl, uint8_t *data, size_t length,
				      unsigned timeout_ms, const char *what, struct stm32_error *err);
enum stm32_status rom_expect_ack(struct stm32_bl *bl, unsigned timeout_ms, const char *stage,
				    struct stm32_error *err);
enum stm32_status rom_send_and_ack(struct stm32_bl *bl, const uint8_t *data, size_t length,
				      unsigned timeout_ms, const char *stage,
				      struct stm32_error *err);
enum stm32_status rom_send_command(struct stm32_bl *bl, uint8_t opcode, struct stm32_error *err);
uint8_t rom_xor_of(const uint8_t *data, size_t length);
void rom_put_be32(uint8_t *p, uint32_t value);
enum stm32_status rom_send_word(struct stm32_bl *bl, uint32_t value, unsigned timeout_ms,
				   const char *stage, struct stm32_error *err);
enum stm32_status rom_send_address(struct stm32_bl *bl, uint32_t address,
				      struct stm32_error *err);
enum stm32_status rom_annotate(struct stm32_error *err, enum stm32_status st, int opcode,
				  bool has_address, uint32_t address);
enum stm32_status rom_require(const struct stm32_bl *bl, int opcode, const char *what,
				 struct stm32_error *err);

#endif
