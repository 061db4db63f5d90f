/* The F1 flash program/erase controller (RM0008 §3 and PM0075), also used
 * for F0/F3 (RM0360/RM0316: the same registers plus CR.OBL_LAUNCH):
 *  - KEYR takes KEY1 then KEY2 to clear CR.LOCK; any other write locks the
 *    controller until the next reset;
 *  - CR.PG then a half-word store programs it: PGERR if the half-word is
 *    not erased (unless the value is 0x0000), WRPRTERR if its page is
 *    write protected, EOP when done; BSY for t_prog_us of emulated time;
 *  - CR.PER + AR + STRT erases a page, CR.MER + STRT the whole flash;
 *  - OPTKEYR (same keys) sets CR.OPTWRE; with it CR.OPTER + STRT erases
 *    the option bytes, CR.OPTPG then a half-word store into the option
 *    area programs its low byte, the controller writing the complement
 *    into the high byte (PGERR if the half-word is not erased). Writing
 *    the level-0 RDP value on a chip that was protected at its last reset
 *    mass-erases the flash first (PM0075 unprotection). The option bytes
 *    take effect at the next reset (OBR keeps what the chip holds).
 *  - readout protection: at level 1 (as loaded at the last reset) the
 *    first 4 KiB of flash are write protected (PM0075; WRPRTERR) on F1;
 *    with code not booted from flash (or a debugger) every program and
 *    erase sets PGERR (RM0365, F3; taken for F0/F1 too) and reads fault
 *    in the core.
 *  - XL density (F1 rows over 512 KiB, RM0008): bank 2 (from 512 KiB) has
 *    its own KEYR2 0x44, SR2 0x4C, CR2 0x50, AR2 0x54 with the same bits
 *    (no option bits): its stores, page erases and MER go through them,
 *    bank 1's MER erases bank 1 only, and each register set acts on its
 *    own bank only (an AR out of the bank erases nothing).
 * Emulator choices where RM0008 says nothing: a word store is two half-word
 * programs (low first), a byte store sets PGERR, a store without PG is
 * ignored. Writes to the flash-side bits of a locked CR are ignored. */
#include <string.h>

#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

#define F1_KEYR    0x04u
#define F1_OPTKEYR 0x08u
#define F1_SR      0x0Cu
#define F1_CR      0x10u
#define F1_AR      0x14u
#define F1_OBR     0x1Cu
#define F1_WRPR    0x20u
#define F1_BANK2   0x40u /* KEYR2 0x44, SR2 0x4C, CR2 0x50, AR2 0x54 */
#define XL_BANK1_SIZE (512u * 1024u)
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_BSY      (1u << 0)
#define SR_PGERR    (1u << 2)
#define SR_WRPRTERR (1u << 4)
#define SR_EOP      (1u << 5)
#define CR_PG     (1u << 0)
#define CR_PER    (1u << 1)
#define CR_MER    (1u << 2)
#define CR_OPTPG  (1u << 4)
#define CR_OPTER  (1u << 5)
#define CR_STRT   (1u << 6)
#define CR_LOCK   (1u << 7)
#define CR_OPTWRE (1u << 9)
#define CR_OBL_LAUNCH (1u << 13)

/* One bank's registers: bank 1's live in the controller, bank 2's (XL
 * density) in fc->bank[1]. */
struct f1_regs {
	uint32_t *cr, *sr, *ar, *key_step;
	bool *locked, *locked_until_reset;
	uint64_t *busy_until_ps;
	unsigned bank; /* 0 or 1 */
};

static struct f1_regs regs(struct sim_flashctl *fc, unsigned bank)
{
	if (bank) {
		struct sim_flash_bank *b = &fc->bank[1];
		return (struct f1_regs){&b->cr, &b->sr, &b->ar, &b->key_step, &b->locked,
					&b->locked_until_reset, &b->busy_until_ps, 1};
	}
	return (struct f1_regs){&fc->cr, &fc->sr, &fc->ar, &fc->key_step, &fc->locked,
				&fc->locked_until_reset, &fc->busy_until_ps, 0};
}

