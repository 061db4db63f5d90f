/* Software reset through a RAM stub, and Go. */
#include <string.h>

#include "flash_internal.h"

/* ARMv7-M / ARMv6-M: writing VECTKEY 0x05FA with SYSRESETREQ (bit 2) to the
 * Application Interrupt and Reset Control Register resets the whole chip. */
#define AIRCR_ADDRESS    0xE000ED0Cu
#define AIRCR_SYSRESET   0x05FA0004u
/* F030xC/F09x (RM0360 "Empty check"): a chip that booted its bootloader
 * because its flash was blank keeps doing so after a system reset; only an
 * option-byte reload re-reads the flag, and setting FLASH_CR.OBL_LAUNCH
 * (bit 13) does one, which also resets. The bootloader leaves FLASH_CR
 * unlocked after programming (stm32flash's reset for these parts relies on
 * the same). */
#define F0_FLASH_CR      0x40022010u
#define F0_OBL_LAUNCH    0x00002000u

/* Go loads MSP from the first word and jumps to the second, so the stub is a
 * two-word vector table followed by hand-assembled Thumb code that stores
 * one word to one register:
 *   +8  4802      LDR  r0, [pc, #8]    ; r0 = register  (literal at +20)
 *   +10 4903      LDR  r1, [pc, #12]   ; r1 = value     (literal at +24)
 *   +12 6001      STR  r1, [r0]
 *   +14 F3BF 8F4F DSB                  ; the store must land before we spin
 *   +18 E7FE      B    .               ; wait for the reset
 *   +20 literal AIRCR_ADDRESS (F0_FLASH_CR), +24 AIRCR_SYSRESET (F0_OBL_LAUNCH)
 * LDR (literal) reads from Align(PC, 4) + imm8 * 4 with PC = its address + 4:
 * for +8 that is 12 + 2*4 = 20, for +10 it is 12 + 3*4 = 24. */
static const uint16_t reset_code[] = { 0x4802, 0x4903, 0x6001, 0xF3BF, 0x8F4F, 0xE7FE };
#define STUB_CODE_OFFSET 8u
#define STUB_LITERALS_OFFSET 20u
#define STUB_LENGTH 28u

static void put_le32(uint8_t *out, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(value >> (8 * i));
}

size_t stm32_flash_reset_stub(const struct stm32_device *device, uint8_t *buf)
{
	if (device->ram_start % 4 != 0 || device->ram_end < device->ram_start ||
	    device->ram_end - device->ram_start < STUB_LENGTH)
		return 0;
	/* The stub never pushes, but a valid stack keeps a fault at bay: the top
	 * of usable RAM, 8-aligned as the AAPCS wants. */
	put_le32(buf, device->ram_end & ~7u);
	put_le32(buf + 4, (device->ram_start + STUB_CODE_OFFSET) | 1u); /* Thumb bit */
	for (size_t i = 0; i < sizeof(reset_code) / sizeof(reset_code[0]); i++) {
		buf[STUB_CODE_OFFSET + 2 * i] = (uint8_t)(reset_code[i] & 0xFF);
		buf[STUB_CODE_OFFSET + 2 * i + 1] = (uint8_t)(reset_code[i] >> 8);
	}
	bool reload = device->flags & STM32_DEV_OBL_LAUNCH;
	put_le32(buf + STUB_LITERALS_OFFSET, reload ? F0_FLASH_CR : AIRCR_ADDRESS);
	put_le32(buf + STUB_LITERALS_OFFSET + 4, reload ? F0_OBL_LAUNCH : AIRCR_SYSRESET);
	return STUB_LENGTH;
}

enum stm32_status stm32_flash_reset(struct stm32_session *s, struct stm32_error *err)
{
	uint8_t stub[STM32_RESET_STUB_MAX];
	size_t length = stm32_flash_reset_stub(s->device, stub);
	if (length == 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "%s has no free RAM recorded for the reset stub "
				       "(ram 0x%08X-0x%08X)",
				       s->device->name, s->device->ram_start, s->device->ram_end);
	if (s->bl.cmd_write < 0 || s->bl.cmd_go < 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "a software reset needs the Write Memory and Go commands");
	enum stm32_status status = stm32_bl_write_memory(&s->bl, s->device->ram_start, stub, length, err);
	if (status != STM32_OK) {
		stm32_error_command(err, STM32_CMD_WRITE_MEMORY);
		stm32_error_address(err, s->device->ram_start);
		return status;
	}
	return stm32_flash_go(s, s->device->ram_start, err);
}

enum stm32_status stm32_flash_go(struct stm32_session *s, uint32_t address, struct stm32_error *err)
{
	if (address % 4 != 0) {
		stm32_error_set(err, STM32_E_INVALID, "Go address 0x%08X must be a multiple of 4", address);
		stm32_error_address(err, address);
		return STM32_E_INVALID;
	}
	if (s->bl.cmd_go < 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the bootloader offers no Go command");
	enum stm32_status status = stm32_bl_go(&s->bl, address, err);
	if (status != STM32_OK) {
		stm32_error_command(err, STM32_CMD_GO);
		stm32_error_address(err, address);
	}
	return status;
}
