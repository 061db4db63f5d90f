/* The H7 flash controller (RM0433 H74x/H75x, RM0468 H72x/H73x at
 * 0x52002000; RM0455 H7A3/H7B3), per bank: bank 1's KEYR 0x04, CR 0x0C,
 * SR 0x10, CCR 0x14, bank 2's the same at +0x100 (two-bank rows only);
 * OPTKEYR 0x08, OPTCR 0x18, OPTSR_CUR 0x1C, OPTSR_PRG 0x20, OPTCCR 0x24
 * shared (and seen at +0x100 too). Its H5 successor (RM0481, at
 * 0x40022000, non-secure side) has one register set for both banks
 * (NSKEYR 0x04, OPTKEYR 0x0C, OPTCR 0x1C, NSSR 0x20, NSCR 0x28, NSCCR
 * 0x30; CR.BKSEL, bit 31, picks the bank to erase, CR.MER, bit 15, erases
 * both; INCERR is SR bit 20), the RM0455 CR layout and 128-bit words; its
 * option bytes (product state) are not modelled. The variant table below
 * holds the differences.
 *  - KEYRx 0x45670123, 0xCDEF89AB clears that bank's CR.LOCK; a wrong
 *    sequence is a bus error and locks the bank until reset. OPTKEYR
 *    0x08192A3B, 0x4C5D6E7F clears OPTCR.OPTLOCK (a wrong one locks it
 *    until reset);
 *  - programming collects a flash word (the row's program_unit: 32 bytes,
 *    16 on H7A3/B3) in the bank's write buffer from stores of any size with
 *    CR.PG set, and programs it once every byte is written, or at CR.FW
 *    with the rest left erased. A store without PG: PGSERR; a store into
 *    another flash word while the buffer holds part of one: INCERR (the
 *    buffer is dropped); a byte written twice: STRBERR; a protected sector
 *    (or readout protection): WRPERR; a flash word the chip refuses (already
 *    programmed: its ECC): OPERR. WBNE while the buffer holds data, QW
 *    while it does or the bank is busy, BSY for t_prog_us;
 *  - CR.SER + SNB + START erases a sector of the bank (128 KiB; 8 KiB and
 *    SSN at 12:6 on H7A3/B3, whose START is bit 5 and FW bit 4), CR.BER +
 *    START the bank, OPTCR.MER both banks; WRPERR and nothing erased when a
 *    sector concerned is protected; EOP at the end of each operation;
 *  - OPTSR_PRG reads OPTSR_CUR until the program writes it (OPTLOCK clear);
 *    OPTSTART makes it current at once: RDP (15:8: 0xAA level 0, 0xCC
 *    level 2, else 1) into the chip, level 1 to 0 mass-erasing both banks
 *    first, nothing at level 2 (OPTCHANGEERR); OPT_BUSY for the row's
 *    sector erase time. WPSN_PRG1 (0x3C), WPSN_PRG2 (0x13C) and
 *    BOOT_PRGR (0x44) are taken at the same OPTSTART. The current values
 *    live in the chip's register image (sim_port_register_options: OPTSR,
 *    WPSN1, WPSN2, BOOT, the option-byte table's H7 layout), which the
 *    image file keeps and the chip's write protection reads; a row without
 *    one (H5) keeps OPTSR in the controller.
 * Not modelled: PSIZE (stored, the busy times are the row's), CRC, ECC
 * error flags, the secure and PCROP areas, what BOOT_ADD0/1 boot and what
 * SWAP_BANK swaps (both stored only). */
#include <string.h>

#include "cpu/flash_keys.h"
#include "cpu/memory_port.h"
#include "cpu/periph.h"

#include "stm32boot/device.h"

#define H7_OPTSR_CUR 0x1Cu
#define H7_OPTSR_PRG 0x20u
#define H7_OPTCCR    0x24u
#define H7_WPSN_CUR  0x38u
#define H7_WPSN_PRG  0x3Cu
#define H7_BOOT_CUR  0x40u
#define H7_BOOT_PRG  0x44u
/* The chip's register image (sim_port_register_options): its words in
 * the option-byte table's order, and the opt_regs slot (and opt_written
 * bit) holding what the program wrote into each _PRG register. */
