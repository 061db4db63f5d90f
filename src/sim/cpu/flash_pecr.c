/* The PECR flash controller of L0 (RM0377 §3, at 0x40022000) and L1
 * (RM0038 §3, at 0x40023C00), program memory and option bytes:
 *  - three locks: PEKEYR 0x89ABCDEF, 0x02030405 clears PECR.PELOCK (PECR
 *    is read-only while it is set); then PRGKEYR 0x8C9DAEBF, 0x13141516
 *    clears PRGLOCK (program memory) and OPTKEYR 0xFBEAD9C8, 0x24252627
 *    OPTLOCK (option bytes). A wrong key, or a PRGKEYR/OPTKEYR write with
 *    PELOCK set, is a bus error and locks everything until reset. Setting
 *    PELOCK locks all three again;
 *  - a word store into flash programs it (SIZERR for a byte or half-word,
 *    PGAERR when not word-aligned, WRPERR when PRGLOCK is set or the page
 *    is write-protected; L0 NOTZEROERR when the word is already
 *    programmed, and nothing is written);
 *  - PROG + FPRG then one word store after the other over a half page
 *    (L0 64 bytes, L1 128) programs it at once after the last one; a first
 *    store off the half-page boundary or a store out of sequence is
 *    PGAERR and the half page is dropped;
 *  - PROG + ERASE then a word store into a page erases that page;
 *  - BSY for t_prog_us (one word or one half page) or the row's page
 *    erase time, EOP at the end (ENDHV and READY read 1 when idle);
 *  - erased flash reads 0 (stm32_device_erased_byte): that is what the
 *    L0's NOTZEROERR check looks for;
 *  - with OPTLOCK clear a word store into the option area (0x1FF80000)
 *    writes that option word, value in the low half-word and its
 *    complement in the high one as the program gives them; the level-0
 *    RDP value (0xAA) over level 1 mass-erases the flash first; at level 2
 *    nothing changes (WRPERR). OPTR (L1 OBR) and WRPR read the low halves
 *    of option words 0-1 and 2-3. PECR.OBL_LAUNCH with OPTLOCK clear
 *    reloads them through a reset.
 * Not modelled: the data EEPROM (no device row has one: PECR.DATA stores
 * count as unmodelled), the
 * FIX bit, FWWERR (a flash fetch during a half-page write), OPTVERR, the
 * L1 cat.4/5 parallel bank mode, PCROP. */
#include <string.h>

#include "cpu/flash_keys.h"
#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

#define PE_PECR    0x04u
#define PE_PEKEYR  0x0Cu
#define PE_PRGKEYR 0x10u
#define PE_OPTKEYR 0x14u
#define PE_SR      0x18u
#define PE_OPTR    0x1Cu
#define PE_WRPR    0x20u
#define PEKEY1  0x89ABCDEFu
#define PEKEY2  0x02030405u
#define PRGKEY1 0x8C9DAEBFu
#define PRGKEY2 0x13141516u
#define OPTKEY1 0xFBEAD9C8u
#define OPTKEY2 0x24252627u
#define PECR_PELOCK  (1u << 0)
#define PECR_PRGLOCK (1u << 1)
#define PECR_OPTLOCK (1u << 2)
#define PECR_PROG    (1u << 3)
#define PECR_DATA    (1u << 4)
#define PECR_FIX     (1u << 8)
#define PECR_ERASE   (1u << 9)
#define PECR_FPRG    (1u << 10)
#define PECR_EOPIE   (1u << 16)
#define PECR_ERRIE   (1u << 17)
#define PECR_OBL_LAUNCH (1u << 18)
#define PECR_STORED (PECR_PROG | PECR_DATA | PECR_FIX | PECR_ERASE | PECR_FPRG | PECR_EOPIE | PECR_ERRIE)
#define SR_BSY     (1u << 0)
#define SR_EOP     (1u << 1)
#define SR_ENDHV   (1u << 2)
#define SR_READY   (1u << 3)
#define SR_WRPERR  (1u << 8)
#define SR_PGAERR  (1u << 9)
#define SR_SIZERR  (1u << 10)
#define SR_OPTVERR (1u << 11)
#define SR_NOTZEROERR (1u << 16)
#define SR_FWWERR  (1u << 17)
#define SR_W1C (SR_EOP | SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_OPTVERR | SR_NOTZEROERR | SR_FWWERR)
#define RDP_LEVEL0 0xAAu
#define OPT_MAX 64u

