/* The AN3155 (USART) bootloader protocol: one function per command.
 *
 * Every exchange is strictly half duplex: the host writes, then reads the
 * answer before it writes again. Failures name the command (opcode), the
 * address where there is one, and whether the device said NACK, said
 * something else, or said nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rom/protocol_internal.h"
#include "core/util.h"
#include "rom/protocol_link.h"

#define BITS_PER_BYTE_ON_WIRE 11u /* start + 8 data + parity + stop */
/* NACKs in a row to a memory command's opcode before it counts as readout
 * protection rather than noise. */
#define STM32_PROTECTION_PROBES 3u

void stm32_bl_init(struct stm32_bl *bl, struct stm32_transport *transport)
{
	memset(bl, 0, sizeof(*bl));
	bl->transport = transport;
	bl->timeouts = (struct stm32_bl_timeouts){
		.sync_ms = 500,
		.ack_ms = 1000,
		.write_ms = 1000,
		.page_erase_ms = 5000,
		.mass_erase_ms = 60000,
		.option_ms = 5000,
		.checksum_ms = 5000,
	};
	bl->cmd_read = bl->cmd_go = bl->cmd_write = bl->cmd_erase = -1;
	bl->cmd_write_protect = bl->cmd_write_unprotect = -1;
	bl->cmd_readout_protect = bl->cmd_readout_unprotect = bl->cmd_checksum = -1;
}

const char *stm32_command_name(int opcode)
{
	switch (opcode) {
	case STM32_CMD_GET: return "Get";
	case STM32_CMD_GET_VERSION: return "Get Version";
	case STM32_CMD_GET_ID: return "Get ID";
	case STM32_CMD_READ_MEMORY: return "Read Memory";
	case STM32_CMD_GO: return "Go";
	case STM32_CMD_WRITE_MEMORY: case 0x32: return "Write Memory";
	case STM32_CMD_ERASE: return "Erase";
	case STM32_CMD_EXTENDED_ERASE: case 0x45: return "Extended Erase";
	case STM32_CMD_WRITE_PROTECT: case 0x64: return "Write Protect";
	case STM32_CMD_WRITE_UNPROTECT: case 0x74: return "Write Unprotect";
	case STM32_CMD_READOUT_PROTECT: case 0x83: return "Readout Protect";
	case STM32_CMD_READOUT_UNPROTECT: case 0x93: return "Readout Unprotect";
	case STM32_CMD_GET_CHECKSUM: return "Get Checksum";
	case 0x7F: return "sync";
	default: return "command";
	}
}

/* Time the bytes just written spend on the wire: at low baud rates a
 * 256-byte block takes longer to leave the host than an ACK timeout. */
unsigned rom_wire_ms(const struct stm32_bl *bl, size_t bytes)
{
	unsigned baud = bl->transport->baud;
	if (baud == 0)
		return 0;
	return (unsigned)((bytes * BITS_PER_BYTE_ON_WIRE * 1000u + baud - 1) / baud);
}

unsigned rom_saturating_add(unsigned a, unsigned b)
{
	return a > ~0u - b ? ~0u : a + b;
}

static enum stm32_status send_bytes(struct stm32_bl *bl, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	return stm32_link_send(bl, data, length, err);
}

enum stm32_status rom_receive(struct stm32_bl *bl, uint8_t *data, size_t length,
				 unsigned timeout_ms, const char *what, struct stm32_error *err)
{
	return stm32_link_receive(bl, data, length, timeout_ms, what, err);
}

enum stm32_status rom_receive_more(struct stm32_bl *bl, uint8_t *data, size_t length,
				      unsigned timeout_ms, const char *what, struct stm32_error *err)
{
	return stm32_link_receive_more(bl, data, length, timeout_ms, what, err);
}

enum stm32_status rom_expect_ack(struct stm32_bl *bl, unsigned timeout_ms, const char *stage,
				    struct stm32_error *err)
{
	return stm32_link_expect_ack(bl, timeout_ms, stage, err);
}

