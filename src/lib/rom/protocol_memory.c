/* The AN3155 memory, erase, Go, protection and checksum commands (the
 * framing they share is in protocol.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rom/protocol_internal.h"
#include "rom/protocol_link.h"
/* ---- memory ------------------------------------------------------------------ */

static enum stm32_status do_read_memory(struct stm32_bl *bl, uint32_t address, uint8_t *data,
					size_t length, struct stm32_error *err)
{
	if (length < 1 || length > STM32_MAX_BLOCK)
		return stm32_error_set(err, STM32_E_INVALID,
				       "cannot read %zu bytes at once (1 to 256)", length);
	enum stm32_status st = rom_require(bl, bl->cmd_read, "Read Memory", err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)bl->cmd_read, err);
	if (st == STM32_OK)
		st = rom_send_address(bl, address, err);
	uint8_t count[2] = {(uint8_t)(length - 1), (uint8_t)~(length - 1)};
	if (st == STM32_OK)
		st = rom_send_and_ack(bl, count, 2, bl->timeouts.ack_ms, "to the length", err);
	if (st == STM32_OK)
		st = rom_receive(bl, data, length, rom_saturating_add(bl->timeouts.ack_ms, rom_wire_ms(bl, length)),
			     "data", err);
	return st;
}

enum stm32_status stm32_bl_read_memory(struct stm32_bl *bl, uint32_t address, uint8_t *data,
				       size_t length, struct stm32_error *err)
{
	return rom_annotate(err, do_read_memory(bl, address, data, length, err), STM32_CMD_READ_MEMORY,
			true, address);
}

static enum stm32_status do_write_memory(struct stm32_bl *bl, uint32_t address,
					 const uint8_t *data, size_t length,
					 struct stm32_error *err)
{
	if (length < 1 || length > STM32_MAX_BLOCK)
		return stm32_error_set(err, STM32_E_INVALID,
				       "cannot write %zu bytes at once (1 to 256)", length);
	if (address % 4 != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "write address 0x%08X is not a multiple of 4", (unsigned)address);
	enum stm32_status st = rom_require(bl, bl->cmd_write, "Write Memory", err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)bl->cmd_write, err);
	if (st == STM32_OK)
		st = rom_send_address(bl, address, err);
	if (st != STM32_OK)
		return st;
	/* The bootloader programs whole words: pad the tail with erased bytes. */
	size_t padded = (length + 3) & ~(size_t)3;
	uint8_t frame[1 + STM32_MAX_BLOCK + 1];
	frame[0] = (uint8_t)(padded - 1);
	memcpy(frame + 1, data, length);
	memset(frame + 1 + length, 0xFF, padded - length);
	frame[1 + padded] = rom_xor_of(frame, 1 + padded);
	return rom_send_and_ack(bl, frame, padded + 2, bl->timeouts.write_ms, "after programming", err);
}

enum stm32_status stm32_bl_write_memory(struct stm32_bl *bl, uint32_t address, const uint8_t *data,
					size_t length, struct stm32_error *err)
{
	return rom_annotate(err, do_write_memory(bl, address, data, length, err),
			bl->cmd_write >= 0 ? bl->cmd_write : STM32_CMD_WRITE_MEMORY, true, address);
}

/* ---- erase ----------------------------------------------------------------- */

static unsigned erase_timeout(const struct stm32_bl *bl, size_t pages)
{
	uint64_t ms = (uint64_t)bl->timeouts.page_erase_ms * pages;
	return ms > ~0u ? ~0u : (unsigned)ms;
}

static bool extended_erase(const struct stm32_bl *bl)
{
	return bl->cmd_erase != STM32_CMD_ERASE;
}

static enum stm32_status build_page_list(const struct stm32_bl *bl, const uint16_t *pages,
					 size_t count, uint8_t *frame, size_t *length,
					 struct stm32_error *err)
{
	size_t n = 0;
	if (!extended_erase(bl)) {
		if (count > 255)
			return stm32_error_set(err, STM32_E_INVALID,
					       "legacy Erase takes at most 255 pages, not %zu", count);
		frame[n++] = (uint8_t)(count - 1);
		for (size_t i = 0; i < count; i++) {
			if (pages[i] > 0xFF)
				return stm32_error_set(err, STM32_E_RANGE,
						       "page %u does not fit legacy Erase (0 to 255)",
						       pages[i]);
			frame[n++] = (uint8_t)pages[i];
		}
	} else {
		if (count > 0xFFF0)
			return stm32_error_set(err, STM32_E_INVALID,
					       "too many pages for one Extended Erase: %zu", count);
		frame[n++] = (uint8_t)((count - 1) >> 8);
		frame[n++] = (uint8_t)(count - 1);
		for (size_t i = 0; i < count; i++) {
			frame[n++] = (uint8_t)(pages[i] >> 8);
			frame[n++] = (uint8_t)pages[i];
		}
	}
	frame[n] = rom_xor_of(frame, n);
	*length = n + 1;
	return STM32_OK;
}

