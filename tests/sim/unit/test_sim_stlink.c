/* The emulated ST-LINK's command model (src/sim/stlink) in process: the
 * bytes of each reply the peers read (../shared/stm32/stlink.md §2), and the
 * debug behaviour behind them on a real core: halt, S_RESET_ST, a program
 * in SRAM stopping on its BKPT, readout protection refusing flash reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/cpu.h"
#include "stlink/stlink_cmd.h"

struct bench {
	struct sim_chip chip;
	struct sim_cpu *cpu;
	struct sim_swd_target target;
	struct sim_stlink stlink;
	uint8_t reply[SIM_STLINK_BUFFER];
	int reply_length;
};

static struct bench *bench_new(const char *device, enum sim_stlink_version version)
{
	struct bench *b = calloc(1, sizeof *b);
	assert_non_null(b);
	assert_true(sim_chip_init(&b->chip, stm32_device_find(device)));
	char why[160];
	b->cpu = sim_cpu_new(&b->chip, NULL, why, sizeof why);
	assert_non_null(b->cpu);
	sim_swd_init(&b->target, &b->chip, b->cpu);
	sim_swd_power_on(&b->target);
	sim_stlink_init(&b->stlink, version, &b->target);
	return b;
}

static void bench_free(struct bench *b)
{
	sim_cpu_free(b->cpu);
	sim_chip_free(&b->chip);
	free(b);
}

/* One 16-byte command (the rest zero), then the IN transfer, if any. */
static void command(struct bench *b, const uint8_t *bytes, size_t length)
{
	uint8_t cmd[SIM_STLINK_COMMAND_SIZE] = {0};
	memcpy(cmd, bytes, length);
	sim_stlink_out(&b->stlink, cmd, sizeof cmd);
	b->reply_length = sim_stlink_in(&b->stlink, b->reply, sizeof b->reply);
}

#define CMD(b, ...)                                                                                \
	do {                                                                                       \
		const uint8_t bytes_[] = {__VA_ARGS__};                                            \
		command(b, bytes_, sizeof bytes_);                                                 \
	} while (0)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t read_debug(struct bench *b, uint32_t address)
{
	CMD(b, 0xF2, 0x36, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16),
	    (uint8_t)(address >> 24));
	assert_int_equal(b->reply_length, 8);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	return le32(b->reply + 4);
}

static void write_debug(struct bench *b, uint32_t address, uint32_t value)
{
	CMD(b, 0xF2, 0x35, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16),
	    (uint8_t)(address >> 24), (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
	    (uint8_t)(value >> 24));
	assert_int_equal(b->reply_length, 2);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
}

static uint32_t read_reg(struct bench *b, uint8_t selector)
{
	CMD(b, 0xF2, 0x33, selector);
	assert_int_equal(b->reply_length, 8);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	return le32(b->reply + 4);
}

static void write_reg(struct bench *b, uint8_t selector, uint32_t value)
{
	CMD(b, 0xF2, 0x34, selector, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
	    (uint8_t)(value >> 24));
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
}

static void write_memory32(struct bench *b, uint32_t address, const uint8_t *data, uint16_t length)
{
	CMD(b, 0xF2, 0x08, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16),
	    (uint8_t)(address >> 24), (uint8_t)length, (uint8_t)(length >> 8));
	assert_int_equal(b->reply_length, -1); /* no reply before the data phase */
	sim_stlink_out(&b->stlink, data, length);
}

/* V2J37S7 as GET_VERSION packs it (stlink [15:12], jtag [11:6], swim
 * [5:0], big-endian), then VID and PID little-endian. */
static void test_get_version_v2(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	CMD(b, 0xF1);
	const uint8_t expected[6] = {0x29, 0x47, 0x83, 0x04, 0x48, 0x37};
	assert_int_equal(b->reply_length, 6);
	assert_memory_equal(b->reply, expected, 6);
	bench_free(b);
}

/* A V3 says 3 with jtag = swim = 0 in GET_VERSION, and its versions in the
 * 12-byte GET_VERSION_EX (PID at 10); a V2 does not know GET_VERSION_EX. */
static void test_get_version_v3(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V3);
	CMD(b, 0xF1);
	assert_int_equal(b->reply[0], 0x30);
	assert_int_equal(b->reply[1], 0x00);
	CMD(b, 0xFB);
	assert_int_equal(b->reply_length, 12);
	assert_int_equal(b->reply[0], 3);
	assert_int_equal(b->reply[2], 7);
	assert_int_equal(b->reply[10] | b->reply[11] << 8, 0x374F);
	bench_free(b);
	b = bench_new("stm32f103x8", SIM_STLINK_V2);
	CMD(b, 0xFB);
	assert_int_equal(b->reply[0], SIM_STLINK_UNKNOWN_COMMAND);
	bench_free(b);
}