enum stm32_status rom_send_and_ack(struct stm32_bl *bl, const uint8_t *data, size_t length,
				      unsigned timeout_ms, const char *stage,
				      struct stm32_error *err)
{
	enum stm32_status st = send_bytes(bl, data, length, err);
	if (st != STM32_OK)
		return st;
	return rom_expect_ack(bl, rom_saturating_add(timeout_ms, rom_wire_ms(bl, length)), stage, err);
}

/* NACK to the opcode of a memory command: AN3155 says that is what readout
 * protection does, so report it as such rather than as a bare NACK. */
static bool refused_by_protection(uint8_t opcode)
{
	switch (opcode) {
	case STM32_CMD_READ_MEMORY: case STM32_CMD_GO: case STM32_CMD_WRITE_MEMORY: case 0x32:
	case STM32_CMD_ERASE: case STM32_CMD_EXTENDED_ERASE: case 0x45:
	case STM32_CMD_WRITE_PROTECT: case 0x64: case STM32_CMD_WRITE_UNPROTECT: case 0x74:
		return true;
	default:
		return false;
	}
}

/* A NACK to the opcode leaves the bootloader waiting for a new command, so
 * asking again costs two bytes. */
static enum stm32_status send_opcode(struct stm32_bl *bl, uint8_t opcode, struct stm32_error *err)
{
	enum stm32_status st = stm32_link_send_command(bl, opcode, err);
	if (st != STM32_OK)
		return st;
	return rom_expect_ack(bl, bl->timeouts.ack_ms, "to the command", err);
}

/* Readout protection NACKs a memory command every time; line noise or a
 * flaky adapter only now and then. Only a refusal that repeats is reported
 * as protection, so callers neither give a wrong hint nor give up early.
 * Before each new ask the line is brought back in step: a byte of ours
 * lost on the way shifts every later opcode pair by one (the opcode read
 * as the last one's complement), which the bootloader would NACK every
 * time, just like protection. */
#define PROTECTION_RESYNC_MS 1000u

enum stm32_status rom_send_command(struct stm32_bl *bl, uint8_t opcode, struct stm32_error *err)
{
	enum stm32_status st = send_opcode(bl, opcode, err);
	if (st != STM32_E_NACK || !refused_by_protection(opcode))
		return st;
	for (unsigned ask = 1; ask < STM32_PROTECTION_PROBES && st == STM32_E_NACK; ask++) {
		struct stm32_error ignored;
		stm32_error_clear(&ignored);
		if (stm32_bl_resync(bl, PROTECTION_RESYNC_MS, &ignored) == STM32_E_IO) {
			if (err)
				*err = ignored;
			return STM32_E_IO;
		}
		st = send_opcode(bl, opcode, err);
	}
	if (st == STM32_E_NACK)
		return stm32_error_set(err, STM32_E_PROTECTED,
				       "the bootloader refused %s (0x%02X) %u times: readout "
				       "protection is active", stm32_command_name(opcode), opcode,
				       STM32_PROTECTION_PROBES);
	return st;
}

uint8_t rom_xor_of(const uint8_t *data, size_t length)
{
	uint8_t x = 0;
	for (size_t i = 0; i < length; i++)
		x ^= data[i];
	return x;
}

void rom_put_be32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)(value >> 24);
	p[1] = (uint8_t)(value >> 16);
	p[2] = (uint8_t)(value >> 8);
	p[3] = (uint8_t)value;
}

enum stm32_status rom_send_word(struct stm32_bl *bl, uint32_t value, unsigned timeout_ms,
				   const char *stage, struct stm32_error *err)
{
	uint8_t frame[5];
	rom_put_be32(frame, value);
	frame[4] = rom_xor_of(frame, 4);
	return rom_send_and_ack(bl, frame, sizeof(frame), timeout_ms, stage, err);
}

enum stm32_status rom_send_address(struct stm32_bl *bl, uint32_t address,
				      struct stm32_error *err)
{
	return rom_send_word(bl, address, bl->timeouts.ack_ms, "to the address", err);
}

