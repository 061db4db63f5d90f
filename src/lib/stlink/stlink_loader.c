/* The RAM loader over SWD (stlink_loader.h). SRAM from its start: the
 * loader's code, its control block (the two slots), its stack, then the
 * two data buffers; everything else of SRAM is left as it was. */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "loader_protocol.h"
#include "stlink/stlink_loader.h"
#include "stub_protocol.h"

#define DHCSR 0xE000EDF0u
#define DHCSR_RUN_DEBUG 0xA05F0009u /* DBGKEY, C_DEBUGEN, C_MASKINTS; C_HALT clear */
#define DHCSR_S_HALT (1u << 17)
#define DHCSR_S_LOCKUP (1u << 19)
#define DHCSR_S_RESET_ST (1u << 25)
#define REG_R0 0u
#define REG_SP 13u
#define REG_PC 15u
#define REG_XPSR 16u
#define XPSR_THUMB 0x01000000u
#define SPIN_POLLS 64u
#define ERASE_UNIT_MS 4000u   /* F4's 128 KiB sector at x32, with margin (RM0090: 2 s max) */
#define MASS_ERASE_MS 64000u  /* F4 2 MiB: 32 s max per bank */
#define PROGRAM_UNIT_US 200u  /* every controller here: at most 100 us per unit */
#define CRC_KIB_US 2000u      /* software CRC on a slow clock; the unit is far faster */
#define PIECE_MIN 512u
#define CRC_AHEAD_BYTES (256u * 1024u) /* at most this much CRC work ahead of the asker */
#define DHCSR_EVERY 4u /* status polls per look at the core */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t slot_address(const struct stlink_loader *ld, unsigned slot)
{
	return ld->control + LOADER_SLOTS + slot * LOADER_SLOT_BYTES;
}

static enum stm32_status enable_crc_clock(struct stlink_link *l, const struct stlink_loader *ld,
					  struct stm32_error *err)
{
	uint32_t value;
	enum stm32_status s = stlink_read_word(l, ld->crc_enable_register, &value, err);
	if (s == STM32_OK && !(value & 1u << ld->crc_enable_bit))
		s = stlink_write_word(l, ld->crc_enable_register, value | 1u << ld->crc_enable_bit,
				      err);
	return s;
}

/* for_crc: the clock is left as it is (what a CRC overwrites is put back). */
static enum stm32_status write_control(struct stlink_link *l, const struct stlink_loader *ld,
				       bool for_crc, struct stm32_error *err)
{
	const struct stm32_device *dev = ld->device;
	bool pages = strcmp(ld->image->name, "f4") != 0; /* H7: page_size is the sector's */
	uint8_t block[LOADER_CONTROL_BYTES];
	memset(block, 0, sizeof block);
	put32(block + LOADER_FLASH_START, dev->flash_start);
	put32(block + LOADER_FLASH_SIZE, dev->flash_size);
	put32(block + LOADER_PAGE_SIZE, pages && dev->layout_runs ? dev->layout[0].size : 0u);
	put32(block + LOADER_UNIT_COUNT, (uint32_t)stm32_device_sector_count(dev));
	put32(block + LOADER_BANK2_START, pages ? dev->bank2_start : 0u);
	put32(block + LOADER_DRIVER_FLAGS, ld->driver_flags);
	put32(block + LOADER_OPTIONS, ld->options);
	put32(block + LOADER_CRC_BASE, ld->crc_base);
	put32(block + LOADER_CLOCK_KIND, for_crc ? 0u : ld->clock_kind);
	return stlink_write(l, ld->control, block, sizeof block, 4, err);
}

static enum stm32_status wait_alive(struct stlink_link *l, const struct stlink_loader *ld,
				    struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + ld->base_timeout_ms;
	for (unsigned polls = 0;; polls++) {
		uint32_t alive, dhcsr;
		enum stm32_status s = stlink_read_word(l, ld->control + LOADER_ALIVE, &alive, err);
		if (s != STM32_OK || alive == LOADER_MAGIC || alive == LOADER_PARKED)
			return s;
		if ((s = stlink_read_word(l, DHCSR, &dhcsr, err)) != STM32_OK)
			return s;
		if (dhcsr & (DHCSR_S_LOCKUP | DHCSR_S_HALT) || core_monotonic_ms() > deadline)
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "the RAM loader at 0x%08X did not start (DHCSR 0x%08X)",
					       ld->code, dhcsr);
		if (polls >= SPIN_POLLS)
			core_sleep_ms(1);
	}
}

