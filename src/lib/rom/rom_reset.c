/* The ROM back end's software reset (a stub in RAM started with Go), and Go. */
#include <string.h>

#include "rom/rom_internal.h"

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

/* L45x/L46x keep the empty-check flag in FLASH_SR.PEMPTY (bit 17), which
 * software toggles by writing 1: cleared only if set, it lets the system
 * reset after it boot the program just written. */
#define L4_FLASH_SR      0x40022010u
#define L4_PEMPTY        0x00020000u

/* Go loads MSP from the first word and jumps to the second, so a stub is a
 * two-word vector table followed by hand-assembled Thumb code and its
 * literals. LDR (literal) reads from Align(PC, 4) + imm8 * 4, with PC = its
 * own address + 4.
 *
 * One store, then wait for the reset it causes:
 *   +8  4802      LDR  r0, [pc, #8]    ; r0 = register  (literal at +20)
 *   +10 4903      LDR  r1, [pc, #12]   ; r1 = value     (literal at +24)
 *   +12 6001      STR  r1, [r0]
 *   +14 F3BF 8F4F DSB                  ; the store must land before we spin
 *   +18 E7FE      B    .
 * with AIRCR_ADDRESS, AIRCR_SYSRESET (or F0_FLASH_CR, F0_OBL_LAUNCH). */
static const uint16_t store_and_wait[] = { 0x4802, 0x4903, 0x6001, 0xF3BF, 0x8F4F, 0xE7FE };

/* Clear PEMPTY if set, then SYSRESETREQ:
 *   +8  4805      LDR  r0, [pc, #20]   ; FLASH_SR       (literal at +32)
 *   +10 4906      LDR  r1, [pc, #24]   ; PEMPTY         (literal at +36)
 *   +12 6802      LDR  r2, [r0]
 *   +14 400A      ANDS r2, r1          ; 1 only where PEMPTY is set
 *   +16 6002      STR  r2, [r0]        ; toggles it to 0; other bits are w1c
 *   +18 4805      LDR  r0, [pc, #20]   ; AIRCR          (literal at +40)
 *   +20 4905      LDR  r1, [pc, #20]   ; key | reset    (literal at +44)
 *   +22 6001      STR  r1, [r0]
 *   +24 F3BF 8F4F DSB
 *   +28 E7FE      B    .
 *   +30 BF00      NOP                  ; literals word-aligned */
static const uint16_t clear_pempty_and_reset[] = { 0x4805, 0x4906, 0x6802, 0x400A, 0x6002, 0x4805,
						   0x4905, 0x6001, 0xF3BF, 0x8F4F, 0xE7FE, 0xBF00 };

/* G0, WB and WL (RM0444 §3.7.1 FLASH_ACR, RM0434, RM0453) latch their
 * empty check in FLASH_ACR.EMPTY (bit 16) at power-on and option-byte
 * loading; a system reset keeps it, so a chip that booted its bootloader
 * because the flash was blank would boot it again. Software may clear the
 * bit: the same stub as above with BICS where it has ANDS (+14 438A), then
 * SYSRESETREQ boots the program just written. */
#define G0_FLASH_ACR     0x40022000u
#define WB_FLASH_ACR     0x58004000u
#define ACR_EMPTY        0x00010000u
static const uint16_t clear_acr_empty_and_reset[] = { 0x4805, 0x4906, 0x6802, 0x438A, 0x6002, 0x4805,
						      0x4905, 0x6001, 0xF3BF, 0x8F4F, 0xE7FE, 0xBF00 };
#define STUB_CODE_OFFSET 8u

/* Where the family keeps FLASH_ACR with its EMPTY latch, or 0. */
static uint32_t empty_latch_register(const struct stm32_device *device)
{
	if (strcmp(device->family, "G0") == 0)
		return G0_FLASH_ACR;
	if (strcmp(device->family, "WB") == 0 || strcmp(device->family, "WL") == 0)
		return WB_FLASH_ACR;
	return 0;
}

static void put_le32(uint8_t *out, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(value >> (8 * i));
}

/* Vector table, code, literals; the length, or 0 when RAM has no room. */
static size_t build_stub(const struct stm32_device *device, const uint16_t *code, size_t halfwords,
			 const uint32_t *literals, size_t literal_count, uint8_t *buf)
{
	size_t literals_offset = STUB_CODE_OFFSET + 2 * halfwords;
	size_t length = literals_offset + 4 * literal_count;
	if (literals_offset % 4 != 0 || length > STM32_RESET_STUB_MAX || device->ram_start % 4 != 0 ||
	    device->ram_end < device->ram_start || device->ram_end - device->ram_start < length)
		return 0;
	/* The stub never pushes, but a valid stack keeps a fault at bay: the top
	 * of usable RAM, 8-aligned as the AAPCS wants. */
	put_le32(buf, device->ram_end & ~7u);
	put_le32(buf + 4, (device->ram_start + STUB_CODE_OFFSET) | 1u); /* Thumb bit */
	for (size_t i = 0; i < halfwords; i++) {
		buf[STUB_CODE_OFFSET + 2 * i] = (uint8_t)(code[i] & 0xFF);
		buf[STUB_CODE_OFFSET + 2 * i + 1] = (uint8_t)(code[i] >> 8);
	}
	for (size_t i = 0; i < literal_count; i++)
		put_le32(buf + literals_offset + 4 * i, literals[i]);
	return length;
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

size_t stm32_rom_reset_stub(const struct stm32_device *device, uint8_t *buf)
{
	if (device->flags & STM32_DEV_PEMPTY) {
		static const uint32_t literals[] = { L4_FLASH_SR, L4_PEMPTY, AIRCR_ADDRESS, AIRCR_SYSRESET };
		return build_stub(device, clear_pempty_and_reset, COUNT(clear_pempty_and_reset), literals,
				  COUNT(literals), buf);
	}
	uint32_t acr = empty_latch_register(device);
	if (acr) {
		const uint32_t literals[] = { acr, ACR_EMPTY, AIRCR_ADDRESS, AIRCR_SYSRESET };
		return build_stub(device, clear_acr_empty_and_reset, COUNT(clear_acr_empty_and_reset),
				  literals, COUNT(literals), buf);
	}
	if (device->flags & STM32_DEV_OBL_LAUNCH) {
		static const uint32_t literals[] = { F0_FLASH_CR, F0_OBL_LAUNCH };
		return build_stub(device, store_and_wait, COUNT(store_and_wait), literals, COUNT(literals),
				  buf);
	}
	static const uint32_t literals[] = { AIRCR_ADDRESS, AIRCR_SYSRESET };
	return build_stub(device, store_and_wait, COUNT(store_and_wait), literals, COUNT(literals), buf);
}

enum stm32_status rom_reset(struct stm32_session *s, struct stm32_error *err)
{
	uint8_t stub[STM32_RESET_STUB_MAX];
	size_t length = stm32_rom_reset_stub(s->device, stub);
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
	return rom_go(s, s->device->ram_start, err);
}

enum stm32_status rom_go(struct stm32_session *s, uint32_t address, struct stm32_error *err)
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
