/* ST-LINK commands (stlink_proto.h). Every memory command is followed by
 * GETLASTRWSTATUS2, as openocd does: the transfer itself has no status. */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "stlink/stlink_proto.h"

#define CMD_GET_VERSION 0xF1u
#define CMD_DEBUG 0xF2u
#define CMD_GET_CURRENT_MODE 0xF5u
#define CMD_DFU 0xF3u
#define CMD_GET_TARGET_VOLTAGE 0xF7u
#define CMD_GET_VERSION_EX 0xFBu
#define DFU_EXIT 0x07u
#define MODE_DFU 0x00u
#define MODE_DEBUG 0x02u
#define DBG_READMEM_32 0x07u
#define DBG_WRITEMEM_32 0x08u
#define DBG_READMEM_8 0x0Cu
#define DBG_EXIT 0x21u
#define DBG_ENTER 0x30u
#define DBG_READ_IDCODES 0x31u
#define DBG_READREG 0x33u
#define DBG_WRITEREG 0x34u
#define DBG_WRITEDEBUGREG 0x35u
#define DBG_READDEBUGREG 0x36u
#define DBG_GETLASTRWSTATUS2 0x3Eu
#define DBG_SWD_SET_FREQ 0x43u
#define DBG_WRITEMEM_16 0x48u
#define ENTER_SWD 0xA3u
#define STATUS_OK 0x80u
#define STATUS_AP_WAIT 0x10u
#define STATUS_DP_WAIT 0x14u
#define DBG_DRIVE_NRST 0x3Cu
#define DBG_SET_COM_FREQ 0x61u
/* A V2's fastest divisor: STM32CubeProgrammer's default on a V2, and the
 * clock openocd's STM32 configurations ask for once connected (st-flash
 * stays at 1800); --swd-khz lowers it for long or noisy wiring. */
#define DEFAULT_KHZ_V2 4000u
#define DEFAULT_KHZ_V3 24000u
#define LOW_VOLTAGE 1.6 /* below every STM32's supply range */
#define READ8_MAX 64u
#define DHCSR 0xE000EDF0u
#define AIRCR 0xE000ED0Cu
#define DHCSR_HALT 0xA05F0003u
#define DHCSR_RUN_NO_DEBUG 0xA05F0000u
#define AIRCR_SYSRESETREQ 0x05FA0004u

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static enum stm32_status command(struct stlink_link *l, const uint8_t *cmd, const uint8_t *out,
				 size_t out_length, uint8_t *in, size_t in_length,
				 struct stm32_error *err)
{
	size_t got = 0;
	enum stm32_status s = stlink_usb_command(l->usb, cmd, out, out_length, in, in_length, &got,
						 l->timeout_ms, err);
	if (s == STM32_OK && got < in_length)
		s = stm32_error_set(err, STM32_E_PROTOCOL, "the ST-LINK answered %zu of %zu bytes",
				    got, in_length);
	return s;
}

/* A status byte: WAIT is worth retrying, anything else is a refusal. */
static enum stm32_status check_status(uint8_t status, const char *what, uint32_t address,
				      struct stm32_error *err)
{
	if (status == STATUS_OK)
		return STM32_OK;
	enum stm32_status s = status == STATUS_AP_WAIT || status == STATUS_DP_WAIT ?
				      STM32_E_TIMEOUT : STM32_E_NACK;
	s = stm32_error_set(err, s, "the ST-LINK reported status 0x%02X (%s) on %s at 0x%08X",
			    status, s == STM32_E_TIMEOUT ? "SWD WAIT" : "fault", what, address);
	stm32_error_address(err, address);
	return s;
}

enum stm32_status stlink_identify_probe(struct stlink_link *l, struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_GET_VERSION}, reply[12];
	enum stm32_status s = command(l, cmd, NULL, 0, reply, 6, err);
	if (s != STM32_OK)
		return s;
	unsigned v = (unsigned)reply[0] << 8 | reply[1];
	l->version = v >> 12;
	l->jtag = v >> 6 & 0x3Fu;
	l->swim = v & 0x3Fu;
	if (l->version == 3) {
		cmd[0] = CMD_GET_VERSION_EX;
		if ((s = command(l, cmd, NULL, 0, reply, 12, err)) != STM32_OK)
			return s;
		l->swim = reply[1];
		l->jtag = reply[2];
	}
	l->has_16bit = l->version >= 3 || l->jtag >= 26;
	if (l->version < 2 || (l->version == 2 && l->jtag < 13))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "ST-LINK firmware V%uJ%u is too old (J13 or later needed; "
				       "update it with ST's firmware upgrade tool)",
				       l->version, l->jtag);
	cmd[0] = CMD_GET_TARGET_VOLTAGE;
	if ((s = command(l, cmd, NULL, 0, reply, 8, err)) != STM32_OK)
		return s;
	uint32_t factor = get_le32(reply), reading = get_le32(reply + 4);
	l->voltage = factor ? 2.0 * reading * 1.2 / factor : 0.0;
	return STM32_OK;
}