/* Mode 1 (mass storage) until ENTER SWD, 2 after, 1 again after EXIT
 * (which has no reply); 3.3 V at the target. */
static void test_modes_and_voltage(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	CMD(b, 0xF5);
	assert_int_equal(b->reply[0], SIM_STLINK_MODE_MASS);
	CMD(b, 0xF2, 0x30, 0xA3);
	assert_int_equal(b->reply_length, 2);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	CMD(b, 0xF5);
	assert_int_equal(b->reply[0], SIM_STLINK_MODE_DEBUG);
	CMD(b, 0xF2, 0x21);
	assert_int_equal(b->reply_length, -1);
	CMD(b, 0xF5);
	assert_int_equal(b->reply[0], SIM_STLINK_MODE_MASS);
	CMD(b, 0xF7);
	assert_int_equal(b->reply_length, 8);
	uint32_t factor = le32(b->reply), reading = le32(b->reply + 4);
	assert_int_equal(2u * reading * 12u / factor, 33u); /* tenths of a volt */
	bench_free(b);
}

/* What st-info reads: the DP IDCODE of a Cortex-M3 SW-DP, CPUID, DBGMCU
 * IDCODE (device 0x410) and the flash-size register (64 KiB). */
static void test_identification(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	CMD(b, 0xF2, 0x30, 0xA3);
	CMD(b, 0xF2, 0x31);
	assert_int_equal(b->reply_length, 12);
	assert_int_equal(le32(b->reply + 4), 0x1BA01477u);
	assert_int_equal(read_debug(b, 0xE000ED00u) >> 24, 0x41); /* ARM */
	assert_int_equal(read_debug(b, 0xE0042000u) & 0xFFFu, 0x410);
	assert_int_equal(read_debug(b, 0x1FFFF7E0u) & 0xFFFFu, 64);
	bench_free(b);
	b = bench_new("stm32g071rb", SIM_STLINK_V2);
	CMD(b, 0xF2, 0x31);
	assert_int_equal(le32(b->reply + 4), 0x0BC11477u); /* Cortex-M0+ */
	assert_int_equal(read_debug(b, 0x40015800u) & 0xFFFu, 0x460);
	bench_free(b);
}

/* Halting sets C_HALT and S_HALT; a reset sets S_RESET_ST, which one read
 * of DHCSR clears; VC_CORERESET halts at the reset vector. */
static void test_halt_and_sticky_reset(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	/* Erased flash: the core locked up at power-on (S_LOCKUP); halting ends that. */
	assert_int_equal(read_debug(b, 0xE000EDF0u), 0x00090000u);
	write_debug(b, 0xE000EDF0u, 0xA05F0003u);
	assert_int_equal(read_debug(b, 0xE000EDF0u), 0x00030003u);
	write_debug(b, 0xE000EDF0u, 0x12340000u); /* no DBGKEY: ignored */
	assert_int_equal(read_debug(b, 0xE000EDF0u), 0x00030003u);
	write_debug(b, 0xE000EDFCu, 0x01000001u);
	CMD(b, 0xF2, 0x32);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	assert_int_equal(read_debug(b, 0xE000EDF0u), 0x02030003u);
	assert_int_equal(read_debug(b, 0xE000EDF0u), 0x00030003u);
	/* Erased flash: the vector says SP 0xFFFFFFFC, PC 0xFFFFFFFE. */
	assert_int_equal(read_reg(b, 15), 0xFFFFFFFEu);
	assert_int_equal(read_reg(b, 17), 0xFFFFFFFCu);
	bench_free(b);
}

/* A program loaded into SRAM runs when C_HALT is cleared and stops on its
 * BKPT in debug state: DHCSR as stlink expects after its loader
 * (0x0003000B with C_MASKINTS), PC on the BKPT, the result in r0, DFSR.BKPT. */
static void test_program_in_sram_halts_on_bkpt(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	write_debug(b, 0xE000EDF0u, 0xA05F0003u);
	const uint8_t code[8] = {0x2A, 0x20, 0x01, 0x30, 0x00, 0xBE, 0x00, 0xBF}; /* movs r0,#42; adds r0,#1; bkpt; nop */
	write_memory32(b, 0x20000000u, code, sizeof code);
	CMD(b, 0xF2, 0x3E);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	write_reg(b, 15, 0x20000000u);
	write_reg(b, 16, 0x01000000u);
	write_debug(b, 0xE000EDF0u, 0xA05F0009u); /* run, interrupts masked */
	assert_int_equal(read_debug(b, 0xE000EDF0u), 0x0003000Bu);
	assert_int_equal(read_reg(b, 0), 43);
	assert_int_equal(read_reg(b, 15), 0x20000004u);
	assert_int_equal(read_debug(b, 0xE000ED30u) & 2u, 2u);
	bench_free(b);
}