static uint32_t saved_span(const struct stlink_loader *ld)
{
	return ld->stack_top - ld->code;
}

/* Before the loader first overwrites anything: what a CRC-only use puts back. */
static enum stm32_status save(struct stlink_link *l, struct stlink_loader *ld,
			      struct stm32_error *err)
{
	enum stm32_status s = stlink_read(l, ld->code, ld->saved_sram, saved_span(ld), err);
	for (unsigned i = 0; s == STM32_OK && i < STLINK_LOADER_SAVED_REGISTERS; i++)
		s = stlink_read_register(l, i, &ld->saved_registers[i], err);
	if (s == STM32_OK)
		s = stlink_read_word(l, ld->crc_enable_register, &ld->saved_rcc, err);
	ld->saved = s == STM32_OK;
	ld->flash_changed = false;
	return s;
}

static enum stm32_status restore(struct stlink_link *l, struct stlink_loader *ld,
				 struct stm32_error *err)
{
	enum stm32_status s = stlink_write(l, ld->code, ld->saved_sram, saved_span(ld), 4, err);
	if (s == STM32_OK)
		s = stlink_write_word(l, ld->crc_enable_register, ld->saved_rcc, err);
	/* MSP and PSP first: r13 is one of them and comes back with the rest. */
	for (unsigned i = STLINK_LOADER_SAVED_REGISTERS; s == STM32_OK && i-- > 0;)
		s = stlink_write_register(l, i, ld->saved_registers[i], err);
	if (s == STM32_OK) {
		ld->saved = false;
		ld->clobbered = false;
	}
	return s;
}

/* From its entry: a first start, or after it parked. */
static enum stm32_status run(struct stlink_link *l, struct stlink_loader *ld,
			     struct stm32_error *err)
{
	enum stm32_status s = stlink_write_register(l, REG_R0, ld->control, err);
	if (s == STM32_OK)
		s = stlink_write_register(l, REG_SP, ld->stack_top, err);
	if (s == STM32_OK)
		s = stlink_write_register(l, REG_PC, ld->code, err);
	if (s == STM32_OK)
		s = stlink_write_word(l, DHCSR, DHCSR_RUN_DEBUG, err);
	return s;
}

static enum stm32_status drain(struct stlink_link *l, struct stlink_loader *ld,
			       struct stm32_error *err);

/* From its entry, with the control block written afresh; the code is
 * already in SRAM and the core halted. */
static enum stm32_status launch(struct stlink_link *l, struct stlink_loader *ld, bool for_crc,
				struct stm32_error *err)
{
	enum stm32_status s = write_control(l, ld, for_crc, err);
	if (s == STM32_OK && (ld->options & LOADER_OPT_CRC_UNIT))
		s = enable_crc_clock(l, ld, err);
	if (s == STM32_OK)
		s = stlink_write_register(l, REG_XPSR, XPSR_THUMB, err);
	if (s == STM32_OK)
		s = run(l, ld, err);
	if (s == STM32_OK)
		s = wait_alive(l, ld, err);
	if (s != STM32_OK) {
		struct stm32_error ignored;
		(void)stlink_halt(l, &ignored);
		ld->running = false;
		return s;
	}
	ld->running = true;
	ld->for_crc = for_crc;
	ld->next = 0;
	memset(ld->slots, 0, sizeof ld->slots);
	return STM32_OK;
}

/* Loads the loader and runs it (the core halted first: it may be running
 * the application after a go or a reset). for_crc: the first use only
 * computes CRCs, so what it overwrites is saved to be put back; a program
 * or an erase changes the flash, after which nothing is put back, and the
 * save (SRAM and 19 registers, some 25 USB round trips) would be wasted.
 * One started for a CRC (the blank check before a write, say) ran on the
 * clock it found: it is started again from its entry, which raises the
 * clock, before it programs or erases. */