/* V2 SWD_SET_FREQ divisors and their clocks (kHz), fastest first. */
static const struct { uint16_t divisor, khz; } v2_clocks[] = {
	{0, 4000}, {1, 1800}, {2, 1200}, {3, 950}, {7, 480}, {15, 240}, {31, 125},
	{40, 100}, {79, 50}, {158, 25}, {265, 15}, {798, 5},
};

static enum stm32_status set_clock(struct stlink_link *l, unsigned khz, unsigned *khz_set,
				   struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG}, reply[8];
	*khz_set = 0;
	if (l->version >= 3) {
		cmd[1] = DBG_SET_COM_FREQ;
		put_le32(cmd + 4, khz ? khz : DEFAULT_KHZ_V3);
		enum stm32_status s = command(l, cmd, NULL, 0, reply, 8, err);
		if (s == STM32_OK && (s = check_status(reply[0], "SET_COM_FREQ", 0, err)) == STM32_OK)
			*khz_set = get_le32(reply + 4);
		return s;
	}
	if (l->jtag < 22)
		return STM32_OK; /* older V2 firmware keeps its own clock */
	size_t n = sizeof v2_clocks / sizeof v2_clocks[0], pick = n - 1;
	unsigned want = khz ? khz : DEFAULT_KHZ_V2;
	for (size_t i = 0; i < n; i++)
		if (v2_clocks[i].khz <= want) {
			pick = i;
			break;
		}
	cmd[1] = DBG_SWD_SET_FREQ;
	cmd[2] = (uint8_t)v2_clocks[pick].divisor;
	cmd[3] = (uint8_t)(v2_clocks[pick].divisor >> 8);
	enum stm32_status s = command(l, cmd, NULL, 0, reply, 2, err);
	if (s == STM32_OK && (s = check_status(reply[0], "SWD_SET_FREQ", 0, err)) == STM32_OK)
		*khz_set = v2_clocks[pick].khz;
	return s;
}

enum stm32_status stlink_drive_nrst(struct stlink_link *l, bool high, struct stm32_error *err)
{
	const uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_DRIVE_NRST, high ? 1 : 0};
	uint8_t reply[2];
	enum stm32_status s = command(l, cmd, NULL, 0, reply, sizeof reply, err);
	return s == STM32_OK ? check_status(reply[0], "DRIVE_NRST", 0, err) : s;
}

enum stm32_status stlink_enter_swd(struct stlink_link *l, unsigned khz, unsigned *khz_set,
				   struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_GET_CURRENT_MODE}, reply[12];
	enum stm32_status s = command(l, cmd, NULL, 0, reply, 2, err);
	if (s == STM32_OK && reply[0] == MODE_DFU) {
		const uint8_t exit_dfu[STLINK_COMMAND_SIZE] = {CMD_DFU, DFU_EXIT};
		s = command(l, exit_dfu, NULL, 0, NULL, 0, err);
	}
	if (s == STM32_OK && reply[0] == MODE_DEBUG) {
		const uint8_t leave[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_EXIT};
		s = command(l, leave, NULL, 0, NULL, 0, err);
	}
	if (s == STM32_OK)
		s = set_clock(l, khz, khz_set, err);
	if (s == STM32_OK) {
		const uint8_t enter[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_ENTER, ENTER_SWD};
		if ((s = command(l, enter, NULL, 0, reply, 2, err)) == STM32_OK && reply[0] != STATUS_OK)
			s = stm32_error_set(err, STM32_E_IO,
					    "the ST-LINK could not enter SWD (status 0x%02X): is the "
					    "target wired (SWDIO, SWCLK, GND) and powered?", reply[0]);
	}
	if (s == STM32_OK) {
		const uint8_t ids[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_READ_IDCODES};
		if ((s = command(l, ids, NULL, 0, reply, 12, err)) == STM32_OK) {
			l->dp_idcode = get_le32(reply + 4);
			if (reply[0] != STATUS_OK || l->dp_idcode == 0 || l->dp_idcode == 0xFFFFFFFFu)
				s = stm32_error_set(err, STM32_E_IO,
						    "no SWD target answers (DP IDCODE 0x%08X, status "
						    "0x%02X, target voltage %.2f V%s)",
						    l->dp_idcode, reply[0], l->voltage,
						    l->voltage < LOW_VOLTAGE ?
							    ": is the board powered, and its VDD wired "
							    "to the probe's VREF pin?" :
							    ": are SWDIO, SWCLK and GND wired? A chip at "
							    "readout protection level 2 never answers SWD "
							    "again; firmware that turns SWD off needs "
							    "--connect-under-reset");
		}
	}
	return s;
}

