/* The ST-LINK command set (stlink_cmd.h). Lengths and layouts are what
 * the peers expect (../shared/stm32/stlink.md §2): a status reply is 2
 * bytes, a register read 8 with the value at 4. The firmware version is
 * V2J37S7 (V2), V2J37M26 (V2-1) or V3J7M3 (V3): new enough for every
 * threshold both peers test. */
#include <string.h>

#include "base/bytes.h"
#include "stlink/stlink_cmd.h"

#define CMD_GET_VERSION 0xF1u
#define CMD_DEBUG 0xF2u
#define CMD_DFU 0xF3u
#define CMD_GET_CURRENT_MODE 0xF5u
#define CMD_GET_TARGET_VOLTAGE 0xF7u
#define CMD_GET_VERSION_EX 0xFBu
#define DFU_EXIT 0x07u

#define DBG_GETSTATUS 0x01u
#define DBG_FORCEDEBUG 0x02u
#define DBG_READMEM_32 0x07u
#define DBG_WRITEMEM_32 0x08u
#define DBG_RUNCORE 0x09u
#define DBG_READMEM_8 0x0Cu
#define DBG_WRITEMEM_8 0x0Du
#define DBG_EXIT 0x21u
#define DBG_ENTER 0x30u
#define DBG_READ_IDCODES 0x31u
#define DBG_RESETSYS 0x32u
#define DBG_READREG 0x33u
#define DBG_WRITEREG 0x34u
#define DBG_WRITEDEBUGREG 0x35u
#define DBG_READDEBUGREG 0x36u
#define DBG_READALLREGS 0x3Au
#define DBG_GETLASTRWSTATUS 0x3Bu
#define DBG_DRIVE_NRST 0x3Cu
#define DBG_GETLASTRWSTATUS2 0x3Eu
#define DBG_SWD_SET_FREQ 0x43u
#define DBG_JTAG_SET_FREQ 0x44u
#define DBG_READ_DAP_REG 0x45u
#define DBG_WRITE_DAP_REG 0x46u
#define DBG_WRITEMEM_32_NO_INC 0x50u
#define DBG_RW_MISC_OUT 0x51u
#define DBG_RW_MISC_IN 0x52u
#define DBG_READMEM_32_NO_INC 0x54u
#define DBG_READMEM_16 0x47u
#define DBG_WRITEMEM_16 0x48u
#define DBG_INIT_AP 0x4Bu
#define DBG_CLOSE_AP 0x4Cu
#define DBG_SET_COM_FREQ 0x61u
#define DBG_GET_COM_FREQ 0x62u

#define ENTER_SWD 0xA3u
#define NRST_LOW 0
#define NRST_HIGH 1
#define NRST_PULSE 2
#define VID 0x0483u
/* GET_TARGET_VOLTAGE: V = 2 * reading * 1.2 / factor, here 3.3 V. */
#define VOLTAGE_FACTOR 1200u
#define VOLTAGE_READING 1650u
#define ALL_REGS 21u /* r0-r15, xPSR, MSP, PSP, and the two words after */
#define MEM8_MAX_V2 64u
#define MEM8_MAX_V3 512u

/* SWD_SET_FREQ divisors (V2) and the clock each gives, in kHz. */
static const struct { uint16_t divisor, khz; } swd_divisors[] = {
	{0, 4000}, {1, 1800}, {2, 1200}, {3, 950}, {7, 480}, {15, 240}, {31, 125},
	{40, 100}, {79, 50}, {158, 25}, {265, 15}, {798, 5},
};
/* The SWD clocks a V3 offers (GET_COM_FREQ), fastest first. */
static const uint32_t v3_khz[] = {24000, 8000, 3300, 1000, 200, 50, 5};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)value;
	p[1] = (uint8_t)(value >> 8);
}

const char *sim_stlink_version_name(enum sim_stlink_version version)
{
	switch (version) {
	case SIM_STLINK_V2: return "v2";
	case SIM_STLINK_V21: return "v21";
	case SIM_STLINK_V3: return "v3";
	}
	return "?";
}

uint16_t sim_stlink_pid(enum sim_stlink_version version)
{
	switch (version) {
	case SIM_STLINK_V2: return 0x3748u;
	case SIM_STLINK_V21: return 0x374Bu;
	case SIM_STLINK_V3: return 0x374Fu;
	}
	return 0x3748u;
}

