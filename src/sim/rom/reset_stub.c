/* What a Go into RAM runs: the emulator has no CPU, so it recognises the few
 * stubs hosts use to reset the chip by the constants they hold. */
#include "base/bytes.h"
#include "rom/rom_private.h"

/* What a Go into RAM runs, judged by the constants in its first 64 bytes:
 * AIRCR with VECTKEY|SYSRESETREQ; the F0 FLASH_CR with OBL_LAUNCH; or the L4
 * FLASH_SR (the same address) with PEMPTY, then SYSRESETREQ. */
enum reset_stub rom_reset_stub_at(const struct sim_chip *chip, uint32_t address)
{
	bool sysresetreq = false, aircr = false, obl_launch = false, flash_reg = false;
	bool pempty = false;
	uint32_t end = SIM_RAM_BASE + chip->ram_size;
	for (uint32_t a = address & ~3u; a + 4 <= end && a < address + 64; a += 4) {
		uint32_t word = sim_get_le32(chip->ram + (a - SIM_RAM_BASE));
		sysresetreq |= word == 0x05FA0004u;
		aircr |= word == 0xE000ED0Cu;
		obl_launch |= word == 0x00002000u;
		pempty |= word == 0x00020000u;
		flash_reg |= word == 0x40022010u;
	}
	if (obl_launch && flash_reg)
		return OBL_LAUNCH_STUB;
	if (!sysresetreq || !aircr)
		return NO_STUB;
	return pempty && flash_reg ? PEMPTY_CLEAR_STUB : SYSRESETREQ_STUB;
}