static void prefix_message(struct stm32_error *err, int opcode, bool has_address, uint32_t address)
{
	char prefix[64];
	if (has_address)
		snprintf(prefix, sizeof(prefix), "%s (0x%02X) at 0x%08X: ", stm32_command_name(opcode),
			 opcode, (unsigned)address);
	else
		snprintf(prefix, sizeof(prefix), "%s (0x%02X): ", stm32_command_name(opcode), opcode);
	size_t plen = strlen(prefix), cap = sizeof(err->message);
	size_t mlen = strnlen(err->message, cap - 1);
	if (plen + mlen >= cap)
		mlen = cap - 1 - plen;
	memmove(err->message + plen, err->message, mlen);
	memcpy(err->message, prefix, plen);
	err->message[plen + mlen] = '\0';
}

/* Attach the opcode (and address) to whatever went wrong, and make the
 * message say which command it was. */
enum stm32_status rom_annotate(struct stm32_error *err, enum stm32_status st, int opcode,
				  bool has_address, uint32_t address)
{
	if (st == STM32_OK || !err)
		return st;
	if (err->status != STM32_E_PROTECTED)
		prefix_message(err, opcode, has_address, address);
	stm32_error_command(err, opcode);
	if (has_address)
		stm32_error_address(err, address);
	return st;
}

enum stm32_status rom_require(const struct stm32_bl *bl, int opcode, const char *what,
				 struct stm32_error *err)
{
	(void)bl;
	if (opcode >= 0)
		return STM32_OK;
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "the bootloader does not offer %s", what);
}

/* ---- sync ---------------------------------------------------------------- */

static enum stm32_status sync_round(struct stm32_bl *bl, uint8_t *answer, struct stm32_error *err)
{
	static const uint8_t autobaud = 0x7F;
	enum stm32_status st = send_bytes(bl, &autobaud, 1, err);
	if (st != STM32_OK)
		return st;
	return rom_receive(bl, answer, 1, bl->timeouts.sync_ms, "answer to 0x7F", err);
}

static enum stm32_status uart_sync(struct stm32_bl *bl, struct stm32_error *err)
{
	uint8_t answer = 0;
	enum stm32_status st = sync_round(bl, &answer, err);
	/* Silence: the bootloader had already synced and took the 0x7F as an
	 * opcode; a second 0x7F completes a bad command and it NACKs. */
	if (st == STM32_E_TIMEOUT)
		st = sync_round(bl, &answer, err);
	if (st == STM32_E_TIMEOUT)
		return stm32_error_set(err, STM32_E_TIMEOUT,
				       "no answer to 0x7F within %u ms, twice: is the chip in its "
				       "bootloader?", bl->timeouts.sync_ms);
	if (st != STM32_OK)
		return st;
	if (answer == STM32_ACK || answer == STM32_NACK)
		return STM32_OK;
	return stm32_error_set(err, STM32_E_PROTOCOL, "got 0x%02X instead of ACK in answer to 0x7F",
			       answer);
}

/* 0x5A opens a frame and the device answers it with its ACK procedure. A
 * device already in step takes it as the start of a command and says
 * nothing; session retries then complete a bad command, which it NACKs:
 * in step either way. */
static enum stm32_status spi_sync(struct stm32_bl *bl, struct stm32_error *err)
{
	/* 0x79 first: see framed_resync. */
	static const uint8_t sync[2] = {STM32_ACK, STM32_SPI_FRAME_START};
	enum stm32_status st = send_bytes(bl, sync, sizeof(sync), err);
	if (st == STM32_OK)
		st = rom_expect_ack(bl, bl->timeouts.sync_ms, "to 0x5A", err);
	if (st == STM32_E_NACK) {
		stm32_error_clear(err);
		return STM32_OK;
	}
	if (st == STM32_E_TIMEOUT)
		return stm32_error_set(err, STM32_E_TIMEOUT,
				       "no answer to 0x5A within %u ms: is the chip in its SPI "
				       "bootloader?", bl->timeouts.sync_ms);
	return st;
}