void stlink_leave(struct stlink_link *l)
{
	const uint8_t leave[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_EXIT};
	struct stm32_error ignored;
	(void)command(l, leave, NULL, 0, NULL, 0, &ignored);
}

enum stm32_status stlink_read_word(struct stlink_link *l, uint32_t address, uint32_t *value,
				   struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_READDEBUGREG}, reply[8];
	put_le32(cmd + 2, address);
	enum stm32_status s = command(l, cmd, NULL, 0, reply, sizeof reply, err);
	if (s == STM32_OK)
		s = check_status(reply[0], "a register read", address, err);
	*value = s == STM32_OK ? get_le32(reply + 4) : 0;
	return s;
}

enum stm32_status stlink_write_word(struct stlink_link *l, uint32_t address, uint32_t value,
				    struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_WRITEDEBUGREG}, reply[2];
	put_le32(cmd + 2, address);
	put_le32(cmd + 6, value);
	enum stm32_status s = command(l, cmd, NULL, 0, reply, sizeof reply, err);
	return s == STM32_OK ? check_status(reply[0], "a register write", address, err) : s;
}

#define POLLS_BEFORE_SLEEPING 64u

enum stm32_status stlink_poll_clear(struct stlink_link *l, uint32_t address, uint32_t busy,
				    unsigned limit_ms, const char *what, uint32_t *value,
				    struct stm32_error *err)
{
	uint64_t deadline = core_monotonic_ms() + limit_ms;
	enum stm32_status s;
	for (unsigned polls = 0;; polls++) {
		if ((s = stlink_read_word(l, address, value, err)) != STM32_OK)
			return s;
		if (!(*value & busy))
			return STM32_OK;
		if (core_monotonic_ms() > deadline)
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "%s took over %u ms (still busy)",
					       what, limit_ms);
		/* Most waits end within a few polls: sleep only after them. */
		if (polls >= POLLS_BEFORE_SLEEPING)
			core_sleep_ms(1);
	}
}

static enum stm32_status last_status(struct stlink_link *l, const char *what, uint32_t address,
				     struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_GETLASTRWSTATUS2}, reply[12];
	enum stm32_status s = command(l, cmd, NULL, 0, reply, sizeof reply, err);
	l->last_wait = s == STM32_OK && (reply[0] == STATUS_AP_WAIT || reply[0] == STATUS_DP_WAIT);
	if (s != STM32_OK || reply[0] == STATUS_OK)
		return s;
	uint32_t at = get_le32(reply + 4);
	return check_status(reply[0], what, at ? at : address, err);
}

/* A memory command the AP answered WAIT (the probe's own retries
 * exhausted) did not happen: it is sent again, a few times with a growing
 * pause (as openocd does), before the WAIT is the caller's. */
#define WAIT_ATTEMPTS 8u
#define WAIT_PAUSE_MAX_MS 16u

static enum stm32_status memory_command_once(struct stlink_link *l, uint8_t op, uint32_t address,
					     size_t length, const uint8_t *out, uint8_t *in,
					     struct stm32_error *err);

static enum stm32_status memory_command(struct stlink_link *l, uint8_t op, uint32_t address,
					size_t length, const uint8_t *out, uint8_t *in,
					struct stm32_error *err)
{
	enum stm32_status s = STM32_E_TIMEOUT;
	unsigned pause = 1;
	for (unsigned attempt = 0; attempt < WAIT_ATTEMPTS && s == STM32_E_TIMEOUT; attempt++) {
		if (attempt) {
			core_sleep_ms(pause);
			pause = pause * 2 > WAIT_PAUSE_MAX_MS ? WAIT_PAUSE_MAX_MS : pause * 2;
		}
		s = memory_command_once(l, op, address, length, out, in, err);
		if (s == STM32_E_TIMEOUT && !l->last_wait)
			break; /* silence (USB), not a WAIT: the caller decides */
		l->wait_retries += s == STM32_E_TIMEOUT;
	}
	if (s == STM32_E_TIMEOUT && l->last_wait)
		stm32_error_set(err, STM32_E_TIMEOUT,
				"a WAIT storm: the target answered SWD WAIT to a memory %s at 0x%08X "
				"%u times running", in ? "read" : "write", address, WAIT_ATTEMPTS);
	return s;
}