#define IMAGE_OPTSR 0u
#define IMAGE_WPSN1 1u
#define IMAGE_WPSN2 2u
#define IMAGE_BOOT  3u
#define IMAGE_WORDS 4u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
#define CR_LOCK (1u << 0)
#define CR_PG   (1u << 1)
#define CR_SER  (1u << 2)
#define CR_BER  (1u << 3)
#define SR_BSY     (1u << 0)
#define SR_WBNE    (1u << 1)
#define SR_QW      (1u << 2)
#define SR_EOP     (1u << 16)
#define SR_WRPERR  (1u << 17)
#define SR_PGSERR  (1u << 18)
#define SR_STRBERR (1u << 19)
#define SR_OPERR   (1u << 22)
#define CR_BKSEL   (1u << 31)
#define OPTCR_OPTLOCK  (1u << 0)
#define OPTCR_OPTSTART (1u << 1)
#define OPTCR_MER      (1u << 4)
#define OPTSR_OPT_BUSY (1u << 0)
#define OPTSR_OPTCHANGEERR (1u << 30)
#define OPTSR_RDP_SHIFT 8u
/* Factory user options as this emulator takes them: BOR off, software
 * IWDG, no reset on STOP/STANDBY entry, IWDG frozen in STOP/STANDBY. */
#define OPTSR_FACTORY 0x000600F0u

/* What differs between the H7 lines and H5. */
struct h7_variant {
	uint32_t keyr, optkeyr, cr, sr, ccr, optcr; /* register offsets */
	uint32_t bank_stride; /* bank 2's KEYR/CR/SR/CCR; 0: one set, CR.BKSEL */
	uint32_t fw, start, snb_shift, snb_mask;
	uint32_t incerr;      /* SR bit */
	uint32_t mer;         /* CR bit erasing both banks; 0: OPTCR.MER */
	bool options;         /* OPTSR_CUR/OPTSR_PRG/OPTSTART modelled */
};
static const struct h7_variant variant_h74x = {0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x100,
					       1u << 6, 1u << 7, 8, 0x7u, 1u << 21, 0, true};
static const struct h7_variant variant_h7a3 = {0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x100,
					       1u << 4, 1u << 5, 6, 0x7Fu, 1u << 21, 0, true};
static const struct h7_variant variant_h5 = {0x04, 0x0C, 0x28, 0x20, 0x30, 0x1C, 0,
					     1u << 4, 1u << 5, 6, 0x7Fu, 1u << 20, 1u << 15, false};

/* By family and the row's flash word (RM0455 parts program 16 bytes). */
static const struct h7_variant *variant(const struct sim_flashctl *fc)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	if (dev->family[0] == 'H' && dev->family[1] == '5')
		return &variant_h5;
	return dev->program_unit == 16 ? &variant_h7a3 : &variant_h74x;
}

static uint32_t sr_w1c(const struct h7_variant *v)
{
	return SR_EOP | SR_WRPERR | SR_PGSERR | SR_STRBERR | v->incerr | SR_OPERR;
}

static uint32_t word_size(const struct sim_flashctl *fc)
{
	return sim_port_device(fc->chip)->program_unit;
}

static bool busy(const struct sim_flashctl *fc, const struct sim_flash_bank *b)
{
	return fc->env->now_ps < b->busy_until_ps;
}

static void finish(struct sim_flashctl *fc, struct sim_flash_bank *b, uint64_t us)
{
	b->busy_until_ps = fc->env->now_ps + us * 1000000ull;
	b->sr |= SR_EOP;
}

static void changed(struct sim_flashctl *fc, uint32_t address, uint32_t length)
{
	if (fc->flash_changed)
		fc->flash_changed(fc->owner, address, length);
}

static bool two_banks(const struct sim_flashctl *fc)
{
	return sim_port_device(fc->chip)->bank_count > 1;
}

void sim_flash_h7_reset(struct sim_flashctl *fc, const char *family)
{
	(void)family; /* the banks' locks are set by sim_flashctl_reset */
	if (!fc->reg_options_set)
		fc->reg_options = OPTSR_FACTORY;
}

