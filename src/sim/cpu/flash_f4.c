/* The sector flash controller of F2 (RM0033), F4 (RM0090 §3) and F7
 * (RM0385/RM0410), at 0x40023C00:
 *  - KEYR takes 0x45670123 then 0xCDEF89AB to clear CR.LOCK; a wrong
 *    sequence is a bus error and locks CR until reset (as on the 64-bit
 *    controller). OPTKEYR 0x08192A3B, 0x4C5D6E7F clears OPTCR.OPTLOCK, a
 *    wrong option key locks OPTCR until reset;
 *  - CR.PG then a store programs it; the store's size must be the one
 *    CR.PSIZE names (x8, x16, x32; x64 is two word stores, the second at
 *    the first + 4), else PGPERR; a store not aligned on its size gives
 *    PGAERR; a store without PG gives PGSERR; a write-protected sector
 *    WRPERR. Programming only clears bits (RM0090: successive writes may
 *    change 1s to 0s without an erase), so non-erased flash is no error;
 *  - CR.SER + SNB + STRT erases one sector of the device row's layout (on
 *    two-bank parts SNB 16.. are the sectors of bank 2), CR.MER (+ MER1
 *    for bank 2 on two-bank parts) + STRT a mass erase; WRPERR when a
 *    sector to erase is protected, and nothing is erased; SER together
 *    with MER or MER1 erases nothing (RM0090 §3.5.3);
 *  - BSY for t_prog_us or the erase time of the row; EOP only with EOPIE;
 *  - OPTCR (OPTLOCK 0, OPTSTRT 1, BOR_LEV 3:2, USER 7:4, RDP 15:8, nWRP and
 *    the other bits of 31:16) reads what the option bytes hold until the
 *    program writes it; OPTSTRT programs the option bytes from it (byte 0
 *    USER, 1 RDP, 8-9 OPTCR[31:16], each with its complement 2 bytes on).
 *    Level 1 to level 0 mass-erases the flash; at level 2 the options no
 *    longer change. OPTCR1 (F42x bank-2 nWRP, F7 boot addresses) is kept
 *    as a register only.
 *  - readout protection (level 1, code not booted from flash): RM0090 /
 *    PM0059 forbid reads (the core faults), programming and erasing:
 *    refused here with WRPERR.
 * Emulator choices where the RM is silent: an SNB past the last sector
 * erases nothing and sets no flag; errors pending do not block the next
 * operation; WRPERR for a refused program/erase under readout protection. */
#include <string.h>

#include "cpu/flash_keys.h"
#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

#define F4_KEYR    0x04u
#define F4_OPTKEYR 0x08u
#define F4_SR      0x0Cu
#define F4_CR      0x10u
#define F4_OPTCR   0x14u
#define F4_OPTCR1  0x18u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
#define SR_EOP    (1u << 0)
#define SR_OPERR  (1u << 1)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_BSY    (1u << 16)
#define SR_W1C (SR_EOP | SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR)
#define CR_PG    (1u << 0)
#define CR_SER   (1u << 1)
#define CR_MER   (1u << 2)
#define CR_SNB_SHIFT 3u
#define CR_PSIZE_SHIFT 8u
#define CR_MER1  (1u << 15)
#define CR_STRT  (1u << 16)
#define CR_EOPIE (1u << 24)
#define CR_ERRIE (1u << 25)
#define CR_LOCK  (1u << 31)
#define CR_STORED (CR_PG | CR_SER | CR_MER | 0x1F8u | 0x300u | CR_MER1 | CR_EOPIE | CR_ERRIE)
#define OPTCR_OPTLOCK (1u << 0)
#define OPTCR_OPTSTRT (1u << 1)
#define OPT_REG_OPTCR  0u
#define OPT_REG_OPTCR1 1u
#define RDP_LEVEL0 0xAAu
#define OPT_MAX 256u

static bool busy(const struct sim_flashctl *fc)
{
	return fc->env->now_ps < fc->busy_until_ps;
}

static void finish(struct sim_flashctl *fc, uint64_t us)
{
	fc->busy_until_ps = fc->env->now_ps + us * 1000000ull;
	if (fc->cr & CR_EOPIE)
		fc->sr |= SR_EOP;
}

static void changed(struct sim_flashctl *fc, uint32_t address, uint32_t length)
{
	if (fc->flash_changed)
		fc->flash_changed(fc->owner, address, length);
}

/* The option area as the chip holds it (0xFF where the device maps none). */
static void read_options(const struct sim_flashctl *fc, uint8_t *image, uint32_t *size)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	*size = dev->opt_start && dev->opt_size <= OPT_MAX ? dev->opt_size : 0;
	memset(image, 0xFF, OPT_MAX);
	if (*size)
		sim_port_read(fc->chip, dev->opt_start, image, *size);
}