static enum stm32_status start(struct stlink_link *l, struct stlink_loader *ld, bool for_crc,
			       struct stm32_error *err)
{
	if (ld->running && (for_crc || !ld->for_crc || !ld->clock_kind))
		return STM32_OK;
	if (ld->running) {
		enum stm32_status s = drain(l, ld, err);
		if (s == STM32_OK)
			s = stlink_halt(l, err);
		ld->running = false;
		ld->saved = false; /* the flash is about to change: nothing is put back */
		return s == STM32_OK ? launch(l, ld, false, err) : s;
	}
	enum stm32_status s = stlink_halt(l, err);
	if (s == STM32_OK && for_crc && !ld->clobbered && saved_span(ld) <= sizeof ld->saved_sram)
		s = save(l, ld, err);
	ld->clobbered = true;
	if (s == STM32_OK)
		s = stlink_write(l, ld->code, ld->image->bytes, ld->image->size, 4, err);
	if (s == STM32_OK)
		return launch(l, ld, for_crc, err);
	struct stm32_error ignored;
	(void)stlink_halt(l, &ignored);
	return s;
}

static unsigned budget_ms(const struct stlink_loader *ld, uint32_t command, uint32_t length)
{
	uint64_t ms = ld->base_timeout_ms;
	switch (command) {
	case LOADER_CMD_ERASE_UNITS: ms += (uint64_t)length * ERASE_UNIT_MS; break;
	case LOADER_CMD_ERASE_MASS:
	case LOADER_CMD_ERASE_BANK: ms += MASS_ERASE_MS; break;
	case LOADER_CMD_PROGRAM: {
		/* The row's time per unit, twice, where it is longer (L0/L1: a word
		 * costs what a half page does). */
		uint64_t us = (uint64_t)length / 2u * PROGRAM_UNIT_US;
		uint64_t row = (uint64_t)length / stlink_loader_unit(ld) * ld->device->t_prog_us * 2u;
		ms += (us > row ? us : row) / 1000u;
		break;
	}
	default: ms += (uint64_t)length / 1024u * CRC_KIB_US / 1000u; break;
	}
	return ms > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)ms;
}

/* The table's typical time to program length bytes, in microseconds. */
static uint64_t program_us(const struct stlink_loader *ld, uint32_t length)
{
	return (uint64_t)length / stlink_loader_unit(ld) * ld->device->t_prog_us;
}

/* Until when a new slot surely is not done: it starts when the other
 * slot's work ends (the loader serves them in turn), and then takes at
 * least 3/4 of the table's typical time. Polling before is a USB round
 * trip for nothing; waking a little late costs the chip nothing, as the
 * other slot keeps it busy. Programming only (erases and CRCs are waited
 * for at once). */
static void expect(struct stlink_loader *ld, unsigned slot, uint64_t now)
{
	struct stlink_loader_slot *sl = &ld->slots[slot];
	const struct stlink_loader_slot *other = &ld->slots[slot ^ 1u];
	sl->quiet_until_ms = sl->expected_end_us = 0;
	if (sl->command != LOADER_CMD_PROGRAM)
		return;
	uint64_t start_us = now * 1000u;
	if (other->busy && other->expected_end_us > start_us)
		start_us = other->expected_end_us;
	uint64_t us = program_us(ld, sl->length);
	sl->expected_end_us = start_us + us;
	sl->quiet_until_ms = (start_us + us * 3u / 4u) / 1000u;
}

static enum stm32_status post_with(struct stlink_link *l, struct stlink_loader *ld, unsigned slot,
				   uint32_t command, uint32_t address, uint32_t length,
				   uint32_t result_in, struct stm32_error *err)
{
	uint8_t words[LOADER_SLOT_BYTES];
	memset(words, 0, sizeof words);
	put32(words + LOADER_SLOT_RESULT, result_in);
	put32(words + LOADER_SLOT_ADDRESS, address);
	put32(words + LOADER_SLOT_LENGTH, length);
	put32(words + LOADER_SLOT_BUFFER, ld->buffers[slot]);
	put32(words + LOADER_SLOT_STATUS, LOADER_RUNNING);
	put32(words + LOADER_SLOT_COMMAND, command); /* last: the word the loader waits on */
	enum stm32_status s = stlink_write(l, slot_address(ld, slot), words, sizeof words, 4, err);
	if (s != STM32_OK) {
		/* Whether the command word got there is unknown: start afresh. */
		struct stm32_error ignored;
		(void)stlink_halt(l, &ignored);
		stlink_loader_forget(ld, false);
		return s;
	}
	ld->next = slot ^ 1u; /* the loader serves the slots in turn */
	uint64_t now = core_monotonic_ms();
	ld->slots[slot] = (struct stlink_loader_slot){
		.busy = true, .command = command, .address = address, .length = length,
		.deadline_ms = now + budget_ms(ld, command, length),
	};
	expect(ld, slot, now);
	return STM32_OK;
}