static bool xl_density(const struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	return !fc->obl_launch && dev->flash_size > XL_BANK1_SIZE;
}

static unsigned bank_of(const struct sim_flashctl *fc, uint32_t address)
{
	uint32_t start = sim_port_device(fc->chip)->flash_start;
	return xl_density(fc) && address >= start && address - start >= XL_BANK1_SIZE;
}

static bool busy(const struct sim_flashctl *fc, const struct f1_regs *r)
{
	return fc->env->now_ps < *r->busy_until_ps;
}

static void occupy(struct sim_flashctl *fc, const struct f1_regs *r, uint64_t us)
{
	*r->busy_until_ps = fc->env->now_ps + us * 1000000ull;
}

static void changed(struct sim_flashctl *fc, uint32_t address, uint32_t length)
{
	if (fc->flash_changed)
		fc->flash_changed(fc->owner, address, length);
}

static uint32_t read_bank(struct sim_flashctl *fc, unsigned bank, uint32_t offset)
{
	struct f1_regs r = regs(fc, bank);
	switch (offset) {
	case F1_SR: return *r.sr | (busy(fc, &r) ? SR_BSY : 0);
	case F1_CR: return *r.cr | (*r.locked ? CR_LOCK : 0);
	case F1_AR: return *r.ar;
	}
	return 0;
}

uint32_t sim_flash_f1_read(struct sim_flashctl *fc, uint32_t offset)
{
	if (offset > F1_BANK2)
		return xl_density(fc) ? read_bank(fc, 1, offset - F1_BANK2) : 0;
	switch (offset) {
	case F1_OBR: /* RDPRT (bit 1) and USER bits all 1; no option error */
		return (sim_port_rdp_level(fc->chip) ? 2u : 0u) | 0xFFu << 2;
	case F1_WRPR: return 0xFFFFFFFFu; /* write protection not decoded here */
	}
	return read_bank(fc, 0, offset);
}

/* Two keys in order, else the bank is locked until reset (bank 1's lock
 * takes OPTWRE with it). */
static bool key_sequence(const struct f1_regs *r, uint32_t *step, uint32_t value)
{
	if (*step == 0 && value == KEY1) {
		*step = 1;
		return false;
	}
	if (*step == 1 && value == KEY2) {
		*step = 0;
		return true;
	}
	*step = 0;
	*r->locked_until_reset = true;
	*r->locked = true;
	*r->cr &= ~CR_OPTWRE;
	return false;
}

#define OPT_MAX 64u

static void erase_options(struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t image[OPT_MAX];
	if (!(fc->cr & CR_OPTWRE) || dev->opt_size > OPT_MAX)
		return;
	memset(image, 0xFF, sizeof(image));
	if (!sim_port_write_options(fc->chip, image, dev->opt_size))
		return;
	struct f1_regs r = regs(fc, 0);
	occupy(fc, &r, 1000ull * sim_port_erase_ms(fc->chip, 1024));
	fc->sr |= SR_EOP;
}

/* F1 only: RDP at level 1 keeps the first 4 KiB write protected until a
 * reset loads level 0 (PM0075; F0/F3 have no such rule). */
static bool rdp_first_pages(const struct sim_flashctl *fc, uint32_t address)
{
	uint32_t start = sim_port_device(fc->chip)->flash_start;
	return !fc->obl_launch && fc->rdp_at_reset > 0 && address >= start && address - start < 4096u;
}

/* MER: the whole flash, or on XL density the bank of r only (protected
 * pages are left, as the chip model's mass erase leaves them). */
static void mass_erase(struct sim_flashctl *fc, const struct f1_regs *r)
{
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	uint32_t from = 0, to = m.flash_size;
	if (!xl_density(fc)) {
		sim_port_erase_all(fc->chip);
	} else {
		from = r->bank ? XL_BANK1_SIZE : 0;
		to = r->bank ? m.flash_size : XL_BANK1_SIZE;
		for (uint32_t at = from; at < to;) {
			uint32_t page, size;
			long index = stm32_device_sector_at(sim_port_device(fc->chip), m.flash_start + at);
			if (index < 0 || !stm32_device_sector(sim_port_device(fc->chip), (size_t)index, &page, &size))
				break;
			sim_port_erase_page(fc->chip, (uint32_t)index, &page, &size);
			at = page - m.flash_start + size;
		}
	}
	changed(fc, m.flash_start + from, to - from);
	occupy(fc, r, 1000ull * sim_port_mass_ms(fc->chip));
	*r->sr |= SR_EOP;
}