/* OPTCR as the option loader builds it from the option bytes. */
static uint32_t loaded_optcr(const struct sim_flashctl *fc)
{
	uint8_t b[OPT_MAX];
	uint32_t size;
	read_options(fc, b, &size);
	if (size < 10)
		return 0x0FFFAAECu; /* RM0090 reset value without OPTLOCK */
	return (uint32_t)(b[0] & 0xFCu) | (uint32_t)b[1] << 8 | (uint32_t)b[8] << 16 |
	       (uint32_t)b[9] << 24;
}

static uint32_t opt_reg(const struct sim_flashctl *fc, unsigned k)
{
	if (fc->opt_written & (1u << k))
		return fc->opt_regs[k];
	return k == OPT_REG_OPTCR ? loaded_optcr(fc) : 0x0FFF0000u;
}

uint32_t sim_flash_f4_read(struct sim_flashctl *fc, uint32_t offset)
{
	switch (offset) {
	case F4_SR: return fc->sr | (busy(fc) ? SR_BSY : 0);
	case F4_CR: return fc->cr | (fc->locked ? CR_LOCK : 0);
	case F4_OPTCR:
		return opt_reg(fc, OPT_REG_OPTCR) | (fc->optlocked ? OPTCR_OPTLOCK : 0);
	case F4_OPTCR1: return opt_reg(fc, OPT_REG_OPTCR1);
	}
	return 0;
}

static long sector_of_snb(const struct sim_flashctl *fc, uint32_t snb)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	long index = (long)snb;
	if (dev->bank_count > 1 && snb >= 16)
		index = (long)dev->bank2_first_sector + (long)(snb - 16);
	else if (snb >= 16)
		return -1;
	return (size_t)index < stm32_device_sector_count(dev) ? index : -1;
}

static void erase_sector(struct sim_flashctl *fc)
{
	long index = sector_of_snb(fc, (fc->cr >> CR_SNB_SHIFT) & 0x1Fu);
	uint32_t address, size;
	if (index < 0 || !stm32_device_sector(sim_port_device(fc->chip), (size_t)index, &address, &size))
		return;
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	sim_port_erase_page(fc->chip, (uint32_t)index, &address, &size);
	changed(fc, address, size);
	finish(fc, 1000ull * sim_port_erase_ms(fc->chip, size));
}

/* True when a sector of the bank (0: all) is write protected. */
static bool bank_protected(const struct sim_flashctl *fc, unsigned bank)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	size_t count = stm32_device_sector_count(dev);
	for (size_t i = 0; i < count; i++) {
		bool in_bank2 = dev->bank_count > 1 && i >= dev->bank2_first_sector;
		uint32_t address, size;
		if (bank && (bank == 2) != in_bank2)
			continue;
		if (stm32_device_sector(dev, i, &address, &size) && sim_port_protected(fc->chip, address))
			return true;
	}
	return false;
}