void sim_stlink_init(struct sim_stlink *st, enum sim_stlink_version version,
		     struct sim_swd_target *target)
{
	memset(st, 0, sizeof *st);
	st->version = version;
	st->pid = sim_stlink_pid(version);
	st->target = target;
	st->swd_khz = 1800;
	sim_dap_reset(&st->dap);
	sim_stlink_usb_reset(st);
}

void sim_stlink_usb_reset(struct sim_stlink *st)
{
	st->mode = SIM_STLINK_MODE_MASS;
	st->reply_length = 0;
	st->write_length = st->write_received = 0;
	st->rw_status = SIM_STLINK_OK;
}

static uint8_t *reply(struct sim_stlink *st, size_t length)
{
	memset(st->reply, 0, length);
	st->reply_length = length;
	return st->reply;
}

static void reply_status(struct sim_stlink *st, uint8_t status)
{
	reply(st, 2)[0] = status;
}

/* A status and one 32-bit value at offset 4 (READREG, READDEBUGREG). */
static void reply_word(struct sim_stlink *st, uint8_t status, uint32_t value)
{
	uint8_t *r = reply(st, 8);
	r[0] = status;
	sim_put_le32(r + 4, value);
}

static void get_version(struct sim_stlink *st)
{
	unsigned stlink, jtag, swim;
	if (st->version == SIM_STLINK_V3) {
		stlink = 3, jtag = 0, swim = 0; /* V3 reports its versions in GET_VERSION_EX */
	} else {
		stlink = 2, jtag = 37, swim = st->version == SIM_STLINK_V21 ? 26 : 7;
	}
	uint8_t *r = reply(st, 6);
	uint16_t v = (uint16_t)(stlink << 12 | jtag << 6 | swim);
	r[0] = (uint8_t)(v >> 8);
	r[1] = (uint8_t)v;
	put_le16(r + 2, VID);
	put_le16(r + 4, st->pid);
}

static void get_version_ex(struct sim_stlink *st)
{
	if (st->version != SIM_STLINK_V3) {
		reply_status(st, SIM_STLINK_UNKNOWN_COMMAND);
		return;
	}
	uint8_t *r = reply(st, 12);
	r[0] = 3; /* stlink */
	r[1] = 0; /* swim */
	r[2] = 7; /* jtag */
	r[3] = 3; /* mass storage */
	r[4] = 3; /* bridge */
	put_le16(r + 8, VID);
	put_le16(r + 10, st->pid);
}

static void target_voltage(struct sim_stlink *st)
{
	uint8_t *r = reply(st, 8);
	sim_put_le32(r, VOLTAGE_FACTOR);
	sim_put_le32(r + 4, st->no_target ? 0 : VOLTAGE_READING);
}


static void read_idcodes(struct sim_stlink *st)
{
	uint8_t *r = reply(st, 12);
	r[0] = SIM_STLINK_OK;
	sim_put_le32(r + 4, st->target->dp_idcode);
}

static void read_all_registers(struct sim_stlink *st)
{
	static const unsigned selectors[ALL_REGS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
						     13, 14, 15, 16, 17, 18, 20, 20};
	uint8_t *r = reply(st, 4 + 4 * ALL_REGS);
	r[0] = SIM_STLINK_OK;
	for (unsigned i = 0; i < ALL_REGS; i++) {
		uint32_t v = 0;
		(void)sim_swd_get_reg(st->target, selectors[i], &v);
		sim_put_le32(r + 4 + 4 * i, i < 19 ? v : 0);
	}
}

static void drive_nrst(struct sim_stlink *st, uint8_t how)
{
	if (how > NRST_PULSE) {
		reply_status(st, SIM_STLINK_FAULT);
		return;
	}
	sim_swd_set_nrst(st->target, how == NRST_HIGH);
	if (how == NRST_PULSE)
		sim_swd_set_nrst(st->target, true);
	reply_status(st, SIM_STLINK_OK);
}

static void swd_set_freq(struct sim_stlink *st, uint16_t divisor)
{
	for (size_t i = 0; i < sizeof swd_divisors / sizeof swd_divisors[0]; i++)
		if (swd_divisors[i].divisor == divisor) {
			st->swd_khz = swd_divisors[i].khz;
			reply_status(st, SIM_STLINK_OK);
			return;
		}
	reply_status(st, SIM_STLINK_FAULT);
}