/* Memory commands of each width reach SRAM; a 1-byte read is answered
 * with 2 bytes; an unmapped address is a bus error GETLASTRWSTATUS2
 * reports (0x19) with its address. */
static void test_memory_widths_and_faults(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	const uint8_t data[4] = {0x11, 0x22, 0x33, 0x44};
	CMD(b, 0xF2, 0x0D, 0x01, 0x01, 0x00, 0x20, 0x04, 0x00); /* WRITEMEM_8 0x20000101 */
	sim_stlink_out(&b->stlink, data, 4);
	CMD(b, 0xF2, 0x47, 0x00, 0x01, 0x00, 0x20, 0x06, 0x00); /* READMEM_16 0x20000100 */
	assert_int_equal(b->reply_length, 6);
	const uint8_t expected[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x00};
	assert_memory_equal(b->reply, expected, 6);
	CMD(b, 0xF2, 0x0C, 0x02, 0x01, 0x00, 0x20, 0x01, 0x00); /* READMEM_8, 1 byte */
	assert_int_equal(b->reply_length, 2);
	assert_int_equal(b->reply[0], 0x22);
	CMD(b, 0xF2, 0x07, 0x00, 0x00, 0x00, 0x60, 0x04, 0x00); /* nothing at 0x60000000 */
	assert_int_equal(b->reply_length, 4);
	CMD(b, 0xF2, 0x3E);
	assert_int_equal(b->reply_length, 12);
	assert_int_equal(b->reply[0], SIM_STLINK_AP_STICKY_ERROR);
	assert_int_equal(le32(b->reply + 4), 0x60000000u);
	CMD(b, 0xF2, 0x07, 0x02, 0x00, 0x00, 0x20, 0x04, 0x00); /* unaligned 32-bit */
	CMD(b, 0xF2, 0x3B);
	assert_int_equal(b->reply[0], SIM_STLINK_FAULT);
	bench_free(b);
}

/* At RDP level 1 the debugger's flash reads are bus errors; SRAM stays
 * readable. */
static void test_rdp_level_1_refuses_flash_reads(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	sim_chip_set_rdp_level(&b->chip, 1);
	CMD(b, 0xF2, 0x07, 0x00, 0x00, 0x00, 0x08, 0x04, 0x00);
	CMD(b, 0xF2, 0x3E);
	assert_int_equal(b->reply[0], SIM_STLINK_AP_STICKY_ERROR);
	CMD(b, 0xF2, 0x07, 0x00, 0x00, 0x00, 0x20, 0x04, 0x00);
	CMD(b, 0xF2, 0x3E);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	assert_int_equal(b->target.counts.rdp_refusals, 1);
	bench_free(b);
}

/* An unknown command gets status 0x42; a new command drops a reply the
 * host never read; no reply waiting means the IN transfer waits (-1). */
static void test_unknown_and_unread(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	CMD(b, 0xF2, 0x7E);
	assert_int_equal(b->reply_length, 2);
	assert_int_equal(b->reply[0], SIM_STLINK_UNKNOWN_COMMAND);
	uint8_t cmd[16] = {0xF1};
	sim_stlink_out(&b->stlink, cmd, sizeof cmd);
	cmd[0] = 0xF5;
	sim_stlink_out(&b->stlink, cmd, sizeof cmd);
	assert_int_equal(sim_stlink_in(&b->stlink, b->reply, sizeof b->reply), 2);
	assert_int_equal(sim_stlink_in(&b->stlink, b->reply, sizeof b->reply), -1);
	bench_free(b);
}

/* The nack fault as a WAIT storm: a memory read answers AP WAIT (0x10)
 * and reads nothing; register commands are not affected. */
static void test_nack_fault_makes_reads_wait(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	struct sim_fault_spec spec = {.nack = 1.0};
	struct sim_fault_counts counts = {0};
	struct sim_faults faults;
	sim_faults_init(&faults, &spec, 1, &counts);
	b->stlink.faults = &faults;
	CMD(b, 0xF2, 0x07, 0x00, 0x00, 0x00, 0x20, 0x04, 0x00);
	CMD(b, 0xF2, 0x3E);
	assert_int_equal(b->reply[0], SIM_STLINK_AP_WAIT);
	assert_int_equal(b->stlink.counts.waits, 1);
	assert_int_equal(counts.nack, 1);
	assert_int_equal(read_debug(b, 0xE0042000u) & 0xFFFu, 0x410);
	bench_free(b);
}