static enum stm32_status post(struct stlink_link *l, struct stlink_loader *ld, unsigned slot,
			      uint32_t command, uint32_t address, uint32_t length,
			      struct stm32_error *err)
{
	return post_with(l, ld, slot, command, address, length, 0, err);
}

/* "programming 0x08000400+1024", "erasing 4 units from 0x08000000", ... */
static const char *doing(const struct stlink_loader_slot *sl, char *out, size_t size)
{
	switch (sl->command) {
	case LOADER_CMD_ERASE_UNITS:
		snprintf(out, size, "erasing %u unit%s from 0x%08X", sl->length,
			 sl->length == 1 ? "" : "s", sl->address);
		break;
	case LOADER_CMD_ERASE_MASS: snprintf(out, size, "mass-erasing the flash"); break;
	case LOADER_CMD_ERASE_BANK: snprintf(out, size, "erasing bank %u", sl->length); break;
	case LOADER_CMD_PROGRAM:
		if (sl->length)
			snprintf(out, size, "programming 0x%08X+%u", sl->address, sl->length);
		else
			snprintf(out, size, "programming 0x%08X", sl->address);
		break;
	default: snprintf(out, size, "computing the CRC of 0x%08X+%u", sl->address, sl->length); break;
	}
	return out;
}

/* The core stopped serving (locked up, reset, halted) or ran out of time:
 * it is halted and the loader forgotten. */
static enum stm32_status lost(struct stlink_link *l, struct stlink_loader *ld,
			      const struct stlink_loader_slot *slot, uint32_t dhcsr,
			      struct stm32_error *err)
{
	const struct stlink_loader_slot copy = *slot, *sl = &copy; /* forget clears the slots */
	struct stm32_error ignored;
	(void)stlink_halt(l, &ignored);
	stlink_loader_forget(ld, false);
	ld->saved = false; /* the core is in an unknown state: nothing to put back */
	enum stm32_status s;
	char what[80];
	doing(sl, what, sizeof what);
	if (dhcsr & DHCSR_S_RESET_ST)
		s = stm32_error_set(err, STM32_E_IO, "the chip reset while the RAM loader was %s",
				    what);
	else if (dhcsr & DHCSR_S_LOCKUP)
		s = stm32_error_set(err, STM32_E_IO,
				    "the RAM loader faulted (core locked up) while %s", what);
	else if (dhcsr & DHCSR_S_HALT)
		s = stm32_error_set(err, STM32_E_IO, "the core halted while the RAM loader was %s",
				    what);
	else
		s = stm32_error_set(err, STM32_E_TIMEOUT,
				    "the RAM loader did not finish %s in %u ms (DHCSR 0x%08X); the "
				    "core was halted", what, budget_ms(ld, sl->command, sl->length),
				    dhcsr);
	stm32_error_address(err, sl->address);
	return s;
}

/* A slot that came back with an error; at: where (the caller knows best). */
static enum stm32_status failed(const struct stlink_loader *ld, const struct stlink_loader_slot *sl,
				uint32_t status, uint32_t sr, uint32_t at, struct stm32_error *err)
{
	enum stm32_status s;
	char what[80];
	struct stlink_loader_slot here = *sl;
	if (sl->command != LOADER_CMD_PROGRAM) /* erase: the unit that failed */
		here = (struct stlink_loader_slot){.command = sl->command, .address = at, .length = 1};
	if (sl->command == LOADER_CMD_PROGRAM || sl->command == LOADER_CMD_CRC)
		here.address = at, here.length = 0;
	doing(&here, what, sizeof what);
	if (status == LOADER_E_FLASH)
		/* Not retried: the loader's driver checked the controller and
		 * the cell; the same request fails the same way again. */
		s = stm32_error_set(err, STM32_E_VERIFY,
				    "the flash controller refused %s (SR 0x%08X%s), through the RAM "
				    "loader", what, sr, (sr & ld->wrperr) ? ": write protected" : "");
	else
		s = stm32_error_set(err, STM32_E_PROTOCOL, "the RAM loader refused %s (status %u)",
				    what, status);
	stm32_error_address(err, at);
	return s;
}