static void get_com_freq(struct sim_stlink *st)
{
	size_t n = sizeof v3_khz / sizeof v3_khz[0];
	uint8_t *r = reply(st, 52);
	r[0] = SIM_STLINK_OK;
	r[8] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		sim_put_le32(r + 12 + 4 * i, v3_khz[i]);
}

/* SET_COM_FREQ: the fastest offered clock not above the one asked for. */
static void set_com_freq(struct sim_stlink *st, const uint8_t *cmd)
{
	uint32_t want = sim_get_le32(cmd + 4);
	uint32_t chosen = v3_khz[sizeof v3_khz / sizeof v3_khz[0] - 1];
	for (size_t i = 0; i < sizeof v3_khz / sizeof v3_khz[0]; i++)
		if (v3_khz[i] <= want) {
			chosen = v3_khz[i];
			break;
		}
	st->swd_khz = (unsigned)chosen;
	uint8_t *r = reply(st, 8);
	r[0] = SIM_STLINK_OK;
	sim_put_le32(r + 4, chosen);
}

static unsigned access_size(uint8_t command)
{
	switch (command) {
	case DBG_READMEM_32: case DBG_WRITEMEM_32: return 4;
	case DBG_READMEM_32_NO_INC: case DBG_WRITEMEM_32_NO_INC: return 4;
	case DBG_READMEM_16: case DBG_WRITEMEM_16: return 2;
	default: return 1;
	}
}

static size_t mem8_max(const struct sim_stlink *st)
{
	return st->version == SIM_STLINK_V3 ? MEM8_MAX_V3 : MEM8_MAX_V2;
}

/* A memory command's address and length are usable: aligned to its access
 * size, within the buffer (and the 8-bit limit). */
static bool memory_request_ok(const struct sim_stlink *st, uint8_t command, uint32_t address,
			      size_t length)
{
	unsigned size = access_size(command);
	if (length > SIM_STLINK_BUFFER || address % size || length % size)
		return false;
	return size != 1 || length <= mem8_max(st);
}

static void memory_failed(struct sim_stlink *st, uint8_t status, uint32_t address)
{
	if (st->rw_status == SIM_STLINK_OK) {
		st->rw_status = status;
		st->rw_fault_address = address;
		st->counts.memory_errors++;
	}
}

/* The SWD timing model (ADIv5 over SWD): a transaction is 8 request
 * bits, a turnaround, 3 ACK bits, a turnaround, 32 data bits and parity,
 * and 2 idle cycles the probes leave between packets. A MEM-AP block
 * access sets CSW and TAR, then one DRW transaction per access (a read
 * one more, RDBUFF). Not modelled: TAR re-writes at 1 KiB boundaries,
 * WAIT retries. */
#define SWD_TRANSACTION_CYCLES 48u
#define AP_SETUP_TRANSACTIONS 2u
#define CORE_REGISTER_TRANSACTIONS 9u /* DCRSR, DHCSR (S_REGRDY), DCRDR, each with its TAR */
/* The probe's firmware per command (decoding it, USB to SWD): a model
 * choice, not measured. */
#define PROBE_COMMAND_NS 20000u

static void count_ap_access(struct sim_stlink *st, size_t accesses, bool read)
{
	st->swd_cycles += (AP_SETUP_TRANSACTIONS + accesses + (read ? 1u : 0u)) *
			  (uint64_t)SWD_TRANSACTION_CYCLES;
}

uint64_t sim_stlink_take_wire_ns(struct sim_stlink *st)
{
	unsigned khz = st->swd_khz ? st->swd_khz : 1800u;
	uint64_t ns = st->swd_cycles * 1000000u / khz + st->probe_ns;
	st->swd_cycles = 0;
	st->probe_ns = 0;
	return ns;
}

