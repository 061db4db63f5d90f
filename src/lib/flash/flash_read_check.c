/* Checking bytes already read against the chip, and repairing them.
 *
 * A Read Memory reply carries no checksum (AN3155): on a noisy line a byte
 * can flip on its way back and nothing in the protocol notices. Where the
 * bootloader has Get Checksum one command settles a whole range; a mismatch
 * is narrowed down by halves to the 256-byte blocks that differ, which are
 * read again until they match the chip's CRC. Without it the range is read a
 * second time, and a block whose two reads differ is read until two agree. */
#include <stdlib.h>
#include <string.h>

#include "flash/flash_internal.h"

#define ALIGN_DOWN4(x) ((x) & ~UINT32_C(3))

struct read_check {
	struct stm32_target *t;
	uint32_t address;  /* of buffer[0] */
	uint8_t *buffer;
	unsigned retries;
	struct flash_progress progress;
	struct stm32_read_check_report *report;
};

static uint8_t *at(struct read_check *c, uint32_t address)
{
	return c->buffer + (address - c->address);
}

static enum stm32_status read_again(struct read_check *c, uint32_t address, uint32_t length,
				    uint8_t *into, struct stm32_error *err)
{
	struct flash_progress quiet;
	flash_progress_start(&quiet, NULL, NULL, STM32_PHASE_READ, length, address);
	return flash_read_range(c->t, address, length, into, c->retries, &quiet, err);
}

static enum stm32_status never_settled(uint32_t address, uint32_t length, unsigned reads,
				       const char *how, struct stm32_error *err)
{
	enum stm32_status st = stm32_error_set(
		err, STM32_E_VERIFY,
		"0x%08X..0x%08X read differently %s after %u reads: the line is too noisy", address,
		address + length - 1u, how, reads);
	stm32_error_address(err, address);
	return st;
}

/* ---- without Get Checksum: two reads that agree ---- */

/* One piece (at most flash_piece bytes): read it again; when the two reads differ,
 * keep reading until a read equals one of the two before it. */
static enum stm32_status settle_by_reading(struct read_check *c, uint32_t address,
					   uint32_t length, struct stm32_error *err)
{
	uint8_t previous[FLASH_PIECE_MAX], latest[FLASH_PIECE_MAX];
	uint8_t *kept = at(c, address);
	enum stm32_status st = read_again(c, address, length, latest, err);
	if (st != STM32_OK || memcmp(latest, kept, length) == 0)
		return st;
	for (unsigned reads = 2; reads < 2 + c->retries + 1u; reads++) {
		memcpy(previous, latest, length);
		st = read_again(c, address, length, latest, err);
		if (st != STM32_OK)
			return st;
		bool agrees_with_kept = memcmp(latest, kept, length) == 0;
		if (agrees_with_kept || memcmp(latest, previous, length) == 0) {
			if (!agrees_with_kept)
				memcpy(kept, latest, length);
			c->report->blocks_reread++;
			return STM32_OK;
		}
	}
	return never_settled(address, length, c->retries + 3u, "each time", err);
}

static enum stm32_status check_by_reading(struct read_check *c, uint32_t address,
					  uint32_t length, struct stm32_error *err)
{
	uint32_t piece = flash_piece(c->t);
	for (uint32_t offset = 0; offset < length;) {
		uint32_t n = length - offset < piece ? length - offset : piece;
		enum stm32_status st = settle_by_reading(c, address + offset, n, err);
		if (st == STM32_OK)
			st = flash_progress_step(&c->progress, n, address + offset, err);
		if (st != STM32_OK)
			return st;
		offset += n;
	}
	return STM32_OK;
}

/* ---- with Get Checksum ---- */

static uint32_t local_crc(struct read_check *c, uint32_t address, uint32_t length)
{
	return stm32_crc32(0xFFFFFFFFu, at(c, address), length);
}

/* A block whose CRC is not the chip's: read it until one read matches. The
 * chip is asked once more at the end, in case its answer was what flipped. */