struct slot_result {
	uint32_t status, error_sr, error_address, result;
};

/* Waits for the slot's status; the loader's error is left to the caller. */
static enum stm32_status wait_slot(struct stlink_link *l, struct stlink_loader *ld, unsigned slot,
				   struct slot_result *out, struct stm32_error *err)
{
	struct stlink_loader_slot *sl = &ld->slots[slot];
	memset(out, 0, sizeof *out);
	if (!sl->busy)
		return STM32_OK;
	uint32_t at = slot_address(ld, slot);
	uint64_t now = core_monotonic_ms();
	if (now < sl->quiet_until_ms)
		core_sleep_ms((unsigned)(sl->quiet_until_ms - now));
	for (unsigned polls = 0;; polls++) {
		uint32_t status, dhcsr;
		enum stm32_status s = stlink_read_word(l, at + LOADER_SLOT_STATUS, &status, err);
		if (s != STM32_OK) {
			/* The link failed, not the slot: its work is what is unsettled. */
			stm32_error_address(err, sl->address);
			return s;
		}
		if (status != LOADER_RUNNING) {
			uint8_t results[12] = {0};
			/* A program or erase that went well has nothing more to say. */
			if (status != LOADER_OK || sl->command == LOADER_CMD_CRC)
				s = stlink_read(l, at + LOADER_SLOT_ERROR_SR, results, sizeof results,
						err);
			if (s != STM32_OK)
				return s;
			sl->busy = false;
			*out = (struct slot_result){status, get32(results), get32(results + 4),
						    get32(results + 8)};
			return STM32_OK;
		}
		/* The core's state every few polls (each is a USB round trip),
		 * and always before giving up. */
		bool late = core_monotonic_ms() > sl->deadline_ms;
		if (polls % DHCSR_EVERY != 1 && !late)
			continue;
		if ((s = stlink_read_word(l, DHCSR, &dhcsr, err)) != STM32_OK)
			return s;
		if ((dhcsr & (DHCSR_S_HALT | DHCSR_S_LOCKUP | DHCSR_S_RESET_ST)) == DHCSR_S_HALT) {
			uint32_t alive;
			if ((s = stlink_read_word(l, ld->control + LOADER_ALIVE, &alive, err)) != STM32_OK)
				return s;
			if (alive == LOADER_PARKED) {
				/* It ran out of work before this slot came: on again. */
				if ((s = run(l, ld, err)) != STM32_OK)
					return s;
				ld->restarts++;
				continue;
			}
		}
		if (dhcsr & (DHCSR_S_LOCKUP | DHCSR_S_HALT | DHCSR_S_RESET_ST) || late)
			return lost(l, ld, sl, dhcsr, err);
		if (polls >= SPIN_POLLS)
			core_sleep_ms(1);
	}
}

/* Both slots back; the first error of either. */
static enum stm32_status drain(struct stlink_link *l, struct stlink_loader *ld,
			       struct stm32_error *err)
{
	enum stm32_status first = STM32_OK;
	for (unsigned k = 0; k < 2; k++) {
		unsigned slot = (ld->next + k) % 2u; /* the older one first */
		struct stlink_loader_slot sl = ld->slots[slot];
		struct slot_result r;
		enum stm32_status s = wait_slot(l, ld, slot, &r, first == STM32_OK ? err : NULL);
		if (s == STM32_OK && r.status != LOADER_OK)
			s = failed(ld, &sl, r.status, r.error_sr,
				   r.error_address ? r.error_address : sl.address,
				   first == STM32_OK ? err : NULL);
		if (first == STM32_OK)
			first = s;
		if (!ld->running)
			break; /* lost: nothing more to wait for */
	}
	return first;
}