static enum stm32_status memory_command_once(struct stlink_link *l, uint8_t op, uint32_t address,
					     size_t length, const uint8_t *out, uint8_t *in,
					     struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, op};
	l->last_wait = false;
	put_le32(cmd + 2, address);
	cmd[6] = (uint8_t)length;
	cmd[7] = (uint8_t)(length >> 8);
	/* A 1-byte read is answered with 2 bytes. */
	uint8_t two[2];
	bool tiny = in && length == 1;
	enum stm32_status s = command(l, cmd, out, out ? length : 0, tiny ? two : in,
				      in ? (tiny ? 2 : length) : 0, err);
	if (s == STM32_OK && tiny)
		in[0] = two[0];
	return s == STM32_OK ? last_status(l, in ? "a memory read" : "a memory write", address, err)
			     : s;
}

enum stm32_status stlink_read(struct stlink_link *l, uint32_t address, uint8_t *data,
			      size_t length, struct stm32_error *err)
{
	enum stm32_status s = STM32_OK;
	while (length && s == STM32_OK) {
		size_t n;
		if (address % 4 == 0 && length >= 4) {
			n = length & ~(size_t)3;
			n = n > STLINK_MAX_TRANSFER ? STLINK_MAX_TRANSFER : n;
			s = memory_command(l, DBG_READMEM_32, address, n, NULL, data, err);
		} else {
			/* The unaligned head or tail, up to the next word boundary. */
			n = address % 4 ? 4 - address % 4 : length;
			n = n > length ? length : n > READ8_MAX ? READ8_MAX : n;
			s = memory_command(l, DBG_READMEM_8, address, n, NULL, data, err);
		}
		address += (uint32_t)n;
		data += n;
		length -= n;
	}
	return s;
}

enum stm32_status stlink_write(struct stlink_link *l, uint32_t address, const uint8_t *data,
			       size_t length, unsigned width, struct stm32_error *err)
{
	if (width == 2 && !l->has_16bit)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "ST-LINK firmware V%uJ%u has no 16-bit writes (J26 or later)",
				       l->version, l->jtag);
	uint8_t op = width == 2 ? DBG_WRITEMEM_16 : DBG_WRITEMEM_32;
	enum stm32_status s = STM32_OK;
	while (length && s == STM32_OK) {
		size_t n = length > STLINK_MAX_TRANSFER ? STLINK_MAX_TRANSFER : length;
		s = memory_command(l, op, address, n, data, NULL, err);
		address += (uint32_t)n;
		data += n;
		length -= n;
	}
	return s;
}

enum stm32_status stlink_write_register(struct stlink_link *l, unsigned index, uint32_t value,
					struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_WRITEREG, (uint8_t)index}, reply[2];
	put_le32(cmd + 3, value);
	enum stm32_status s = command(l, cmd, NULL, 0, reply, sizeof reply, err);
	return s == STM32_OK ? check_status(reply[0], "a core register write", index, err) : s;
}

enum stm32_status stlink_read_register(struct stlink_link *l, unsigned index, uint32_t *value,
				       struct stm32_error *err)
{
	uint8_t cmd[STLINK_COMMAND_SIZE] = {CMD_DEBUG, DBG_READREG, (uint8_t)index}, reply[8];
	enum stm32_status s = command(l, cmd, NULL, 0, reply, sizeof reply, err);
	if (s == STM32_OK)
		s = check_status(reply[0], "a core register read", index, err);
	*value = s == STM32_OK ? get_le32(reply + 4) : 0;
	return s;
}

enum stm32_status stlink_halt(struct stlink_link *l, struct stm32_error *err)
{
	return stlink_write_word(l, DHCSR, DHCSR_HALT, err);
}

enum stm32_status stlink_resume(struct stlink_link *l, struct stm32_error *err)
{
	return stlink_write_word(l, DHCSR, DHCSR_RUN_NO_DEBUG, err);
}

enum stm32_status stlink_reset_run(struct stlink_link *l, struct stm32_error *err)
{
	enum stm32_status s = stlink_write_word(l, DHCSR, DHCSR_RUN_NO_DEBUG, err);
	return s == STM32_OK ? stlink_write_word(l, AIRCR, AIRCR_SYSRESETREQ, err) : s;
}

#define NRST_HOLD_MS 2u /* well over the 20 us an STM32 needs to see NRST low */

enum stm32_status stlink_nrst_reset_run(struct stlink_link *l, struct stm32_error *err)
{
	enum stm32_status s = stlink_write_word(l, DHCSR, DHCSR_RUN_NO_DEBUG, err);
	if (s == STM32_OK)
		s = stlink_drive_nrst(l, false, err);
	if (s != STM32_OK)
		return s;
	core_sleep_ms(NRST_HOLD_MS);
	return stlink_drive_nrst(l, true, err);
}