static enum stm32_status settle_block_by_crc(struct read_check *c, uint32_t address,
					     uint32_t length, uint32_t chip, struct stm32_error *err)
{
	uint8_t fresh[FLASH_BLOCK];
	for (unsigned reads = 0; reads <= c->retries; reads++) {
		enum stm32_status st = read_again(c, address, length, fresh, err);
		if (st != STM32_OK)
			return st;
		if (stm32_crc32(0xFFFFFFFFu, fresh, length) == chip) {
			memcpy(at(c, address), fresh, length);
			c->report->blocks_reread++;
			return STM32_OK;
		}
	}
	bool available = false;
	enum stm32_status st = flash_chip_crc(c->t, c->retries, address, length, &chip,
					      &available, err);
	if (st == STM32_OK && available && local_crc(c, address, length) == chip)
		return STM32_OK;
	return st != STM32_OK ? st : never_settled(address, length, c->retries + 2u,
						   "from the chip's checksum", err);
}

/* [address, address+length), both multiples of 4: equal to the chip's CRC,
 * or split in two (at a block boundary) until the blocks that differ are
 * found and read again. *available false: the chip declined to checksum. */
static enum stm32_status settle_by_crc(struct read_check *c, uint32_t address, uint32_t length,
				       bool *available, struct stm32_error *err)
{
	uint32_t chip = 0;
	enum stm32_status st = flash_chip_crc(c->t, c->retries, address, length, &chip,
					      available, err);
	if (st != STM32_OK || !*available)
		return st;
	if (local_crc(c, address, length) == chip)
		return flash_progress_step(&c->progress, length, address, err);
	if (length <= FLASH_BLOCK) {
		st = settle_block_by_crc(c, address, length, chip, err);
		return st != STM32_OK ? st : flash_progress_step(&c->progress, length, address, err);
	}
	uint32_t blocks = (length + FLASH_BLOCK - 1u) / FLASH_BLOCK;
	uint32_t first = blocks / 2u * FLASH_BLOCK;
	st = settle_by_crc(c, address, first, available, err);
	if (st == STM32_OK && *available)
		st = settle_by_crc(c, address + first, length - first, available, err);
	return st;
}

/* The chip checksums 4-aligned words: the middle of the range goes by CRC,
 * the few bytes either side of it by a second read. */
static enum stm32_status check_by_crc(struct read_check *c, uint32_t length, bool *available,
				      struct stm32_error *err)
{
	uint32_t start = c->address, end = c->address + length;
	uint32_t middle_start = ALIGN_DOWN4(start + 3u), middle_end = ALIGN_DOWN4(end);
	*available = true;
	if (middle_end <= middle_start || (uint64_t)start + length > UINT64_C(0xFFFFFFFC))
		return check_by_reading(c, start, length, err);
	enum stm32_status st = STM32_OK;
	if (middle_start > start)
		st = check_by_reading(c, start, middle_start - start, err);
	if (st == STM32_OK)
		st = settle_by_crc(c, middle_start, middle_end - middle_start, available, err);
	if (st == STM32_OK && *available && end > middle_end)
		st = check_by_reading(c, middle_end, end - middle_end, err);
	return st;
}

enum stm32_status stm32_flash_check_read(struct stm32_target *t, uint32_t address,
					 uint32_t length, uint8_t *buffer,
					 enum stm32_verify_method how,
					 const struct stm32_flash_options *options,
					 struct stm32_read_check_report *report,
					 struct stm32_error *err)
{
	struct stm32_flash_options defaults;
	options = flash_options_or_default(options, &defaults);
	stm32_progress_fn progress = options->progress;
	void *user = options->progress_user;
	struct stm32_read_check_report ignored;
	if (!report)
		report = &ignored;
	memset(report, 0, sizeof(*report));
	if (length == 0)
		return STM32_OK;
	if ((uint64_t)address + length > UINT64_C(1) << 32)
		return stm32_error_set(err, STM32_E_RANGE,
				       "read range passes the end of the address space");
	struct read_check c = {
		.t = t, .address = address, .buffer = buffer,
		.retries = options->retries, .report = report,
	};
	flash_progress_start(&c.progress, progress, user, STM32_PHASE_VERIFY, length, address);
	report->checked = true;
	if (how != STM32_VERIFY_READ && stm32_target_can(&t->desc, STM32_CAP_CRC)) {
		bool available = false;
		enum stm32_status st = check_by_crc(&c, length, &available, err);
		if (st != STM32_OK || available) {
			report->by_crc = st == STM32_OK;
			return st;
		}
		/* Declined: check the whole range the other way. */
		report->blocks_reread = 0;
		flash_progress_start(&c.progress, progress, user, STM32_PHASE_VERIFY, length,
				     address);
	}
	return check_by_reading(&c, address, length, err);
}