/* The piece of a request one slot takes: small enough that the first
 * piece's transfer (the part the chip cannot overlap: the request waits
 * for all of it at its end) is short, large enough that the commands per
 * piece stay below its programming time. */
static size_t piece_size(const struct stlink_loader *ld, size_t length)
{
	size_t unit = stlink_loader_unit(ld); /* a power of two; H7's flash word is 32 bytes */
	size_t piece = (length / 2u + unit - 1u) & ~(unit - 1u);
	if (piece < PIECE_MIN)
		piece = PIECE_MIN;
	return piece < ld->buffer_size ? piece : ld->buffer_size;
}

/* Copies a piece into the slot's buffer: whole words, a half-word tail
 * (F0/F1/F3) padded for the copy only. */
static enum stm32_status fill(struct stlink_link *l, const struct stlink_loader *ld, unsigned slot,
			      const uint8_t *data, size_t n, struct stm32_error *err)
{
	size_t whole = n & ~(size_t)3;
	enum stm32_status s = whole ? stlink_write(l, ld->buffers[slot], data, whole, 4, err) : STM32_OK;
	if (s == STM32_OK && whole < n) {
		uint8_t padded[4];
		memset(padded, 0xFF, sizeof padded);
		memcpy(padded, data + whole, n - whole);
		s = stlink_write(l, ld->buffers[slot] + (uint32_t)whole, padded, 4, 4, err);
	}
	return s;
}

/* Hands the data over in pieces, each slot's buffer refilled once its
 * last command is done (the other slot keeps the chip busy meanwhile);
 * returns with the last pieces still programming. A failure, of these
 * pieces or of what was queued before, leaves nothing in flight. */
static enum stm32_status queue(struct stlink_link *l, struct stlink_loader *ld, uint32_t address,
			       const uint8_t *data, size_t length, size_t piece,
			       struct stm32_error *err)
{
	enum stm32_status s = stlink_loader_refuse_secure(l, ld, address,
							  (uint64_t)address + length, "programming", err);
	if (s != STM32_OK)
		return s;
	s = start(l, ld, false, err);
	ld->flash_changed = true;
	ld->crc_cache_count = 0;
	for (size_t offset = 0; s == STM32_OK && offset < length;) {
		size_t n = length - offset < piece ? length - offset : piece;
		unsigned slot = ld->next;
		struct stlink_loader_slot previous = ld->slots[slot];
		struct slot_result r;
		if ((s = wait_slot(l, ld, slot, &r, err)) != STM32_OK)
			break;
		if (r.status != LOADER_OK) {
			s = failed(ld, &previous, r.status, r.error_sr,
				   r.error_address ? r.error_address : previous.address, err);
			break;
		}
		s = fill(l, ld, slot, data + offset, n, err);
		if (s == STM32_OK)
			s = post(l, ld, slot, LOADER_CMD_PROGRAM, address + (uint32_t)offset, (uint32_t)n,
				 err);
		if (s != STM32_OK) /* the piece did not get there (err names SRAM) */
			stm32_error_address(err, address + (uint32_t)offset);
		offset += n;
	}
	if (s != STM32_OK && ld->running)
		(void)drain(l, ld, NULL);
	return s;
}

enum stm32_status stlink_loader_program(struct stlink_link *l, struct stlink_loader *ld,
					uint32_t address, const uint8_t *data, size_t length,
					struct stm32_error *err)
{
	enum stm32_status s = queue(l, ld, address, data, length, piece_size(ld, length), err);
	return s == STM32_OK ? stlink_loader_finish(l, ld, err) : s;
}

/* The piece is a whole buffer: the transfer of one overlaps the
 * programming of the other across requests, so a request needs no small
 * first piece, and fewer pieces are fewer commands. */
enum stm32_status stlink_loader_queue(struct stlink_link *l, struct stlink_loader *ld,
				      uint32_t address, const uint8_t *data, size_t length,
				      struct stm32_error *err)
{
	size_t piece = length < ld->buffer_size ? length : ld->buffer_size;
	return queue(l, ld, address, data, length, piece ? piece : 1u, err);
}