static void erase_page(struct sim_flashctl *fc, const struct f1_regs *r)
{
	uint32_t ar = *r->ar;
	if (!sim_port_in_flash(fc->chip, ar, 1) || bank_of(fc, ar) != r->bank)
		return;
	if (sim_port_protected(fc->chip, ar) || rdp_first_pages(fc, ar)) {
		*r->sr |= SR_WRPRTERR;
		return;
	}
	uint32_t page, size;
	if (!sim_port_erase_page_at(fc->chip, ar, &page, &size))
		return;
	changed(fc, page, size);
	occupy(fc, r, 1000ull * sim_port_erase_ms(fc->chip, size));
	*r->sr |= SR_EOP;
}

static void start(struct sim_flashctl *fc, const struct f1_regs *r)
{
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	uint32_t cr = *r->cr;
	if (r->bank == 0 && (cr & CR_OPTER)) {
		erase_options(fc);
	} else if (fc->rdp_blocked && (cr & (CR_MER | CR_PER))) {
		*r->sr |= SR_PGERR;
	} else if ((cr & CR_MER) && r->bank == 0 && rdp_first_pages(fc, m.flash_start)) {
		*r->sr |= SR_WRPRTERR;
	} else if (cr & CR_MER) {
		mass_erase(fc, r);
	} else if (cr & CR_PER) {
		erase_page(fc, r);
	}
}

static void write_cr(struct sim_flashctl *fc, const struct f1_regs *r, uint32_t value)
{
	if (*r->locked)
		return;
	if (value & CR_LOCK) {
		*r->locked = true;
		*r->cr &= ~CR_OPTWRE;
	}
	uint32_t stored = CR_PG | CR_PER | CR_MER | 0x1C00u;
	if (r->bank == 0)
		stored |= CR_OPTPG | CR_OPTER;
	uint32_t keep_optwre = (value & CR_OPTWRE) ? *r->cr & CR_OPTWRE : 0; /* set only by keys */
	*r->cr = (value & stored) | keep_optwre;
	if (r->bank == 0 && fc->obl_launch && (value & CR_OBL_LAUNCH))
		sim_env_request_reset(fc->env, SIM_RESET_OBL_LAUNCH);
	if ((value & CR_STRT) && !busy(fc, r))
		start(fc, r);
}

static void write_bank(struct sim_flashctl *fc, unsigned bank, uint32_t offset, uint32_t value)
{
	struct f1_regs r = regs(fc, bank);
	switch (offset) {
	case F1_KEYR:
		if (!*r.locked_until_reset && key_sequence(&r, r.key_step, value))
			*r.locked = false;
		break;
	case F1_OPTKEYR:
		if (bank == 0 && !fc->locked && key_sequence(&r, &fc->optkey_step, value))
			fc->cr |= CR_OPTWRE;
		break;
	case F1_SR: *r.sr &= ~(value & (SR_PGERR | SR_WRPRTERR | SR_EOP)); break;
	case F1_CR: write_cr(fc, &r, value); break;
	case F1_AR:
		if (!busy(fc, &r))
			*r.ar = value;
		break;
	default: break;
	}
}

void sim_flash_f1_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value)
{
	if (offset > F1_BANK2) {
		if (xl_density(fc))
			write_bank(fc, 1, offset - F1_BANK2, value);
		return;
	}
	write_bank(fc, 0, offset, value);
}