static uint8_t *image_word(struct sim_flashctl *fc, unsigned k)
{
	size_t size;
	uint8_t *image = sim_port_register_options(fc->chip, &size);
	return image && size >= 4u * IMAGE_WORDS ? image + 4u * k : NULL;
}

/* A word of the image as the _CUR register reads it (little-endian bytes). */
static uint32_t image_get(struct sim_flashctl *fc, unsigned k, uint32_t otherwise)
{
	const uint8_t *p = image_word(fc, k);
	if (!p)
		return otherwise;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void image_put(struct sim_flashctl *fc, unsigned k, uint32_t value)
{
	uint8_t *p = image_word(fc, k);
	for (unsigned i = 0; p && i < 4; i++)
		p[i] = (uint8_t)(value >> (8 * i));
}

static uint32_t rdp_byte(int level)
{
	return level == 0 ? 0xAAu : level == 2 ? 0xCCu : 0xBBu;
}

static uint32_t optsr_cur(struct sim_flashctl *fc)
{
	uint32_t user = image_get(fc, IMAGE_OPTSR, fc->reg_options);
	uint32_t v = (user & ~(0xFFu << OPTSR_RDP_SHIFT)) |
		     rdp_byte(sim_port_rdp_level(fc->chip)) << OPTSR_RDP_SHIFT;
	return v | (fc->env->now_ps < fc->busy_until_ps ? OPTSR_OPT_BUSY : 0);
}

/* WPSN_CURx: nWRPSN bit k is 1 when sector k of the bank is not protected. */
static uint32_t wpsn(const struct sim_flashctl *fc, unsigned bank)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	size_t first = bank ? dev->bank2_first_sector : 0;
	uint32_t v = 0;
	if (bank && !two_banks(fc))
		return 0;
	for (unsigned k = 0; k < 32; k++) {
		uint32_t address, size;
		if (!stm32_device_sector(dev, first + k, &address, &size))
			break;
		if (bank == 0 && two_banks(fc) && first + k >= dev->bank2_first_sector)
			break;
		if (!sim_port_protected(fc->chip, address))
			v |= 1u << k;
	}
	return v;
}

/* The register an offset names and the bank state holding it (bank 2's
 * set at +bank_stride; the shared registers are seen there too); false
 * for bank 2's set on a one-bank row. */
static bool decode(const struct sim_flashctl *fc, uint32_t offset, unsigned *state, uint32_t *reg)
{
	const struct h7_variant *v = variant(fc);
	*state = 0;
	*reg = offset;
	if (!v->bank_stride || offset < v->bank_stride || offset >= 2 * v->bank_stride)
		return true;
	*reg = offset - v->bank_stride;
	bool banked = *reg == v->keyr || *reg == v->cr || *reg == v->sr || *reg == v->ccr;
	*state = banked ? 1 : 0;
	return !banked || two_banks(fc);
}

/* A _PRG register: what the program wrote since the last OPTSTART, else
 * the current value. */
static uint32_t pending(const struct sim_flashctl *fc, unsigned k, uint32_t current)
{
	return (fc->opt_written & (1u << k)) ? fc->opt_regs[k] : current;
}

static uint32_t read_options(struct sim_flashctl *fc, uint32_t reg, unsigned state)
{
	unsigned wpsn_word = state ? IMAGE_WPSN2 : IMAGE_WPSN1;
	switch (reg) {
	case H7_OPTSR_CUR: return optsr_cur(fc) | (fc->sr & OPTSR_OPTCHANGEERR);
	case H7_OPTSR_PRG: return pending(fc, IMAGE_OPTSR, optsr_cur(fc) & ~OPTSR_OPT_BUSY);
	case H7_WPSN_CUR: return image_get(fc, wpsn_word, wpsn(fc, state ? 1 : 0));
	case H7_WPSN_PRG:
		return pending(fc, wpsn_word, image_get(fc, wpsn_word, wpsn(fc, state ? 1 : 0)));
	case H7_BOOT_CUR: return image_get(fc, IMAGE_BOOT, 0);
	case H7_BOOT_PRG: return pending(fc, IMAGE_BOOT, image_get(fc, IMAGE_BOOT, 0));
	}
	return 0;
}