static void read_memory(struct sim_stlink *st, uint8_t command, uint32_t address, size_t length)
{
	unsigned size = access_size(command);
	st->rw_status = SIM_STLINK_OK;
	/* A 1-byte read is answered with 2 bytes (the firmware's minimum); a
	 * refused request still sends as many bytes, all 0. */
	size_t sent = length == 1 ? 2 : length < SIM_STLINK_BUFFER ? length : SIM_STLINK_BUFFER;
	uint8_t *r = reply(st, sent);
	if (!memory_request_ok(st, command, address, length)) {
		memory_failed(st, SIM_STLINK_FAULT, address);
		return;
	}
	if (st->faults && sim_faults_take_nack(st->faults)) {
		/* The AP answered WAIT until the probe gave up: nothing was read. */
		st->counts.waits++;
		memory_failed(st, SIM_STLINK_AP_WAIT, address);
		return;
	}
	count_ap_access(st, (length + size - 1) / size, true);
	bool fixed = command == DBG_READMEM_32_NO_INC; /* one address, read again and again */
	for (size_t i = 0; i < length; i += size) {
		uint32_t v, at = address + (fixed ? 0 : (uint32_t)i);
		if (!sim_swd_read(st->target, at, size, &v)) {
			memory_failed(st, SIM_STLINK_AP_STICKY_ERROR, at);
			v = 0;
		}
		for (unsigned b = 0; b < size; b++)
			r[i + b] = (uint8_t)(v >> (8 * b));
	}
	st->counts.memory_read_bytes += length;
}

static void start_write(struct sim_stlink *st, uint8_t command, uint32_t address, size_t length)
{
	st->rw_status = SIM_STLINK_OK;
	if (length > SIM_STLINK_BUFFER) {
		memory_failed(st, SIM_STLINK_FAULT, address);
		return;
	}
	st->write_command = command;
	st->write_address = address;
	st->write_length = length;
	st->write_received = 0;
}

/* RW_MISC_OUT's data phase (openocd's dap queue, V2J32+/V3): the items'
 * command bytes (padded to 4), then one value word per item. 1 ADDRESS
 * (for the next WRITE), 2 WRITE, 3 READ (the word at the value's
 * address), 5 APNUM; each gives a value and a status for RW_MISC_IN. */
#define MISC_ADDRESS 1u
#define MISC_WRITE 2u
#define MISC_READ 3u
#define MISC_APNUM 5u
#define MISC_MAX_ITEMS 64u

static void run_misc(struct sim_stlink *st)
{
	uint32_t items = st->misc_items, address = 0, ap = 0;
	size_t values = (items + 3u) & ~3u;
	for (uint32_t k = 0; k < items; k++) {
		uint32_t v = sim_get_le32(st->write_data + values + 4u * k), result = 0;
		uint8_t status = SIM_STLINK_OK;
		switch (st->write_data[k]) {
		case MISC_APNUM: ap = v; status = ap == 0 ? SIM_STLINK_OK : SIM_STLINK_BAD_AP; break;
		case MISC_ADDRESS: address = v; break;
		case MISC_WRITE:
			count_ap_access(st, 1, false);
			if (ap != 0 || !sim_swd_write(st->target, address, 4, v))
				status = SIM_STLINK_AP_STICKY_ERROR;
			break;
		case MISC_READ:
			count_ap_access(st, 1, true);
			if (ap != 0 || !sim_swd_read(st->target, v, 4, &result))
				status = SIM_STLINK_AP_STICKY_ERROR;
			break;
		default: status = SIM_STLINK_FAULT; break;
		}
		st->misc_results[k] = result;
		st->misc_results[items + k] = status;
	}
}

static void misc_out(struct sim_stlink *st, const uint8_t *cmd)
{
	uint32_t items = sim_get_le32(cmd + 2);
	st->misc_items = items <= MISC_MAX_ITEMS ? items : 0;
	start_write(st, DBG_RW_MISC_OUT, 0, ((items + 3u) & ~3u) + 4u * items);
	if (items > MISC_MAX_ITEMS)
		st->write_command = 0; /* more than the firmware takes: dropped */
}

static void misc_in(struct sim_stlink *st)
{
	uint8_t *r = reply(st, 8u * st->misc_items);
	for (uint32_t k = 0; k < 2u * st->misc_items; k++)
		sim_put_le32(r + 4u * k, st->misc_results[k]);
}