void sim_flash_pecr_reset(struct sim_flashctl *fc, const char *family)
{
	bool l0 = strcmp(family, "L0") == 0;
	fc->prglocked = true;
	fc->half_page = l0 ? 64u : 128u;
	fc->notzero_check = l0;
}

static bool busy(const struct sim_flashctl *fc)
{
	return fc->env->now_ps < fc->busy_until_ps;
}

static void finish(struct sim_flashctl *fc, uint64_t us)
{
	fc->busy_until_ps = fc->env->now_ps + us * 1000000ull;
	fc->sr |= SR_EOP;
}

static void changed(struct sim_flashctl *fc, uint32_t address, uint32_t length)
{
	if (fc->flash_changed)
		fc->flash_changed(fc->owner, address, length);
}

/* Low half-words of option words k and k + 1: OPTR/OBR and WRPR. */
static uint32_t option_halves(const struct sim_flashctl *fc, unsigned k)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t b[8] = {0};
	if (dev->opt_start && 4u * k + 8u <= dev->opt_size)
		sim_port_read(fc->chip, dev->opt_start + 4u * k, b, sizeof(b));
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
}

uint32_t sim_flash_pecr_read(struct sim_flashctl *fc, uint32_t offset)
{
	switch (offset) {
	case PE_PECR:
		return fc->cr | (fc->locked ? PECR_PELOCK : 0) | (fc->prglocked ? PECR_PRGLOCK : 0) |
		       (fc->optlocked ? PECR_OPTLOCK : 0);
	case PE_SR: return fc->sr | SR_READY | (busy(fc) ? SR_BSY : SR_ENDHV);
	case PE_OPTR: return option_halves(fc, 0);
	case PE_WRPR: return option_halves(fc, 2);
	}
	return 0;
}

static void lock_until_reset(struct sim_flashctl *fc)
{
	fc->locked_until_reset = true;
	fc->locked = fc->prglocked = fc->optlocked = true;
	sim_env_request_fault(fc->env, "bus error: wrong flash key sequence", 0);
}

static void write_key(struct sim_flashctl *fc, uint32_t *step, uint32_t value, uint32_t k1,
		      uint32_t k2, bool *lock)
{
	if (fc->locked_until_reset)
		return;
	if (lock != &fc->locked && fc->locked) {
		lock_until_reset(fc); /* PRGKEYR/OPTKEYR before PECR is unlocked */
		return;
	}
	switch (sim_flash_key_step(step, value, k1, k2)) {
	case SIM_KEY_PENDING: break;
	case SIM_KEY_DONE: *lock = false; break;
	case SIM_KEY_WRONG: lock_until_reset(fc); break;
	}
}

static void write_pecr(struct sim_flashctl *fc, uint32_t value)
{
	if (fc->locked)
		return;
	if ((value & (PECR_ERASE | PECR_FPRG)) != (fc->cr & (PECR_ERASE | PECR_FPRG)))
		fc->latch_count = 0; /* a half page in progress is dropped */
	fc->cr = value & PECR_STORED;
	if (value & PECR_PELOCK)
		fc->locked = fc->prglocked = fc->optlocked = true;
	if (value & PECR_PRGLOCK)
		fc->prglocked = true;
	if (value & PECR_OPTLOCK)
		fc->optlocked = true;
	if ((value & PECR_OBL_LAUNCH) && !fc->optlocked)
		sim_env_request_reset(fc->env, SIM_RESET_OBL_LAUNCH);
}

void sim_flash_pecr_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case PE_PECR: write_pecr(fc, value); break;
	case PE_PEKEYR: write_key(fc, &fc->key_step, value, PEKEY1, PEKEY2, &fc->locked); break;
	case PE_PRGKEYR: write_key(fc, &fc->prgkey_step, value, PRGKEY1, PRGKEY2, &fc->prglocked); break;
	case PE_OPTKEYR: write_key(fc, &fc->optkey_step, value, OPTKEY1, OPTKEY2, &fc->optlocked); break;
	case PE_SR: fc->sr &= ~(value & SR_W1C); break;
	default: break;
	}
}

static bool erased(const struct sim_flashctl *fc, uint32_t address, uint32_t length)
{
	uint8_t b[SIM_FLASH_LATCH_BYTES];
	uint8_t blank = stm32_device_erased_byte(sim_port_device(fc->chip));
	sim_port_read(fc->chip, address, b, length);
	for (uint32_t i = 0; i < length; i++)
		if (b[i] != blank)
			return false;
	return true;
}