uint32_t sim_flash_h7_read(struct sim_flashctl *fc, uint32_t offset)
{
	const struct h7_variant *v = variant(fc);
	unsigned state;
	uint32_t reg;
	if (!decode(fc, offset, &state, &reg))
		return 0;
	const struct sim_flash_bank *b = &fc->bank[state];
	if (reg == v->cr)
		return b->cr | (b->locked ? CR_LOCK : 0);
	if (reg == v->sr) {
		bool partial = b->buf_filled != 0;
		return b->sr | (busy(fc, b) ? SR_BSY | SR_QW : 0) | (partial ? SR_WBNE | SR_QW : 0);
	}
	if (reg == v->optcr)
		return fc->optlocked ? OPTCR_OPTLOCK : 0;
	if (v->options)
		return read_options(fc, reg, offset >= v->bank_stride);
	return 0;
}

/* The sector index in the device row of sector snb of a bank. */
static size_t sector_index(const struct sim_flashctl *fc, unsigned bank, uint32_t snb)
{
	return (bank ? sim_port_device(fc->chip)->bank2_first_sector : 0) + snb;
}

static size_t bank_sectors(const struct sim_flashctl *fc, unsigned bank, size_t *first)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	size_t count = 0;
	uint32_t address, size;
	while (stm32_device_sector(dev, count, &address, &size))
		count++;
	size_t split = two_banks(fc) ? dev->bank2_first_sector : count;
	*first = bank ? split : 0;
	return bank ? count - split : split;
}

static bool any_protected(const struct sim_flashctl *fc, size_t first, size_t count)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	for (size_t s = first; s < first + count; s++) {
		uint32_t address, size;
		if (stm32_device_sector(dev, s, &address, &size) && sim_port_protected(fc->chip, address))
			return true;
	}
	return false;
}

/* Erases of flash bank `bank`, reported in the register state b. */
static void erase_bank(struct sim_flashctl *fc, struct sim_flash_bank *b, unsigned bank)
{
	size_t first, count = bank_sectors(fc, bank, &first);
	if (fc->rdp_blocked || any_protected(fc, first, count)) {
		b->sr |= SR_WRPERR;
		return;
	}
	if (two_banks(fc))
		sim_port_erase_bank(fc->chip, bank + 1);
	else
		sim_port_erase_all(fc->chip);
	const struct sim_memory_view m = sim_port_memory(fc->chip);
	changed(fc, m.flash_start, m.flash_size);
	finish(fc, b, 1000ull * sim_port_mass_ms(fc->chip) / (two_banks(fc) ? 2 : 1));
}

static void erase_sector(struct sim_flashctl *fc, struct sim_flash_bank *b, unsigned bank)
{
	const struct h7_variant *v = variant(fc);
	uint32_t snb = (b->cr >> v->snb_shift) & v->snb_mask;
	size_t first, count = bank_sectors(fc, bank, &first);
	if (snb >= count)
		return; /* no such sector in the bank: nothing erased */
	uint32_t address, size;
	if (!stm32_device_sector(sim_port_device(fc->chip), sector_index(fc, bank, snb), &address, &size))
		return;
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		b->sr |= SR_WRPERR;
		return;
	}
	sim_port_erase_page(fc->chip, (uint32_t)sector_index(fc, bank, snb), &address, &size);
	changed(fc, address, size);
	finish(fc, b, 1000ull * sim_port_erase_ms(fc->chip, size));
}

/* Program the bank's write buffer (bytes not written stay erased). */
static void program_buffer(struct sim_flashctl *fc, unsigned bank)
{
	struct sim_flash_bank *b = &fc->bank[bank];
	uint32_t n = word_size(fc), address = b->buf_address;
	for (uint32_t i = 0; i < n; i++)
		if (!(b->buf_filled & (1u << i)))
			b->buf[i] = 0xFF;
	b->buf_filled = 0;
	if (fc->rdp_blocked || sim_port_protected(fc->chip, address)) {
		b->sr |= SR_WRPERR;
		return;
	}
	if (!sim_port_program(fc->chip, address, b->buf, n)) {
		b->sr |= SR_OPERR;
		return;
	}
	changed(fc, address, n);
	finish(fc, b, sim_port_program_us(fc->chip));
}