/* I2C has no auto-baud byte: the device picks its interface when it sees
 * its own address, i.e. at the first command. */
enum stm32_status stm32_bl_sync(struct stm32_bl *bl, struct stm32_error *err)
{
	switch (bl->transport->kind) {
	case STM32_LINK_I2C: return STM32_OK;
	case STM32_LINK_SPI: return spi_sync(bl, err);
	case STM32_LINK_UART: break;
	}
	return uart_sync(bl, err);
}

#define RESYNC_STEP_MS 100u
#define BACKLOG_QUIET_MS 20u
#define BACKLOG_MAX_ROUNDS 64u

/* Send bytes and wait one step for a NACK: true when one came. */
static enum stm32_status nacked_after(struct stm32_bl *bl, const uint8_t *bytes, size_t length,
				      bool *nacked, struct stm32_error *err)
{
	*nacked = false;
	enum stm32_status st = send_bytes(bl, bytes, length, err);
	if (st != STM32_OK)
		return st;
	uint8_t byte = 0;
	size_t got = 0;
	st = stm32_transport_read(bl->transport, &byte, 1, RESYNC_STEP_MS, &got, err);
	if (st == STM32_E_TIMEOUT)
		return STM32_OK;
	*nacked = st == STM32_OK && byte == STM32_NACK;
	return st;
}

/* Garbage taken as commands (a chip that reset and synced on a 0x7F inside
 * a data block, say) leaves a queue of NACKs; read one at a time they would
 * answer every later command. Read until the line has been quiet a while. */
static enum stm32_status discard_backlog(struct stm32_bl *bl, struct stm32_error *err)
{
	uint8_t junk[64];
	if (bl->transport->ops->drain) {
		enum stm32_status st = bl->transport->ops->drain(bl->transport, err);
		if (st == STM32_E_IO)
			return st;
	}
	for (unsigned rounds = 0; rounds < BACKLOG_MAX_ROUNDS; rounds++) {
		size_t got = 0;
		enum stm32_status st = stm32_transport_read(bl->transport, junk, sizeof(junk),
							    BACKLOG_QUIET_MS, &got, err);
		if (st == STM32_E_TIMEOUT && got == 0)
			return STM32_OK;
		if (st != STM32_OK && st != STM32_E_TIMEOUT)
			return st;
	}
	return STM32_OK;
}

/* FF 00 pairs fill whatever data stage the bootloader is in with bytes
 * whose XOR check fails, until it NACKs and waits for a command. But the
 * NACK may have come from the FF, leaving the 00 behind as the first half of
 * a new command: then every later command would be off by one byte (and
 * its NACKs read as readout protection). A lone 00 settles it: as a
 * complement it never matches, as an opcode it waits for a second 00, which
 * does not match either. The first NACK after a lone 00 means in step.
 * Stale answers are thrown away first and after each NACK. */
static enum stm32_status uart_resync(struct stm32_bl *bl, unsigned timeout_ms,
				       struct stm32_error *err)
{
	/* Silence is answered with ever longer bursts of pairs, so a data stage
	 * of 258 bytes fills in a few rounds, not in 129 of them; once more
	 * bytes than any data stage takes went unanswered, nobody is listening
	 * (the chip reset and waits for 0x7F, or runs its application). */
	enum { MAX_PAIRS = 64, SILENCE_BYTES = 1100 };
	static const uint8_t lone_zero = 0x00;
	uint8_t pairs[2 * MAX_PAIRS];
	for (size_t i = 0; i < sizeof(pairs); i += 2) {
		pairs[i] = 0xFF;
		pairs[i + 1] = 0x00;
	}
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	bool paired_nack = false;
	size_t burst = 1, unanswered = 0;
	enum stm32_status st = discard_backlog(bl, err);
	if (st != STM32_OK)
		return st;
	do {
		bool nacked;
		st = paired_nack ? nacked_after(bl, &lone_zero, 1, &nacked, err)
				 : nacked_after(bl, pairs, 2 * burst, &nacked, err);
		if (st != STM32_OK && st != STM32_E_TIMEOUT)
			return st;
		if (nacked && paired_nack)
			return discard_backlog(bl, err);
		if (nacked) {
			paired_nack = true;
			st = discard_backlog(bl, err);
			if (st != STM32_OK)
				return st;
			continue;
		}
		if (!paired_nack) {
			unanswered += 2 * burst;
			if (unanswered >= SILENCE_BYTES)
				return stm32_error_set(err, STM32_E_TIMEOUT,
						       "the bootloader answers nothing (%zu bytes unanswered): "
						       "it may have reset", unanswered);
			burst = burst * 2 > MAX_PAIRS ? MAX_PAIRS : burst * 2;
		}
	} while (core_monotonic_ms() < deadline);
	return stm32_error_set(err, STM32_E_TIMEOUT,
			       "could not resynchronise with the bootloader within %u ms", timeout_ms);
}