static void finish_write(struct sim_stlink *st)
{
	uint8_t command = st->write_command;
	uint32_t address = st->write_address;
	size_t length = st->write_length;
	unsigned size = access_size(command);
	st->write_length = 0;
	if (!command)
		return; /* nobody on the wires took it */
	if (command == DBG_RW_MISC_OUT) {
		run_misc(st);
		return;
	}
	if (!memory_request_ok(st, command, address, length)) {
		memory_failed(st, SIM_STLINK_FAULT, address);
		return;
	}
	if (st->faults && sim_faults_take_nack(st->faults)) {
		/* The AP answered WAIT until the probe gave up: nothing written. */
		st->counts.waits++;
		st->counts.write_waits++;
		memory_failed(st, SIM_STLINK_AP_WAIT, address);
		return;
	}
	count_ap_access(st, length / size, false);
	for (size_t i = 0; i < length; i += size) {
		uint32_t v = 0;
		for (unsigned b = 0; b < size; b++)
			v |= (uint32_t)st->write_data[i + b] << (8 * b);
		uint32_t at = address + (command == DBG_WRITEMEM_32_NO_INC ? 0 : (uint32_t)i);
		if (!sim_swd_write(st->target, at, size, v))
			memory_failed(st, SIM_STLINK_AP_STICKY_ERROR, at);
	}
	st->counts.memory_written_bytes += length;
}

static void last_rw_status(struct sim_stlink *st, bool extended)
{
	uint8_t *r = reply(st, extended ? 12 : 2);
	r[0] = st->rw_status;
	if (extended && st->rw_status != SIM_STLINK_OK)
		sim_put_le32(r + 4, st->rw_fault_address);
}

static void debug_register(struct sim_stlink *st, const uint8_t *cmd, bool write)
{
	uint32_t address = sim_get_le32(cmd + 2), value = 0;
	count_ap_access(st, 1, !write);
	if (write) {
		bool ok = sim_swd_write(st->target, address, 4, sim_get_le32(cmd + 6));
		reply_status(st, ok ? SIM_STLINK_OK : SIM_STLINK_AP_STICKY_ERROR);
		return;
	}
	bool ok = sim_swd_read(st->target, address, 4, &value);
	reply_word(st, ok ? SIM_STLINK_OK : SIM_STLINK_AP_STICKY_ERROR, value);
}

/* READ_DAP_REG (F2 45 port16 addr16; 8 bytes, the value at 4) and
 * WRITE_DAP_REG (F2 46 port16 addr16 value32; 2 bytes): port 0xFFFF is
 * the DP, any other an AP (only AP 0, the MEM-AP, exists). An AP access is
 * SELECT then the register: two SWD transactions, a DP register one. */
static void dap_register(struct sim_stlink *st, const uint8_t *cmd, bool write)
{
	uint16_t port = get_le16(cmd + 2), addr = get_le16(cmd + 4);
	uint32_t value = write ? sim_get_le32(cmd + 6) : 0;
	st->swd_cycles += (port == SIM_DAP_DP_PORT ? 1u : 2u) * (uint64_t)SWD_TRANSACTION_CYCLES;
	bool ok = write ? sim_dap_write(&st->dap, st->target, port, addr, value)
			: sim_dap_read(&st->dap, st->target, port, addr, &value);
	uint8_t status = ok ? SIM_STLINK_OK
			 : port != SIM_DAP_DP_PORT && port != 0 ? SIM_STLINK_BAD_AP
			 : port == 0 && (addr == 0x0Cu || (addr >= 0x10u && addr <= 0x1Cu))
			       ? SIM_STLINK_AP_STICKY_ERROR
			       : SIM_STLINK_FAULT;
	if (write)
		reply_status(st, status);
	else
		reply_word(st, status, value);
}

static void core_register(struct sim_stlink *st, const uint8_t *cmd, bool write)
{
	uint32_t value = 0;
	st->swd_cycles += CORE_REGISTER_TRANSACTIONS * (uint64_t)SWD_TRANSACTION_CYCLES;
	if (write) {
		bool ok = sim_swd_set_reg(st->target, cmd[2], sim_get_le32(cmd + 3));
		reply_status(st, ok ? SIM_STLINK_OK : SIM_STLINK_FAULT);
		return;
	}
	bool ok = sim_swd_get_reg(st->target, cmd[2], &value);
	reply_word(st, ok ? SIM_STLINK_OK : SIM_STLINK_FAULT, value);
}

/* API v1 halt/run commands: both peers use DHCSR with API v2, but they are
 * cheap to answer. */