static void start(struct sim_flashctl *fc, unsigned state, uint32_t value)
{
	const struct h7_variant *v = variant(fc);
	struct sim_flash_bank *b = &fc->bank[state];
	unsigned bank = v->bank_stride ? state : (two_banks(fc) && (value & CR_BKSEL)) ? 1 : 0;
	if (v->mer && (value & v->mer)) {
		erase_bank(fc, b, 0);
		if (two_banks(fc) && !(b->sr & SR_WRPERR))
			erase_bank(fc, b, 1);
	} else if (value & CR_BER) {
		erase_bank(fc, b, bank);
	} else if (value & CR_SER) {
		erase_sector(fc, b, bank);
	}
}

static void write_cr(struct sim_flashctl *fc, unsigned state, uint32_t value)
{
	struct sim_flash_bank *b = &fc->bank[state];
	const struct h7_variant *v = variant(fc);
	if (b->locked)
		return;
	b->cr = value & ~(CR_LOCK | v->start | v->fw);
	if (value & CR_LOCK)
		b->locked = true;
	if ((value & v->fw) && b->buf_filled)
		program_buffer(fc, state);
	if ((value & v->start) && !busy(fc, b))
		start(fc, state, value);
}

static void start_options(struct sim_flashctl *fc)
{
	int level = sim_port_rdp_level(fc->chip);
	uint32_t prg = pending(fc, IMAGE_OPTSR, optsr_cur(fc));
	if (level == 2) {
		fc->sr |= OPTSR_OPTCHANGEERR; /* level 2: the options no longer change */
		return;
	}
	uint32_t rdp = (prg >> OPTSR_RDP_SHIFT) & 0xFFu;
	int new_level = rdp == 0xAAu ? 0 : rdp == 0xCCu ? 2 : 1;
	uint64_t us = 1000ull * sim_port_erase_ms(fc->chip, 128u * 1024u);
	if (level == 1 && new_level == 0) {
		const struct sim_memory_view m = sim_port_memory(fc->chip);
		sim_port_erase_all(fc->chip);
		changed(fc, m.flash_start, m.flash_size);
		us += 1000ull * sim_port_mass_ms(fc->chip);
	}
	sim_port_set_rdp_level(fc->chip, new_level);
	fc->reg_options = prg & ~(OPTSR_OPT_BUSY | OPTSR_OPTCHANGEERR);
	fc->reg_options_set = true;
	image_put(fc, IMAGE_OPTSR, fc->reg_options);
	/* The sector protection and boot addresses: in the image, where the
	 * chip's write protection and its image file read them. */
	for (unsigned k = IMAGE_WPSN1; k < IMAGE_WORDS; k++)
		if (fc->opt_written & (1u << k) && (k != IMAGE_WPSN2 || two_banks(fc)))
			image_put(fc, k, fc->opt_regs[k]);
	fc->opt_written = 0;
	fc->busy_until_ps = fc->env->now_ps + us * 1000000ull;
}

static void write_optcr(struct sim_flashctl *fc, uint32_t value)
{
	if (fc->optlocked)
		return;
	if ((value & OPTCR_OPTSTART) && variant(fc)->options && fc->env->now_ps >= fc->busy_until_ps)
		start_options(fc);
	if (variant(fc)->mer == 0 && (value & OPTCR_MER) && !fc->bank[0].locked &&
	    (!two_banks(fc) || !fc->bank[1].locked)) {
		erase_bank(fc, &fc->bank[0], 0);
		if (two_banks(fc))
			erase_bank(fc, &fc->bank[1], 1);
	}
	if (value & OPTCR_OPTLOCK)
		fc->optlocked = true;
}

static void write_key(struct sim_flashctl *fc, struct sim_flash_bank *b, uint32_t value)
{
	if (b->locked_until_reset)
		return;
	switch (sim_flash_key_step(&b->key_step, value, KEY1, KEY2)) {
	case SIM_KEY_PENDING: break;
	case SIM_KEY_DONE: b->locked = false; break;
	case SIM_KEY_WRONG:
		b->locked = b->locked_until_reset = true;
		sim_env_request_fault(fc->env, "bus error: wrong flash key sequence", 0);
		break;
	}
}