static void mass_erase(struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	bool two = dev->bank_count > 1;
	bool bank1 = fc->cr & CR_MER, bank2 = two && (fc->cr & CR_MER1);
	unsigned bank = !two || (bank1 && bank2) ? 0 : bank1 ? 1 : 2;
	if (!bank1 && !bank2)
		return;
	if (fc->rdp_blocked || bank_protected(fc, bank)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	if (bank == 0)
		sim_port_erase_all(fc->chip);
	else
		sim_port_erase_bank(fc->chip, bank);
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	changed(fc, m.flash_start, m.flash_size);
	finish(fc, 1000ull * sim_port_mass_ms(fc->chip));
}

static void write_cr(struct sim_flashctl *fc, uint32_t value)
{
	if (fc->locked)
		return;
	fc->cr = value & CR_STORED;
	fc->dword_half = false;
	if ((value & CR_STRT) && !busy(fc)) {
		/* RM0090 §3.5.3 (its note on mass erase): with SER and a MER bit
		 * both set the controller does neither erase; it names no error
		 * flag for it, so none is raised. */
		bool both = (fc->cr & CR_SER) && (fc->cr & (CR_MER | CR_MER1));
		if (!both && (fc->cr & CR_SER))
			erase_sector(fc);
		else if (!both)
			mass_erase(fc);
	}
	if (value & CR_LOCK)
		fc->locked = true;
}

static void put_option(uint8_t *image, unsigned at, uint8_t value)
{
	image[at] = value;
	image[at + 2] = (uint8_t)~value;
}

/* OPTSTRT: the option bytes take OPTCR's value. */
static void start_options(struct sim_flashctl *fc)
{
	uint8_t image[OPT_MAX];
	uint32_t size;
	read_options(fc, image, &size);
	if (size < 12 || sim_port_rdp_level(fc->chip) == 2)
		return; /* level 2: the option bytes can no longer change */
	uint32_t optcr = opt_reg(fc, OPT_REG_OPTCR);
	bool regression = sim_port_rdp_level(fc->chip) == 1 && ((optcr >> 8) & 0xFFu) == RDP_LEVEL0;
	put_option(image, 0, (uint8_t)((optcr & 0xFCu) | (image[0] & 3u)));
	put_option(image, 1, (uint8_t)(optcr >> 8));
	put_option(image, 8, (uint8_t)(optcr >> 16));
	put_option(image, 9, (uint8_t)(optcr >> 24));
	sim_port_write_options(fc->chip, image, size);
	uint64_t us = 1000ull * sim_port_erase_ms(fc->chip, 16384);
	if (regression) {
		sim_port_erase_all(fc->chip);
		const struct sim_memory_view m = sim_port_memory(fc->chip);
		changed(fc, m.flash_start, m.flash_size);
		us += 1000ull * sim_port_mass_ms(fc->chip);
	}
	finish(fc, us);
}

static void write_optcr(struct sim_flashctl *fc, uint32_t value)
{
	if (value & OPTCR_OPTLOCK) {
		fc->optlocked = true;
		return;
	}
	if (fc->optlocked)
		return;
	fc->opt_regs[OPT_REG_OPTCR] = value & ~(OPTCR_OPTLOCK | OPTCR_OPTSTRT);
	fc->opt_written |= 1u << OPT_REG_OPTCR;
	if ((value & OPTCR_OPTSTRT) && !busy(fc))
		start_options(fc);
}

void sim_flash_f4_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case F4_KEYR:
		if (!fc->locked_until_reset)
			sim_flash_write_key(fc, &fc->key_step, value, KEY1, KEY2, false, true);
		break;
	case F4_OPTKEYR:
		if (!fc->optlocked_until_reset)
			sim_flash_write_key(fc, &fc->optkey_step, value, OPTKEY1, OPTKEY2, true, true);
		break;
	case F4_SR: fc->sr &= ~(value & SR_W1C); break;
	case F4_CR: write_cr(fc, value); break;
	case F4_OPTCR: write_optcr(fc, value); break;
	case F4_OPTCR1:
		if (!fc->optlocked) {
			fc->opt_regs[OPT_REG_OPTCR1] = value;
			fc->opt_written |= 1u << OPT_REG_OPTCR1;
		}
		break;
	default: break;
	}
}

static void program(struct sim_flashctl *fc, uint32_t address, const uint8_t *data, unsigned length)
{
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		fc->sr |= SR_WRPERR;
		return;
	}
	sim_port_program(fc->chip, address, data, length); /* bits only clear */
	changed(fc, address, length);
	finish(fc, sim_port_program_us(fc->chip));
}

static void put_le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* x64: the first word waits for the second at address + 4. */
static void program_x64(struct sim_flashctl *fc, uint32_t address, uint32_t value)
{
	if (!fc->dword_half) {
		if (address % 8 != 0) {
			fc->sr |= SR_PGAERR;
			return;
		}
		fc->dword_half = true;
		fc->dword_address = address;
		fc->dword_low = value;
		return;
	}
	fc->dword_half = false;
	if (address != fc->dword_address + 4) {
		fc->sr |= SR_PGAERR;
		return;
	}
	uint8_t data[8];
	put_le32(data, fc->dword_low);
	put_le32(data + 4, value);
	program(fc, fc->dword_address, data, 8);
}

void sim_flash_f4_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	if (fc->locked || !(fc->cr & CR_PG)) {
		fc->sr |= SR_PGSERR;
		return;
	}
	unsigned psize = (fc->cr >> CR_PSIZE_SHIFT) & 3u;
	unsigned want = psize == 3 ? 4u : 1u << psize;
	if (size != want) {
		fc->sr |= SR_PGPERR;
		fc->dword_half = false;
		return;
	}
	if (address % size != 0) {
		fc->sr |= SR_PGAERR;
		return;
	}
	if (psize == 3) {
		program_x64(fc, address, value);
		return;
	}
	uint8_t data[4];
	put_le32(data, value);
	program(fc, address, data, size);
}

/* RM0090 FLASH_CR: EOPIE raises the flash interrupt on EOP, ERRIE on OPERR
 * only (the other error flags raise none); at the operation's end. */
bool sim_flash_f4_irq(const struct sim_flashctl *fc)
{
	if (busy(fc))
		return false;
	return ((fc->cr & CR_EOPIE) && (fc->sr & SR_EOP)) || ((fc->cr & CR_ERRIE) && (fc->sr & SR_OPERR));
}