static void core_control(struct sim_stlink *st, uint8_t command)
{
	uint32_t dhcsr = 0;
	switch (command) {
	case DBG_FORCEDEBUG:
		(void)sim_swd_write(st->target, SIM_DHCSR, 4, 0xA05F0003u);
		break;
	case DBG_RUNCORE:
		(void)sim_swd_write(st->target, SIM_DHCSR, 4, 0xA05F0001u);
		break;
	default: /* GETSTATUS */
		(void)sim_swd_read(st->target, SIM_DHCSR, 4, &dhcsr);
		reply_status(st, dhcsr & SIM_DHCSR_S_HALT ? 0x81u : 0x80u);
		return;
	}
	reply_status(st, SIM_STLINK_OK);
}

/* With nothing on the wires every SWD transaction goes unacknowledged:
 * the probe answers DP_ERROR, with the reply's usual length (memory reads:
 * zeros, and the error for GETLASTRWSTATUS). False: a command the probe
 * answers by itself. */
static bool no_target_reply(struct sim_stlink *st, const uint8_t *cmd, uint8_t command,
			    size_t length)
{
	switch (command) {
	case DBG_ENTER: case DBG_EXIT: case DBG_SWD_SET_FREQ: case DBG_JTAG_SET_FREQ:
	case DBG_GET_COM_FREQ: case DBG_SET_COM_FREQ: case DBG_GETLASTRWSTATUS:
	case DBG_GETLASTRWSTATUS2: case DBG_DRIVE_NRST:
		return false;
	case DBG_READMEM_32: case DBG_READMEM_16: case DBG_READMEM_8: case DBG_READMEM_32_NO_INC:
		reply(st, length == 1 ? 2 : length < SIM_STLINK_BUFFER ? length : SIM_STLINK_BUFFER);
		st->rw_status = SIM_STLINK_DP_ERROR;
		return true;
	case DBG_WRITEMEM_32: case DBG_WRITEMEM_16: case DBG_WRITEMEM_8: case DBG_WRITEMEM_32_NO_INC:
		start_write(st, command, 0, length); /* the data phase is taken, then dropped */
		st->write_command = 0;
		st->rw_status = SIM_STLINK_DP_ERROR;
		return true;
	case DBG_RW_MISC_OUT: {
		uint32_t items = sim_get_le32(cmd + 2);
		start_write(st, command, 0, ((items + 3u) & ~3u) + 4u * items);
		st->write_command = 0;
		st->misc_items = items <= MISC_MAX_ITEMS ? items : 0;
		for (uint32_t k = 0; k < st->misc_items; k++) {
			st->misc_results[k] = 0;
			st->misc_results[st->misc_items + k] = SIM_STLINK_DP_ERROR;
		}
		return true;
	}
	case DBG_RW_MISC_IN: misc_in(st); return true;
	case DBG_READ_IDCODES: reply(st, 12)[0] = SIM_STLINK_DP_ERROR; return true;
	case DBG_READREG: case DBG_READDEBUGREG: case DBG_READ_DAP_REG:
		reply_word(st, SIM_STLINK_DP_ERROR, 0);
		return true;
	case DBG_READALLREGS: reply(st, 4 + 4 * ALL_REGS)[0] = SIM_STLINK_DP_ERROR; return true;
	default: reply_status(st, SIM_STLINK_DP_ERROR); return true;
	}
}