/* On I2C a transaction is a whole frame: FF 00 as a data frame fails its
 * check, as a command it does not match its complement; the device NACKs
 * and waits for a command. SPI frames are not delimited, so a data phase
 * may swallow a round or two until one ends in a NACK. A bootloader that
 * takes bytes as a stream (as on UART) may have NACKed the FF alone and kept
 * the 00 as an opcode: on I2C a lone 00 settles it, as uart_resync explains.
 * An SPI device that reset takes the round's 0x5A as its sync and answers
 * with its ACK procedure, which the round confirms before going again.
 * Several rounds with no answer at all mean the chip reset or is gone: the
 * caller syncs or gives up. */
static enum stm32_status framed_resync(struct stm32_bl *bl, unsigned timeout_ms,
				       struct stm32_error *err)
{
	enum { SILENT_ROUNDS = 4 };
	static const uint8_t i2c_invalid[2] = {0xFF, 0x00};
	/* The leading 0x79 frees a device still waiting for the host to confirm
	 * an ACK it never saw; a device waiting for a command ignores it, as it
	 * ignores anything but 0x5A. */
	static const uint8_t spi_invalid[4] = {STM32_ACK, STM32_SPI_FRAME_START, 0xFF, 0x00};
	static const uint8_t lone_zero = 0x00;
	bool spi = stm32_link_is_spi(bl);
	bool settling = false;
	unsigned silent = 0;
	uint64_t deadline = core_monotonic_ms() + timeout_ms;
	do {
		enum stm32_status st = settling ? send_bytes(bl, &lone_zero, 1, err)
				       : spi    ? send_bytes(bl, spi_invalid, sizeof(spi_invalid), err)
						: send_bytes(bl, i2c_invalid, sizeof(i2c_invalid), err);
		/* An SPI device that answers while the round is sent had reset and
		 * took its 0x5A as the sync (now confirmed): go round again. */
		if (st == STM32_E_PROTOCOL && spi)
			continue;
		if (st == STM32_OK)
			st = rom_expect_ack(bl, RESYNC_STEP_MS, "to an invalid command", err);
		if (st == STM32_E_NACK && (spi || settling)) {
			stm32_error_clear(err);
			return STM32_OK;
		}
		if (st == STM32_E_NACK) {
			settling = true;
			continue;
		}
		if (st == STM32_E_IO)
			return st;
		if (st == STM32_E_TIMEOUT && !settling && ++silent >= SILENT_ROUNDS)
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "the bootloader answers nothing: it may have reset");
	} while (core_monotonic_ms() < deadline);
	return stm32_error_set(err, STM32_E_TIMEOUT,
			       "could not resynchronise with the bootloader within %u ms", timeout_ms);
}

enum stm32_status stm32_bl_resync(struct stm32_bl *bl, unsigned timeout_ms, struct stm32_error *err)
{
	if (bl->transport->kind != STM32_LINK_UART)
		return framed_resync(bl, timeout_ms, err);
	return uart_resync(bl, timeout_ms, err);
}

/* ---- Get, Get Version, Get ID ---------------------------------------------- */

static bool listed(const struct stm32_bl *bl, uint8_t opcode)
{
	return memchr(bl->commands, opcode, bl->command_count) != NULL;
}