enum stm32_status stlink_loader_finish(struct stlink_link *l, struct stlink_loader *ld,
				       struct stm32_error *err)
{
	return ld->running ? drain(l, ld, err) : STM32_OK;
}

bool stlink_loader_in_flight(const struct stlink_loader *ld)
{
	return ld->running && (ld->slots[0].busy || ld->slots[1].busy);
}

static uint32_t unit_address(const struct stm32_device *dev, uint32_t unit)
{
	uint32_t address, size;
	return stm32_device_sector(dev, unit, &address, &size) ? address : dev->flash_start;
}

/* One command in slot 0 with the other idle, waited for. */
static enum stm32_status run_one(struct stlink_link *l, struct stlink_loader *ld, uint32_t command,
				 uint32_t address, uint32_t length, struct slot_result *r,
				 struct stm32_error *err)
{
	enum stm32_status s = drain(l, ld, err);
	unsigned slot = ld->next;
	if (s == STM32_OK)
		s = post(l, ld, slot, command, address, length, err);
	if (s == STM32_OK)
		s = wait_slot(l, ld, slot, r, err);
	return s;
}

enum stm32_status stlink_loader_erase(struct stlink_link *l, struct stlink_loader *ld,
				      const struct stm32_erase_request *request,
				      struct stm32_error *err)
{
	const struct stm32_device *dev = ld->device;
	enum stm32_status s = stlink_loader_refuse_secure_erase(l, ld, request, err);
	if (s == STM32_OK)
		s = start(l, ld, false, err);
	if (s != STM32_OK)
		return s;
	ld->flash_changed = true;
	ld->crc_cache_count = 0;
	uint32_t command = LOADER_CMD_ERASE_MASS, length = 0, address = dev->flash_start;
	if (request->kind == STM32_ERASE_REQUEST_BANK) {
		command = LOADER_CMD_ERASE_BANK;
		length = request->bank;
		address = request->bank == 2 && dev->bank2_start ? dev->bank2_start : dev->flash_start;
	} else if (request->kind == STM32_ERASE_REQUEST_UNITS) {
		if (request->count > stlink_loader_max_erase_units(ld))
			return stm32_error_set(err, STM32_E_INVALID,
					       "%zu erase units in one request; the RAM loader takes %u",
					       request->count, stlink_loader_max_erase_units(ld));
		if (request->count == 0)
			return STM32_OK;
		uint8_t list[STLINK_LOADER_MAX_ERASE_UNITS * 4u];
		for (size_t i = 0; i < request->count; i++)
			put32(list + 4 * i, request->units[i]);
		unsigned slot = ld->next;
		if ((s = drain(l, ld, err)) == STM32_OK)
			s = stlink_write(l, ld->buffers[slot], list, 4 * request->count, 4, err);
		if (s != STM32_OK)
			return s;
		command = LOADER_CMD_ERASE_UNITS;
		length = (uint32_t)request->count;
		address = unit_address(dev, request->units[0]);
	}
	struct slot_result r;
	struct stlink_loader_slot sl = {.command = command, .address = address, .length = length};
	s = run_one(l, ld, command, address, length, &r, err);
	if (s != STM32_OK || r.status == LOADER_OK)
		return s;
	if (command == LOADER_CMD_ERASE_UNITS && r.status == LOADER_E_FLASH && r.result < length)
		address = unit_address(dev, request->units[r.result]);
	return failed(ld, &sl, r.status, r.error_sr, address, err);
}

static bool cached_crc(const struct stlink_loader *ld, uint32_t address, uint32_t length,
		       uint32_t *crc)
{
	if (!ld->crc_cache_count || length != ld->crc_cache_block || address < ld->crc_cache_address)
		return false;
	uint32_t index = (address - ld->crc_cache_address) / length;
	if ((address - ld->crc_cache_address) % length || index >= ld->crc_cache_count)
		return false;
	*crc = ld->crc_cache[index];
	return true;
}

/* Blocks of this length from address to compute at once: as many as fit
 * the cache, a buffer and CRC_AHEAD_BYTES, within flash. */