/* I2C and SPI (AN4221, AN4286) take a counted list as two frames: the count
 * with its own check, then the items with a check over the items alone. */
static enum stm32_status send_split_list(struct stm32_bl *bl, const uint8_t *frame,
					 size_t count_bytes, size_t item_bytes, unsigned timeout_ms,
					 const char *stage, struct stm32_error *err)
{
	uint8_t head[3];
	memcpy(head, frame, count_bytes);
	head[count_bytes] = count_bytes == 1 ? (uint8_t)~frame[0] : rom_xor_of(frame, count_bytes);
	enum stm32_status st = rom_send_and_ack(bl, head, count_bytes + 1, bl->timeouts.ack_ms,
					    "to the count", err);
	if (st != STM32_OK)
		return st;
	uint8_t *items = malloc(item_bytes + 1);
	if (!items)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	memcpy(items, frame + count_bytes, item_bytes);
	items[item_bytes] = rom_xor_of(items, item_bytes);
	st = rom_send_and_ack(bl, items, item_bytes + 1, timeout_ms, stage, err);
	free(items);
	return st;
}

static enum stm32_status do_erase_pages(struct stm32_bl *bl, const uint16_t *pages, size_t count,
					struct stm32_error *err)
{
	if (count == 0)
		return stm32_error_set(err, STM32_E_INVALID, "no pages to erase");
	enum stm32_status st = rom_require(bl, bl->cmd_erase, "Erase", err);
	if (st != STM32_OK)
		return st;
	uint8_t *frame = malloc(3 + 2 * count);
	if (!frame)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	size_t length = 0;
	st = build_page_list(bl, pages, count, frame, &length, err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)bl->cmd_erase, err);
	if (st == STM32_OK && stm32_link_splits_lists(bl) && extended_erase(bl))
		st = send_split_list(bl, frame, 2, length - 3, erase_timeout(bl, count),
				     "after erasing", err);
	else if (st == STM32_OK)
		st = rom_send_and_ack(bl, frame, length, erase_timeout(bl, count), "after erasing", err);
	free(frame);
	return st;
}

enum stm32_status stm32_bl_erase_pages(struct stm32_bl *bl, const uint16_t *pages, size_t count,
				       struct stm32_error *err)
{
	int opcode = bl->cmd_erase >= 0 ? bl->cmd_erase : STM32_CMD_EXTENDED_ERASE;
	return rom_annotate(err, do_erase_pages(bl, pages, count, err), opcode, false, 0);
}

static enum stm32_status erase_special(struct stm32_bl *bl, const uint8_t *code, size_t length,
				       struct stm32_error *err)
{
	enum stm32_status st = rom_send_command(bl, (uint8_t)bl->cmd_erase, err);
	if (st != STM32_OK)
		return st;
	return rom_send_and_ack(bl, code, length, bl->timeouts.mass_erase_ms, "after the erase", err);
}

static enum stm32_status do_erase_mass(struct stm32_bl *bl, struct stm32_error *err)
{
	static const uint8_t legacy[2] = {0xFF, 0x00};
	static const uint8_t extended[3] = {0xFF, 0xFF, 0x00};
	enum stm32_status st = rom_require(bl, bl->cmd_erase, "Erase", err);
	if (st != STM32_OK)
		return st;
	if (extended_erase(bl))
		return erase_special(bl, extended, sizeof(extended), err);
	return erase_special(bl, legacy, sizeof(legacy), err);
}

enum stm32_status stm32_bl_erase_mass(struct stm32_bl *bl, struct stm32_error *err)
{
	int opcode = bl->cmd_erase >= 0 ? bl->cmd_erase : STM32_CMD_EXTENDED_ERASE;
	return rom_annotate(err, do_erase_mass(bl, err), opcode, false, 0);
}

static enum stm32_status do_erase_bank(struct stm32_bl *bl, int bank, struct stm32_error *err)
{
	if (bank != 1 && bank != 2)
		return stm32_error_set(err, STM32_E_INVALID, "there is no bank %d (1 or 2)", bank);
	enum stm32_status st = rom_require(bl, bl->cmd_erase, "Erase", err);
	if (st != STM32_OK)
		return st;
	if (!extended_erase(bl))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "bank erase needs Extended Erase (0x44)");
	uint8_t code[3] = {0xFF, bank == 1 ? 0xFE : 0xFD, 0};
	code[2] = rom_xor_of(code, 2);
	return erase_special(bl, code, sizeof(code), err);
}