static void program_halfword(struct sim_flashctl *fc, const struct f1_regs *r, uint32_t address,
			     uint16_t value)
{
	if (fc->rdp_blocked) {
		*r->sr |= SR_PGERR;
		return;
	}
	if (sim_port_protected(fc->chip, address) || rdp_first_pages(fc, address)) {
		*r->sr |= SR_WRPRTERR;
		return;
	}
	uint8_t old[2];
	sim_port_read(fc->chip, address, old, 2);
	if ((old[0] != 0xFF || old[1] != 0xFF) && value != 0) {
		*r->sr |= SR_PGERR;
		return;
	}
	const uint8_t data[2] = {(uint8_t)value, (uint8_t)(value >> 8)};
	if (!sim_port_program(fc->chip, address, data, 2)) {
		*r->sr |= SR_PGERR;
		return;
	}
	changed(fc, address, 2);
	occupy(fc, r, sim_port_program_us(fc->chip));
	*r->sr |= SR_EOP;
}

void sim_flash_f1_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	struct f1_regs r = regs(fc, bank_of(fc, address));
	if (*r.locked || !(*r.cr & CR_PG))
		return;
	if (size == 1 || address % 2 != 0) {
		*r.sr |= SR_PGERR;
		return;
	}
	program_halfword(fc, &r, address, (uint16_t)value);
	if (size == 4)
		program_halfword(fc, &r, address + 2, (uint16_t)(value >> 16));
}

static void unprotect(struct sim_flashctl *fc)
{
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	sim_port_erase_all(fc->chip);
	changed(fc, m.flash_start, m.flash_size);
	struct f1_regs r = regs(fc, 0);
	occupy(fc, &r, 1000ull * sim_port_mass_ms(fc->chip));
}

/* OPTPG: the low byte as stored, the high byte its complement. */
static void program_option(struct sim_flashctl *fc, uint32_t offset, uint8_t value)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t image[OPT_MAX];
	if (dev->opt_size > OPT_MAX || offset + 1 >= dev->opt_size)
		return;
	sim_port_read(fc->chip, dev->opt_start, image, dev->opt_size);
	if (image[offset] != 0xFF || image[offset + 1] != 0xFF) {
		fc->sr |= SR_PGERR;
		return;
	}
	if ((int)offset == dev->rdp_offset && value == dev->rdp_level0 && fc->rdp_at_reset > 0)
		unprotect(fc);
	image[offset] = value;
	image[offset + 1] = (uint8_t)~value;
	sim_port_write_options(fc->chip, image, dev->opt_size);
	struct f1_regs r = regs(fc, 0);
	occupy(fc, &r, sim_port_program_us(fc->chip));
	fc->sr |= SR_EOP;
}

void sim_flash_f1_option_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	if (fc->locked || !(fc->cr & CR_OPTPG) || !(fc->cr & CR_OPTWRE))
		return; /* as a flash store without PG: nothing happens */
	if (size == 1 || address % 2 != 0) {
		fc->sr |= SR_PGERR;
		return;
	}
	uint32_t offset = address - sim_port_device(fc->chip)->opt_start;
	program_option(fc, offset, (uint8_t)value);
	if (size == 4)
		program_option(fc, offset + 2, (uint8_t)(value >> 16));
}

/* RM0008 FLASH_CR: EOPIE (bit 12) raises the flash interrupt on EOP, ERRIE
 * (bit 10) on PGERR or WRPRTERR; each bank of an XL part its own. EOP is
 * set when an operation starts here, so the line waits for its end. */
bool sim_flash_f1_irq(const struct sim_flashctl *fc)
{
	for (unsigned bank = 0; bank < (xl_density(fc) ? 2u : 1u); bank++) {
		uint32_t cr = bank ? fc->bank[1].cr : fc->cr, sr = bank ? fc->bank[1].sr : fc->sr;
		uint64_t until = bank ? fc->bank[1].busy_until_ps : fc->busy_until_ps;
		if (fc->env->now_ps < until)
			continue;
		if (((cr & (1u << 12)) && (sr & SR_EOP)) || ((cr & (1u << 10)) && (sr & (SR_PGERR | SR_WRPRTERR))))
			return true;
	}
	return false;
}

/* When the bank holding address is free again (now when it is). */
uint64_t sim_flash_f1_busy_until(const struct sim_flashctl *fc, uint32_t address)
{
	return bank_of(fc, address) ? fc->bank[1].busy_until_ps : fc->busy_until_ps;
}
