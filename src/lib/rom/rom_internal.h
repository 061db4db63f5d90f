/* Private to src/lib/rom: the ROM back end's pieces (session, Go and reset,
 * the descriptor) as rom_target.c assembles them. */
#ifndef STM32BOOT_ROM_INTERNAL_H
#define STM32BOOT_ROM_INTERNAL_H

#include "rom/rom_protocol.h"
#include "rom/rom_session.h"
#include "stm32boot/rom.h"
#include "stm32boot/target.h"

/* rom_reset.c: the reset stub written to RAM and started; Go (0x21). */
enum stm32_status rom_reset(struct stm32_session *s, struct stm32_error *err);
enum stm32_status rom_go(struct stm32_session *s, uint32_t address, struct stm32_error *err);

/* rom_describe.c: what a bootloader with bl's opcodes can do and costs. */
void rom_describe_bl(const struct stm32_device *device, const struct stm32_bl *bl, unsigned baud,
		     struct stm32_target_desc *out);

/* rom_target.c: a connected session as a target (stm32_rom_open connects
 * first; unit tests hand over a session they set up themselves), and the
 * descriptor and facts brought in line with a session that changed. */
enum stm32_status rom_target_wrap(const struct stm32_session *session,
				  const struct stm32_rom_options *opts, struct stm32_target **out,
				  struct stm32_error *err);
void rom_target_refresh(struct stm32_target *t);

#endif