enum stm32_status stm32_bl_erase_bank(struct stm32_bl *bl, int bank, struct stm32_error *err)
{
	int opcode = bl->cmd_erase >= 0 ? bl->cmd_erase : STM32_CMD_EXTENDED_ERASE;
	return rom_annotate(err, do_erase_bank(bl, bank, err), opcode, false, 0);
}

/* ---- Go ---------------------------------------------------------------------- */

static enum stm32_status do_go(struct stm32_bl *bl, uint32_t address, struct stm32_error *err)
{
	enum stm32_status st = rom_require(bl, bl->cmd_go, "Go", err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)bl->cmd_go, err);
	if (st != STM32_OK)
		return st;
	/* Some parts jump before their final ACK leaves the UART. */
	uint8_t frame[5];
	rom_put_be32(frame, address);
	frame[4] = rom_xor_of(frame, 4);
	st = rom_send_and_ack(bl, frame, sizeof(frame), bl->timeouts.ack_ms, "to the address", err);
	if (st == STM32_E_TIMEOUT) {
		stm32_error_clear(err);
		return STM32_OK;
	}
	return st;
}

enum stm32_status stm32_bl_go(struct stm32_bl *bl, uint32_t address, struct stm32_error *err)
{
	return rom_annotate(err, do_go(bl, address, err), STM32_CMD_GO, true, address);
}

/* ---- protection -------------------------------------------------------------- */

static enum stm32_status do_write_protect(struct stm32_bl *bl, const uint8_t *sectors,
					  size_t count, struct stm32_error *err)
{
	if (count < 1 || count > 256)
		return stm32_error_set(err, STM32_E_INVALID,
				       "Write Protect takes 1 to 256 sector codes, not %zu", count);
	enum stm32_status st = rom_require(bl, bl->cmd_write_protect, "Write Protect", err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)bl->cmd_write_protect, err);
	if (st != STM32_OK)
		return st;
	uint8_t frame[1 + 256 + 1];
	frame[0] = (uint8_t)(count - 1);
	memcpy(frame + 1, sectors, count);
	frame[1 + count] = rom_xor_of(frame, 1 + count);
	if (stm32_link_splits_lists(bl))
		return send_split_list(bl, frame, 1, count, bl->timeouts.option_ms,
				       "after setting the protection", err);
	return rom_send_and_ack(bl, frame, count + 2, bl->timeouts.option_ms,
			    "after setting the protection", err);
}

enum stm32_status stm32_bl_write_protect(struct stm32_bl *bl, const uint8_t *sectors, size_t count,
					 struct stm32_error *err)
{
	int opcode = bl->cmd_write_protect >= 0 ? bl->cmd_write_protect : STM32_CMD_WRITE_PROTECT;
	return rom_annotate(err, do_write_protect(bl, sectors, count, err), opcode, false, 0);
}

/* Command, ACK, then a second ACK once the option bytes are changed (the
 * device resets right after it). */
static enum stm32_status two_ack_command(struct stm32_bl *bl, int opcode, const char *what,
					 unsigned second_ms, struct stm32_error *err)
{
	enum stm32_status st = rom_require(bl, opcode, what, err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)opcode, err);
	if (st == STM32_OK)
		st = rom_expect_ack(bl, second_ms, "after changing the option bytes", err);
	return st;
}

enum stm32_status stm32_bl_write_unprotect(struct stm32_bl *bl, struct stm32_error *err)
{
	int opcode = bl->cmd_write_unprotect >= 0 ? bl->cmd_write_unprotect
						  : STM32_CMD_WRITE_UNPROTECT;
	enum stm32_status st = two_ack_command(bl, bl->cmd_write_unprotect, "Write Unprotect",
					       bl->timeouts.option_ms, err);
	return rom_annotate(err, st, opcode, false, 0);
}

enum stm32_status stm32_bl_readout_protect(struct stm32_bl *bl, struct stm32_error *err)
{
	int opcode = bl->cmd_readout_protect >= 0 ? bl->cmd_readout_protect
						  : STM32_CMD_READOUT_PROTECT;
	enum stm32_status st = two_ack_command(bl, bl->cmd_readout_protect, "Readout Protect",
					       bl->timeouts.option_ms, err);
	return rom_annotate(err, st, opcode, false, 0);
}