/* Nothing on the wires: 0 V, IDCODE 0 with DP_ERROR, register reads
 * refused, a write's data phase taken and dropped; the probe's own
 * commands still work. */
static void test_no_target(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	b->stlink.no_target = true;
	CMD(b, 0xF7);
	assert_int_equal(le32(b->reply + 4), 0);
	CMD(b, 0xF2, 0x30, 0xA3);
	assert_int_equal(b->reply[0], SIM_STLINK_OK);
	CMD(b, 0xF2, 0x31);
	assert_int_equal(b->reply_length, 12);
	assert_int_equal(b->reply[0], SIM_STLINK_DP_ERROR);
	assert_int_equal(le32(b->reply + 4), 0);
	CMD(b, 0xF2, 0x36, 0x00, 0x20, 0x04, 0xE0);
	assert_int_equal(b->reply_length, 8);
	assert_int_equal(b->reply[0], SIM_STLINK_DP_ERROR);
	const uint8_t word[4] = {1, 2, 3, 4};
	write_memory32(b, 0x20000000u, word, sizeof word);
	CMD(b, 0xF2, 0x3E);
	assert_int_equal(b->reply[0], SIM_STLINK_DP_ERROR);
	b->stlink.no_target = false;
	CMD(b, 0xF2, 0x07, 0x00, 0x00, 0x00, 0x20, 0x04, 0x00);
	assert_int_equal(le32(b->reply), 0); /* the dropped write left SRAM as it was */
	bench_free(b);
}

/* READ_DAP_REG: port 0xFFFF is the DP, 0 the MEM-AP. */
static uint32_t dap_read(struct bench *b, uint16_t port, uint8_t addr, uint8_t status)
{
	CMD(b, 0xF2, 0x45, (uint8_t)port, (uint8_t)(port >> 8), addr, 0x00);
	assert_int_equal(b->reply_length, 8);
	assert_int_equal(b->reply[0], status);
	return le32(b->reply + 4);
}

static void dap_write(struct bench *b, uint16_t port, uint8_t addr, uint32_t value, uint8_t status)
{
	CMD(b, 0xF2, 0x46, (uint8_t)port, (uint8_t)(port >> 8), addr, 0x00, (uint8_t)value,
	    (uint8_t)(value >> 8), (uint8_t)(value >> 16), (uint8_t)(value >> 24));
	assert_int_equal(b->reply_length, 2);
	assert_int_equal(b->reply[0], status);
}

/* The DP (IDCODE, power-up handshake, STICKYERR and ABORT) and AP 0 (IDR
 * by core, CSW, TAR, DRW with auto-increment, BD1) reach the same memory
 * the probe's memory commands do; another AP is BAD_AP. */