/* The highest listed opcode of a command family (no-stretch over stretch,
 * extended over legacy), or -1. */
static int pick(const struct stm32_bl *bl, const uint8_t *variants, size_t count)
{
	int best = -1;
	for (size_t i = 0; i < count; i++)
		if (listed(bl, variants[i]) && variants[i] > best)
			best = variants[i];
	return best;
}

void stm32_bl_choose_opcodes(struct stm32_bl *bl)
{
	static const uint8_t read[] = {0x11}, go[] = {0x21}, write[] = {0x31, 0x32};
	static const uint8_t erase[] = {0x43, 0x44, 0x45}, wp[] = {0x63, 0x64}, wup[] = {0x73, 0x74};
	static const uint8_t rp[] = {0x82, 0x83}, rup[] = {0x92, 0x93}, crc[] = {0xA1};
#define PICK(list) pick(bl, list, sizeof(list))
	bl->cmd_read = PICK(read);
	bl->cmd_go = PICK(go);
	bl->cmd_write = PICK(write);
	bl->cmd_erase = PICK(erase);
	bl->cmd_write_protect = PICK(wp);
	bl->cmd_write_unprotect = PICK(wup);
	bl->cmd_readout_protect = PICK(rp);
	bl->cmd_readout_unprotect = PICK(rup);
	bl->cmd_checksum = PICK(crc);
#undef PICK
}

/* Reply: count N, version, N opcodes. */
static enum stm32_status stream_get_reply(struct stm32_bl *bl, uint8_t *reply,
					  struct stm32_error *err)
{
	enum stm32_status st = rom_send_command(bl, STM32_CMD_GET, err);
	if (st == STM32_OK)
		st = rom_receive(bl, reply, 1, bl->timeouts.ack_ms, "length of the command list", err);
	if (st == STM32_OK)
		st = rom_receive_more(bl, reply + 1, (size_t)reply[0] + 1, bl->timeouts.ack_ms,
				  "command list", err);
	if (st == STM32_OK)
		st = rom_expect_ack(bl, bl->timeouts.ack_ms, "after the command list", err);
	return st;
}

/* How many opcodes an I2C bootloader of this protocol version lists: v1.0
 * the 11 classic ones, v1.1 adds six no-stretch ones, v1.2 the checksum. */
static size_t i2c_expected_commands(uint8_t version)
{
	switch (version) {
	case 0x10: return 11;
	case 0x12: return 18;
	default: return 17;
	}
}

#define I2C_GET_ASKS 2

/* The reply is one read transaction, and a read transaction cannot be
 * continued: a master that stops after the count byte and reads again gets
 * whatever the device sends next, not the rest. So the whole reply is read
 * at a length known beforehand (from Get Version, which the session asks
 * first); when the count byte says otherwise, the device has told the true
 * length and Get, which changes nothing, is asked again with it. */
static enum stm32_status i2c_get_reply(struct stm32_bl *bl, uint8_t *reply,
				       struct stm32_error *err)
{
	size_t commands = i2c_expected_commands(bl->version);
	for (unsigned ask = 0; ask < I2C_GET_ASKS; ask++) {
		enum stm32_status st = rom_send_command(bl, STM32_CMD_GET, err);
		if (st == STM32_OK)
			st = rom_receive(bl, reply, commands + 2, bl->timeouts.ack_ms, "command list", err);
		if (st != STM32_OK)
			return st;
		if (reply[0] == commands)
			return rom_expect_ack(bl, bl->timeouts.ack_ms, "after the command list", err);
		commands = reply[0];
		struct stm32_error ignored;
		stm32_error_clear(&ignored);
		(void)rom_expect_ack(bl, bl->timeouts.ack_ms, "after the command list", &ignored);
	}
	return stm32_error_set(err, STM32_E_PROTOCOL,
			       "the command list changed length between two Get commands");
}