enum stm32_status stm32_bl_readout_unprotect(struct stm32_bl *bl, struct stm32_error *err)
{
	int opcode = bl->cmd_readout_unprotect >= 0 ? bl->cmd_readout_unprotect
						    : STM32_CMD_READOUT_UNPROTECT;
	/* The second ACK follows the mass erase that unprotecting triggers. */
	enum stm32_status st = two_ack_command(bl, bl->cmd_readout_unprotect, "Readout Unprotect",
					       bl->timeouts.mass_erase_ms, err);
	return rom_annotate(err, st, opcode, false, 0);
}

/* ---- Get Checksum ------------------------------------------------------------ */

static enum stm32_status check_crc_reply(const uint8_t *reply, uint32_t *crc,
					 struct stm32_error *err)
{
	if (rom_xor_of(reply, 4) != reply[4])
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "checksum %02X%02X%02X%02X arrived with check byte 0x%02X, "
				       "expected 0x%02X", reply[0], reply[1], reply[2], reply[3],
				       reply[4], rom_xor_of(reply, 4));
	*crc = (uint32_t)reply[0] << 24 | (uint32_t)reply[1] << 16 | (uint32_t)reply[2] << 8 |
	       reply[3];
	return STM32_OK;
}

/* I2C and SPI: the device computes (BUSY meanwhile), answers with its ACK,
 * then the result, one I2C transaction or one SPI data phase. */
static enum stm32_status read_framed_crc(struct stm32_bl *bl, uint32_t *crc, struct stm32_error *err)
{
	uint8_t reply[5];
	enum stm32_status st = rom_expect_ack(bl, bl->timeouts.checksum_ms, "after the computation", err);
	if (st == STM32_OK)
		st = rom_receive(bl, reply, sizeof(reply), bl->timeouts.ack_ms, "checksum", err);
	if (st != STM32_OK)
		return st;
	return check_crc_reply(reply, crc, err);
}

static enum stm32_status read_crc(struct stm32_bl *bl, uint32_t *crc, struct stm32_error *err)
{
	/* Whether an ACK precedes the result is not settled (protocol.md
	 * §1.16): take one if it comes, else the byte is the CRC's first. */
	uint8_t reply[5];
	enum stm32_status st = rom_receive(bl, reply, 1, bl->timeouts.checksum_ms, "checksum", err);
	if (st != STM32_OK)
		return st;
	if (reply[0] == STM32_NACK)
		return stm32_error_set(err, STM32_E_NACK, "the bootloader answered NACK instead "
				       "of the checksum");
	if (reply[0] == STM32_ACK)
		st = rom_receive_more(bl, reply, 5, bl->timeouts.ack_ms, "checksum", err);
	else
		st = rom_receive_more(bl, reply + 1, 4, bl->timeouts.ack_ms, "checksum", err);
	if (st != STM32_OK)
		return st;
	return check_crc_reply(reply, crc, err);
}

static enum stm32_status do_get_checksum(struct stm32_bl *bl, uint32_t address, uint32_t length,
					 uint32_t *crc, struct stm32_error *err)
{
	if (address % 4 != 0 || length % 4 != 0 || length == 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "checksum range 0x%08X + %u must be non-empty and word aligned",
				       (unsigned)address, (unsigned)length);
	enum stm32_status st = rom_require(bl, bl->cmd_checksum, "Get Checksum", err);
	if (st == STM32_OK)
		st = rom_send_command(bl, (uint8_t)bl->cmd_checksum, err);
	if (st == STM32_OK)
		st = rom_send_address(bl, address, err);
	if (st == STM32_OK)
		st = rom_send_word(bl, length, bl->timeouts.ack_ms, "to the size", err);
	if (st == STM32_OK && stm32_link_is_i2c(bl))
		return read_framed_crc(bl, crc, err);
	if (st == STM32_OK)
		st = rom_send_word(bl, CRC_POLYNOMIAL, bl->timeouts.ack_ms, "to the polynomial", err);
	if (st == STM32_OK)
		st = rom_send_word(bl, CRC_INITIAL, bl->timeouts.ack_ms, "to the initial value", err);
	if (st == STM32_OK && stm32_link_is_spi(bl))
		st = read_framed_crc(bl, crc, err);
	else if (st == STM32_OK)
		st = read_crc(bl, crc, err);
	return st;
}

enum stm32_status stm32_bl_get_checksum(struct stm32_bl *bl, uint32_t address, uint32_t length,
					uint32_t *crc, struct stm32_error *err)
{
	return rom_annotate(err, do_get_checksum(bl, address, length, crc, err), STM32_CMD_GET_CHECKSUM,
			true, address);
}