static void test_dap_registers(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	assert_int_equal(dap_read(b, 0xFFFF, 0x0, SIM_STLINK_OK), 0x1BA01477u);
	dap_write(b, 0xFFFF, 0x4, 0x50000000u, SIM_STLINK_OK); /* CSYSPWRUPREQ | CDBGPWRUPREQ */
	assert_int_equal(dap_read(b, 0xFFFF, 0x4, SIM_STLINK_OK), 0xF0000000u);
	assert_int_equal(dap_read(b, 0, 0xFC, SIM_STLINK_OK), 0x24770011u);
	assert_int_equal(dap_read(b, 0, 0xF8, SIM_STLINK_OK), 0xE00FF003u);
	const uint8_t words[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	write_memory32(b, 0x20000100u, words, sizeof words);
	dap_write(b, 0, 0x00, 0x23000012u, SIM_STLINK_OK); /* 32 bits, single increment */
	assert_int_equal(dap_read(b, 0, 0x00, SIM_STLINK_OK) & 0x77u, 0x52u); /* DeviceEn reads 1 */
	dap_write(b, 0, 0x04, 0x20000100u, SIM_STLINK_OK);
	assert_int_equal(dap_read(b, 0, 0x0C, SIM_STLINK_OK), 0x44332211u);
	assert_int_equal(dap_read(b, 0xFFFF, 0xC, SIM_STLINK_OK), 0x44332211u); /* RDBUFF */
	assert_int_equal(dap_read(b, 0, 0x04, SIM_STLINK_OK), 0x20000104u);
	dap_write(b, 0, 0x0C, 0xCAFEF00Du, SIM_STLINK_OK); /* DRW at 0x20000104 */
	dap_write(b, 0, 0x04, 0x20000100u, SIM_STLINK_OK);
	assert_int_equal(dap_read(b, 0, 0x14, SIM_STLINK_OK), 0xCAFEF00Du); /* BD1 */
	/* A byte access puts the byte on its lane. */
	dap_write(b, 0, 0x00, 0x23000000u, SIM_STLINK_OK);
	dap_write(b, 0, 0x04, 0x20000102u, SIM_STLINK_OK);
	assert_int_equal(dap_read(b, 0, 0x0C, SIM_STLINK_OK), 0x00330000u);
	/* A bus error sets STICKYERR until ABORT.STKERRCLR. */
	dap_write(b, 0, 0x00, 0x23000012u, SIM_STLINK_OK);
	dap_write(b, 0, 0x04, 0x60000000u, SIM_STLINK_OK);
	(void)dap_read(b, 0, 0x0C, SIM_STLINK_AP_STICKY_ERROR);
	assert_true(dap_read(b, 0xFFFF, 0x4, SIM_STLINK_OK) & (1u << 5));
	dap_write(b, 0xFFFF, 0x0, 1u << 2, SIM_STLINK_OK);
	assert_false(dap_read(b, 0xFFFF, 0x4, SIM_STLINK_OK) & (1u << 5));
	(void)dap_read(b, 1, 0xFC, SIM_STLINK_BAD_AP);
	bench_free(b);
	b = bench_new("stm32g071rb", SIM_STLINK_V2); /* Cortex-M0+ */
	assert_int_equal(dap_read(b, 0, 0xFC, SIM_STLINK_OK), 0x04770031u);
	bench_free(b);
}

/* RW_MISC_OUT then RW_MISC_IN (openocd's queued word accesses): values,
 * then a status per item. */
static void test_rw_misc(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f103x8", SIM_STLINK_V2);
	/* APNUM 0, ADDRESS + WRITE 0x12345678 at 0x20000200, READ it back. */
	CMD(b, 0xF2, 0x51, 4, 0, 0, 0);
	assert_int_equal(b->reply_length, -1);
	uint8_t data[4 + 16] = {5, 1, 2, 3};
	const uint32_t values[4] = {0, 0x20000200u, 0x12345678u, 0x20000200u};
	for (unsigned k = 0; k < 4; k++)
		for (unsigned i = 0; i < 4; i++)
			data[4 + 4 * k + i] = (uint8_t)(values[k] >> (8 * i));
	sim_stlink_out(&b->stlink, data, sizeof data);
	CMD(b, 0xF2, 0x52);
	assert_int_equal(b->reply_length, 32);
	assert_int_equal(le32(b->reply + 12), 0x12345678u);
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(le32(b->reply + 16 + 4 * k), SIM_STLINK_OK);
	bench_free(b);
}

/* RDP level 2: once a reset has loaded it, the debug port answers nothing
 * (as with no target), though the board is powered (3.3 V). */
static void test_rdp_level_2_disables_the_debug_port(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f407xg", SIM_STLINK_V2);
	sim_chip_set_rdp_level(&b->chip, 2);
	CMD(b, 0xF2, 0x31);
	assert_int_equal(b->reply[0], SIM_STLINK_OK); /* not yet loaded */
	CMD(b, 0xF2, 0x32); /* RESETSYS loads it */
	CMD(b, 0xF2, 0x31);
	assert_int_equal(b->reply[0], SIM_STLINK_DP_ERROR);
	assert_int_equal(le32(b->reply + 4), 0);
	(void)dap_read(b, 0xFFFF, 0x0, SIM_STLINK_DP_ERROR);
	CMD(b, 0xF7);
	assert_int_equal(le32(b->reply + 4), 1650);
	bench_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_version_v2),
		cmocka_unit_test(test_get_version_v3),
		cmocka_unit_test(test_modes_and_voltage),
		cmocka_unit_test(test_identification),
		cmocka_unit_test(test_halt_and_sticky_reset),
		cmocka_unit_test(test_program_in_sram_halts_on_bkpt),
		cmocka_unit_test(test_memory_widths_and_faults),
		cmocka_unit_test(test_rdp_level_1_refuses_flash_reads),
		cmocka_unit_test(test_unknown_and_unread),
		cmocka_unit_test(test_nack_fault_makes_reads_wait),
		cmocka_unit_test(test_no_target),
		cmocka_unit_test(test_dap_registers),
		cmocka_unit_test(test_rw_misc),
		cmocka_unit_test(test_rdp_level_2_disables_the_debug_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