static enum stm32_status do_get(struct stm32_bl *bl, struct stm32_error *err)
{
	uint8_t reply[2 + 256];
	enum stm32_status st = stm32_link_is_i2c(bl) ? i2c_get_reply(bl, reply, err)
						     : stream_get_reply(bl, reply, err);
	if (st != STM32_OK)
		return st;
	uint8_t count = reply[0];
	bl->version = reply[1];
	bl->command_count = count < sizeof(bl->commands) ? count : sizeof(bl->commands);
	memcpy(bl->commands, reply + 2, bl->command_count);
	stm32_bl_choose_opcodes(bl);
	return STM32_OK;
}

enum stm32_status stm32_bl_get(struct stm32_bl *bl, struct stm32_error *err)
{
	return rom_annotate(err, do_get(bl, err), STM32_CMD_GET, false, 0);
}

static enum stm32_status do_get_version(struct stm32_bl *bl, struct stm32_error *err)
{
	enum stm32_status st = rom_send_command(bl, STM32_CMD_GET_VERSION, err);
	if (st != STM32_OK)
		return st;
	/* Frame-based links send the version alone; UART adds two option bytes. */
	size_t length = bl->transport->kind == STM32_LINK_UART ? 3 : 1;
	uint8_t reply[3] = {0};
	st = rom_receive(bl, reply, length, bl->timeouts.ack_ms, "version", err);
	/* STM32L412/L422 (bootloader 3.1) repeat the ACK before the version; no
	 * real version is 0x79, so drop it and read one byte more. */
	if (st == STM32_OK && reply[0] == STM32_ACK) {
		memmove(reply, reply + 1, length - 1);
		st = rom_receive_more(bl, reply + length - 1, 1, bl->timeouts.ack_ms, "version", err);
	}
	if (st == STM32_OK)
		st = rom_expect_ack(bl, bl->timeouts.ack_ms, "after the version", err);
	if (st != STM32_OK)
		return st;
	bl->version = reply[0];
	bl->option1 = reply[1];
	bl->option2 = reply[2];
	return STM32_OK;
}

enum stm32_status stm32_bl_get_version(struct stm32_bl *bl, struct stm32_error *err)
{
	return rom_annotate(err, do_get_version(bl, err), STM32_CMD_GET_VERSION, false, 0);
}

static enum stm32_status do_get_id(struct stm32_bl *bl, struct stm32_error *err)
{
	enum stm32_status st = rom_send_command(bl, STM32_CMD_GET_ID, err);
	uint8_t count = 0;
	uint8_t id[256];
	if (st == STM32_OK && stm32_link_is_i2c(bl)) {
		/* One transaction: every STM32 PID is two bytes. */
		uint8_t reply[3];
		st = rom_receive(bl, reply, sizeof(reply), bl->timeouts.ack_ms, "product ID", err);
		count = reply[0];
		memcpy(id, reply + 1, 2);
		if (st == STM32_OK && count != 1)
			return stm32_error_set(err, STM32_E_PROTOCOL,
					       "the product ID is said to be %u bytes long, expected 2",
					       count + 1u);
	} else if (st == STM32_OK) {
		st = rom_receive(bl, &count, 1, bl->timeouts.ack_ms, "length of the ID", err);
		if (st == STM32_OK)
			st = rom_receive_more(bl, id, (size_t)count + 1, bl->timeouts.ack_ms,
					  "product ID", err);
	}
	if (st == STM32_OK)
		st = rom_expect_ack(bl, bl->timeouts.ack_ms, "after the product ID", err);
	if (st != STM32_OK)
		return st;
	if (count < 1)
		return stm32_error_set(err, STM32_E_PROTOCOL,
				       "the product ID is 1 byte long (0x%02X), expected 2", id[0]);
	bl->pid = (uint16_t)(id[0] << 8 | id[1]);
	return STM32_OK;
}

enum stm32_status stm32_bl_get_id(struct stm32_bl *bl, struct stm32_error *err)
{
	return rom_annotate(err, do_get_id(bl, err), STM32_CMD_GET_ID, false, 0);
}

bool stm32_bl_has(const struct stm32_bl *bl, uint8_t opcode)
{
	return listed(bl, opcode);
}