/* Program length bytes at address (a word or a half page, one page). */
static void program(struct sim_flashctl *fc, uint32_t address, const uint8_t *data, uint32_t length)
{
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	if (fc->notzero_check && !erased(fc, address, length)) {
		fc->sr |= SR_NOTZEROERR;
		return;
	}
	sim_port_program(fc->chip, address, data, length);
	changed(fc, address, length);
	finish(fc, sim_port_program_us(fc->chip));
}

static void erase_page(struct sim_flashctl *fc, uint32_t address)
{
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	uint32_t page, size;
	if (!sim_port_erase_page_at(fc->chip, address, &page, &size))
		return;
	changed(fc, page, size);
	finish(fc, 1000ull * sim_port_erase_ms(fc->chip, size));
}

static void half_page_store(struct sim_flashctl *fc, uint32_t address, uint32_t value)
{
	if (fc->latch_count == 0) {
		if (address % fc->half_page != 0) {
			fc->sr |= SR_PGAERR;
			return;
		}
		fc->latch_address = address;
	} else if (address != fc->latch_address + 4u * fc->latch_count) {
		fc->sr |= SR_PGAERR;
		fc->latch_count = 0;
		return;
	}
	for (unsigned i = 0; i < 4; i++)
		fc->latch[4u * fc->latch_count + i] = (uint8_t)(value >> (8 * i));
	if (4u * ++fc->latch_count < fc->half_page)
		return;
	fc->latch_count = 0;
	program(fc, fc->latch_address, fc->latch, fc->half_page);
}

void sim_flash_pecr_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	if (fc->locked || fc->prglocked) {
		fc->sr |= SR_WRPERR;
		return;
	}
	if (size != 4) {
		fc->sr |= SR_SIZERR;
		fc->latch_count = 0;
		return;
	}
	if (address % 4 != 0) {
		fc->sr |= SR_PGAERR;
		fc->latch_count = 0;
		return;
	}
	if (fc->cr & PECR_DATA) {
		fc->env->stats->unmodelled_accesses++; /* data EEPROM modes */
		return;
	}
	if ((fc->cr & (PECR_ERASE | PECR_PROG)) == (PECR_ERASE | PECR_PROG)) {
		erase_page(fc, address);
	} else if ((fc->cr & (PECR_FPRG | PECR_PROG)) == (PECR_FPRG | PECR_PROG)) {
		half_page_store(fc, address, value);
	} else {
		const uint8_t word[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
					 (uint8_t)(value >> 24)};
		program(fc, address, word, 4);
	}
}

void sim_flash_pecr_option_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint8_t image[OPT_MAX];
	uint32_t offset = address - dev->opt_start;
	if (fc->locked || fc->optlocked || sim_port_rdp_level(fc->chip) == 2) {
		fc->sr |= SR_WRPERR;
		return;
	}
	if (size != 4 || offset % 4 != 0) {
		fc->sr |= size != 4 ? SR_SIZERR : SR_PGAERR;
		return;
	}
	if (dev->opt_size > OPT_MAX || offset + 4 > dev->opt_size)
		return;
	sim_port_read(fc->chip, dev->opt_start, image, dev->opt_size);
	bool regression = (int)offset == (dev->rdp_offset & ~3) && fc->rdp_at_reset > 0 &&
			  (uint8_t)(value >> (8 * (dev->rdp_offset % 4))) == RDP_LEVEL0;
	if (regression) {
		const struct sim_memory_view m = sim_port_memory(fc->chip);
		sim_port_erase_all(fc->chip);
		changed(fc, m.flash_start, m.flash_size);
	}
	for (unsigned i = 0; i < 4; i++)
		image[offset + i] = (uint8_t)(value >> (8 * i));
	sim_port_write_options(fc->chip, image, dev->opt_size);
	finish(fc, sim_port_program_us(fc->chip) +
			   (regression ? 1000ull * sim_port_mass_ms(fc->chip) : 0));
}

/* RM0377/RM0038 FLASH_PECR: EOPIE raises the flash interrupt on EOP, ERRIE
 * on any error flag of SR; at the operation's end. */
bool sim_flash_pecr_irq(const struct sim_flashctl *fc)
{
	if (busy(fc))
		return false;
	return ((fc->cr & PECR_EOPIE) && (fc->sr & SR_EOP)) ||
	       ((fc->cr & PECR_ERRIE) && (fc->sr & (SR_W1C & ~SR_EOP)));
}