static uint32_t crc_blocks_ahead(const struct stlink_loader *ld, uint32_t address, uint32_t length)
{
	const struct stm32_device *dev = ld->device;
	uint64_t end = (uint64_t)dev->flash_start + dev->flash_size;
	if (!ld->crc_ahead_allowed || !length || address < dev->flash_start ||
	    address + (uint64_t)length > end)
		return 0;
	uint64_t count = (end - address) / length;
	uint64_t limits[] = {STLINK_LOADER_CRC_CACHE, ld->buffer_size / 4u, CRC_AHEAD_BYTES / length,
			     STLINK_MAX_TRANSFER / 4u};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
		count = count < limits[i] ? count : limits[i];
	return (uint32_t)count;
}

static enum stm32_status crc_failed(const struct stlink_loader *ld, const struct slot_result *r,
				    uint32_t address, uint32_t length, struct stm32_error *err)
{
	struct stlink_loader_slot sl = {.command = LOADER_CMD_CRC, .address = address,
					.length = length};
	return failed(ld, &sl, r->status, r->error_sr, address, err);
}

static enum stm32_status crc_blocks(struct stlink_link *l, struct stlink_loader *ld,
				    uint32_t address, uint32_t length, uint32_t count,
				    uint32_t *crc, struct stm32_error *err)
{
	enum stm32_status s = drain(l, ld, err);
	unsigned slot = ld->next;
	struct slot_result r;
	if (s == STM32_OK)
		s = post_with(l, ld, slot, LOADER_CMD_CRC_BLOCKS, address, length * count, length, err);
	if (s == STM32_OK)
		s = wait_slot(l, ld, slot, &r, err);
	if (s != STM32_OK)
		return s;
	if (r.status != LOADER_OK)
		return crc_failed(ld, &r, address, length, err);
	uint8_t bytes[STLINK_MAX_TRANSFER];
	if ((s = stlink_read(l, ld->buffers[slot], bytes, 4u * count, err)) != STM32_OK)
		return s;
	for (uint32_t i = 0; i < count; i++)
		ld->crc_cache[i] = get32(bytes + 4 * i);
	ld->crc_cache_address = address;
	ld->crc_cache_block = length;
	ld->crc_cache_count = count;
	*crc = ld->crc_cache[0];
	return STM32_OK;
}

enum stm32_status stlink_loader_crc(struct stlink_link *l, struct stlink_loader *ld,
				    uint32_t address, uint32_t length, uint32_t *crc,
				    struct stm32_error *err)
{
	*crc = 0;
	if (address % 4 || length % 4)
		return stm32_error_set(err, STM32_E_INVALID, "CRC range 0x%08X+%u is not 4-aligned",
				       address, length);
	if (cached_crc(ld, address, length, crc))
		return STM32_OK;
	enum stm32_status s = start(l, ld, true, err);
	uint32_t count = crc_blocks_ahead(ld, address, length);
	if (s == STM32_OK && count > 1)
		return crc_blocks(l, ld, address, length, count, crc, err);
	struct slot_result r;
	if (s == STM32_OK)
		s = run_one(l, ld, LOADER_CMD_CRC, address, length, &r, err);
	if (s != STM32_OK)
		return s;
	if (r.status != LOADER_OK)
		return crc_failed(ld, &r, address, length, err);
	*crc = r.result;
	return STM32_OK;
}

enum stm32_status stlink_loader_stop(struct stlink_link *l, struct stlink_loader *ld,
				     struct stm32_error *err)
{
	/* Halting with a piece still programming would drop it unseen. */
	enum stm32_status s = stlink_loader_in_flight(ld) ? drain(l, ld, err) : STM32_OK;
	if (ld->running) {
		ld->running = false;
		enum stm32_status halted = stlink_halt(l, s == STM32_OK ? err : NULL);
		s = s == STM32_OK ? halted : s;
	}
	if (s == STM32_OK && ld->saved && !ld->flash_changed)
		s = restore(l, ld, err);
	ld->saved = false;
	return s;
}

void stlink_loader_forget(struct stlink_loader *ld, bool chip_reset)
{
	ld->running = false;
	ld->crc_cache_count = 0;
	memset(ld->slots, 0, sizeof ld->slots);
	if (chip_reset)
		ld->clobbered = ld->saved = false;
}