void sim_flash_h7_write(struct sim_flashctl *fc, uint32_t offset, uint32_t value)
{
	const struct h7_variant *v = variant(fc);
	unsigned state;
	uint32_t reg;
	if (!decode(fc, offset, &state, &reg))
		return;
	struct sim_flash_bank *b = &fc->bank[state];
	if (reg == v->keyr) {
		write_key(fc, b, value);
	} else if (reg == v->optkeyr) {
		if (!fc->optlocked_until_reset)
			sim_flash_write_key(fc, &fc->optkey_step, value, OPTKEY1, OPTKEY2, true, true);
	} else if (reg == v->cr) {
		write_cr(fc, state, value);
	} else if (reg == v->ccr) {
		b->sr &= ~(value & sr_w1c(v));
	} else if (reg == v->optcr) {
		write_optcr(fc, value);
	} else if (v->options && (reg == H7_OPTSR_PRG || reg == H7_WPSN_PRG || reg == H7_BOOT_PRG)) {
		unsigned k = reg == H7_OPTSR_PRG ? IMAGE_OPTSR
			     : reg == H7_BOOT_PRG ? IMAGE_BOOT
			     : offset >= v->bank_stride ? IMAGE_WPSN2 : IMAGE_WPSN1;
		if (!fc->optlocked) {
			fc->opt_regs[k] = value;
			fc->opt_written |= 1u << k;
		}
	} else if (v->options && reg == H7_OPTCCR && (value & OPTSR_OPTCHANGEERR)) {
		fc->sr &= ~OPTSR_OPTCHANGEERR;
	}
}

static unsigned bank_of(const struct sim_flashctl *fc, uint32_t address)
{
	const struct stm32_device *dev = sim_port_device(fc->chip);
	uint32_t start, size;
	if (!two_banks(fc) || !stm32_device_sector(dev, dev->bank2_first_sector, &start, &size))
		return 0;
	return address >= start;
}

void sim_flash_h7_memory_write(struct sim_flashctl *fc, uint32_t address, unsigned size, uint32_t value)
{
	unsigned bank = variant(fc)->bank_stride ? bank_of(fc, address) : 0; /* H5: one buffer */
	struct sim_flash_bank *b = &fc->bank[bank];
	uint32_t n = word_size(fc), word = address & ~(n - 1u), at = address - word;
	if (b->locked || !(b->cr & CR_PG)) {
		b->sr |= SR_PGSERR;
		return;
	}
	if (b->buf_filled && word != b->buf_address) {
		b->sr |= variant(fc)->incerr;
		b->buf_filled = 0;
		return;
	}
	if (at + size > n)
		size = n - at; /* a store cannot straddle two flash words here: the rest is lost */
	uint32_t lanes = ((1u << size) - 1u) << at;
	if (b->buf_filled & lanes) {
		b->sr |= SR_STRBERR;
		return;
	}
	b->buf_address = word;
	b->buf_filled |= lanes;
	for (unsigned i = 0; i < size; i++)
		b->buf[at + i] = (uint8_t)(value >> (8 * i));
	uint32_t full = n == 32 ? 0xFFFFFFFFu : (1u << n) - 1u;
	if (b->buf_filled == full)
		program_buffer(fc, bank);
}

/* RM0433/RM0455 FLASH_CRx, RM0481 NSCR: each flag of SR bits 16-23 has its
 * enable at the same bit of CR (EOPIE 16, WRPERRIE 17, PGSERRIE 18,
 * STRBERRIE 19, INCERRIE 21 (H5 20), OPERRIE 22); a bank raises the flash
 * interrupt when an enabled flag is set and the bank is not busy. */
bool sim_flash_h7_irq(const struct sim_flashctl *fc)
{
	uint32_t flags = sr_w1c(variant(fc));
	for (unsigned b = 0; b < (variant(fc)->bank_stride ? 2u : 1u); b++) {
		const struct sim_flash_bank *bank = &fc->bank[b];
		if (!busy(fc, bank) && (bank->cr & bank->sr & flags))
			return true;
	}
	return false;
}