static void debug_command(struct sim_stlink *st, const uint8_t *cmd)
{
	uint8_t command = cmd[1];
	uint32_t address = sim_get_le32(cmd + 2);
	size_t length = get_le16(cmd + 6);
	st->counts.debug_commands[command]++;
	/* Nothing on the wires, or a chip at RDP level 2, whose debug port is
	 * disabled for good: no SWD transaction is acknowledged. */
	if ((st->no_target || sim_swd_debug_disabled(st->target)) &&
	    no_target_reply(st, cmd, command, length))
		return;
	switch (command) {
	case DBG_ENTER:
		if (cmd[2] != ENTER_SWD) {
			reply_status(st, SIM_STLINK_FAULT); /* JTAG is not modelled */
			return;
		}
		st->mode = SIM_STLINK_MODE_DEBUG;
		sim_swd_debugger_attached(st->target);
		sim_dap_reset(&st->dap);
		reply_status(st, SIM_STLINK_OK);
		return;
	case DBG_EXIT: st->mode = SIM_STLINK_MODE_MASS; return;
	case DBG_READ_IDCODES: read_idcodes(st); return;
	case DBG_RESETSYS:
		sim_swd_system_reset(st->target, SIM_RESET_NONE);
		reply_status(st, SIM_STLINK_OK);
		return;
	case DBG_READREG: core_register(st, cmd, false); return;
	case DBG_WRITEREG: core_register(st, cmd, true); return;
	case DBG_READDEBUGREG: debug_register(st, cmd, false); return;
	case DBG_WRITEDEBUGREG: debug_register(st, cmd, true); return;
	case DBG_READALLREGS: read_all_registers(st); return;
	case DBG_READ_DAP_REG: dap_register(st, cmd, false); return;
	case DBG_RW_MISC_OUT: misc_out(st, cmd); return;
	case DBG_RW_MISC_IN: misc_in(st); return;
	case DBG_READMEM_32_NO_INC: read_memory(st, command, address, length); return;
	case DBG_WRITEMEM_32_NO_INC: start_write(st, command, address, length); return;
	case DBG_WRITE_DAP_REG: dap_register(st, cmd, true); return;
	case DBG_GETLASTRWSTATUS: last_rw_status(st, false); return;
	case DBG_GETLASTRWSTATUS2: last_rw_status(st, true); return;
	case DBG_DRIVE_NRST: drive_nrst(st, cmd[2]); return;
	case DBG_SWD_SET_FREQ: swd_set_freq(st, get_le16(cmd + 2)); return;
	case DBG_JTAG_SET_FREQ: reply_status(st, SIM_STLINK_OK); return;
	case DBG_INIT_AP: case DBG_CLOSE_AP:
		reply_status(st, cmd[2] == 0 ? SIM_STLINK_OK : 0x1Du); /* only AP 0: BAD_AP */
		return;
	case DBG_GETSTATUS: case DBG_FORCEDEBUG: case DBG_RUNCORE: core_control(st, command); return;
	case DBG_READMEM_32: case DBG_READMEM_16: case DBG_READMEM_8:
		read_memory(st, command, address, length);
		return;
	case DBG_WRITEMEM_32: case DBG_WRITEMEM_16: case DBG_WRITEMEM_8:
		start_write(st, command, address, length);
		return;
	default: break;
	}
	if (st->version == SIM_STLINK_V3 && command == DBG_GET_COM_FREQ) {
		get_com_freq(st);
	} else if (st->version == SIM_STLINK_V3 && command == DBG_SET_COM_FREQ) {
		set_com_freq(st, cmd);
	} else {
		st->counts.unknown++;
		reply_status(st, SIM_STLINK_UNKNOWN_COMMAND);
	}
}

static void command(struct sim_stlink *st, const uint8_t *cmd)
{
	st->counts.commands[cmd[0]]++;
	st->probe_ns += PROBE_COMMAND_NS;
	switch (cmd[0]) {
	case CMD_GET_VERSION: get_version(st); return;
	case CMD_GET_VERSION_EX: get_version_ex(st); return;
	case CMD_GET_CURRENT_MODE: reply(st, 2)[0] = (uint8_t)st->mode; return;
	case CMD_GET_TARGET_VOLTAGE: target_voltage(st); return;
	case CMD_DFU:
		if (cmd[1] == DFU_EXIT)
			st->mode = SIM_STLINK_MODE_MASS;
		return;
	case CMD_DEBUG: debug_command(st, cmd); return;
	default:
		st->counts.unknown++;
		reply_status(st, SIM_STLINK_UNKNOWN_COMMAND);
		return;
	}
}

void sim_stlink_out(struct sim_stlink *st, const uint8_t *data, size_t length)
{
	if (st->write_length) {
		size_t room = st->write_length - st->write_received;
		size_t n = length < room ? length : room;
		memcpy(st->write_data + st->write_received, data, n);
		st->write_received += n;
		if (st->write_received == st->write_length)
			finish_write(st);
		return;
	}
	uint8_t cmd[SIM_STLINK_COMMAND_SIZE] = {0};
	memcpy(cmd, data, length < sizeof cmd ? length : sizeof cmd);
	if (!length)
		return;
	st->reply_length = 0; /* a new command drops a reply the host never read */
	sim_swd_tick(st->target);
	command(st, cmd);
}

int sim_stlink_in(struct sim_stlink *st, uint8_t *out, size_t max)
{
	if (!st->reply_length)
		return -1;
	size_t n = st->reply_length < max ? st->reply_length : max;
	memcpy(out, st->reply, n);
	st->reply_length = 0;
	return (int)n;
}
