/* The host side of the RAM loader (src/lib/stlink/stlink_loader.c) against
 * a fake probe whose "core" plays the loader's side of the mailbox
 * (stub/loader_protocol.h) as each test scripts it: serve, fail, park, or
 * never answer. Checked: what the host does with each answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loader_protocol.h"
#include "stub_protocol.h"
#include "stlink/stlink_loader.h"
#include "stlink/stlink_proto.h"
#include "stlink/stlink_usb.h"

#define SRAM 0x20000000u
#define SRAM_BYTES (20u * 1024u)
#define DHCSR 0xE000EDF0u
#define S_HALT (1u << 17)

enum behaviour { SERVE, HANG, FAIL_FLASH, PARK_ONCE };

static struct fake {
	uint8_t sram[SRAM_BYTES];
	uint32_t registers[19];
	bool halted;
	enum behaviour behaviour;
	uint32_t fail_sr, fail_address, fail_result;
	unsigned served, runs, halts;
	uint32_t length_or; /* every program slot's length, or'ed: its alignment shows */
	bool parked_once;
	uint32_t control; /* r0 at the last run */
} fake;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *at(uint32_t address)
{
	assert_true(address >= SRAM && address < SRAM + SRAM_BYTES);
	return fake.sram + (address - SRAM);
}

/* The loader's side: every slot with a command is served at once (or not). */
static void loader_step(void)
{
	if (fake.halted || !fake.control)
		return;
	put32(at(fake.control + LOADER_ALIVE), LOADER_MAGIC);
	for (unsigned k = 0; k < 2; k++) {
		uint8_t *slot = at(fake.control + LOADER_SLOTS + k * LOADER_SLOT_BYTES);
		if (!le32(slot + LOADER_SLOT_COMMAND) || fake.behaviour == HANG)
			continue;
		if (fake.behaviour == PARK_ONCE && !fake.parked_once) {
			fake.parked_once = true;
			put32(at(fake.control + LOADER_ALIVE), LOADER_PARKED);
			fake.halted = true;
			return;
		}
		uint32_t status = LOADER_OK;
		if (le32(slot + LOADER_SLOT_COMMAND) == LOADER_CMD_PROGRAM)
			fake.length_or |= le32(slot + LOADER_SLOT_LENGTH);
		if (fake.behaviour == FAIL_FLASH) {
			status = LOADER_E_FLASH;
			put32(slot + LOADER_SLOT_ERROR_SR, fake.fail_sr);
			put32(slot + LOADER_SLOT_ERROR_ADDRESS, fake.fail_address);
			put32(slot + LOADER_SLOT_RESULT, fake.fail_result);
		}
		put32(slot + LOADER_SLOT_COMMAND, 0);
		put32(slot + LOADER_SLOT_STATUS, status);
		fake.served++;
	}
}

static void debug_write(uint32_t address, uint32_t value)
{
	if (address == DHCSR) {
		bool run = (value & 0xFFFF0003u) == 0xA05F0001u;
		if (run) {
			fake.halted = false;
			fake.runs++;
			fake.control = fake.registers[0];
		} else if (value & 2u) {
			fake.halts += !fake.halted;
			fake.halted = true;
		}
		return;
	}
	if (address >= SRAM && address < SRAM + SRAM_BYTES)
		put32(at(address), value);
}

static uint32_t debug_read(uint32_t address)
{
	if (address == DHCSR)
		return fake.halted ? S_HALT : 0;
	if (address >= SRAM && address < SRAM + SRAM_BYTES)
		return le32(at(address));
	return 0; /* RCC and the rest */
}

enum stm32_status stlink_usb_command(struct stlink_usb *usb, const uint8_t *cmd,
				     const uint8_t *out, size_t out_length, uint8_t *in,
				     size_t in_length, size_t *got, unsigned timeout_ms,
				     struct stm32_error *err)
{
	(void)usb, (void)timeout_ms, (void)err;
	if (in)
		memset(in, 0, in_length);
	*got = in_length;
	uint32_t address = le32(cmd + 2);
	unsigned length = (unsigned)(cmd[6] | cmd[7] << 8);
	assert_int_equal(cmd[0], 0xF2);
	loader_step();
	switch (cmd[1]) {
	case 0x35: debug_write(address, le32(cmd + 6)); in[0] = 0x80; break;
	case 0x36: in[0] = 0x80; put32(in + 4, debug_read(address)); break;
	case 0x33: in[0] = 0x80; put32(in + 4, fake.registers[cmd[2]]); break;
	case 0x34: fake.registers[cmd[2]] = le32(cmd + 3); in[0] = 0x80; break;
	case 0x08:
		assert_int_equal(out_length, length);
		memcpy(at(address), out, length);
		break;
	case 0x07: memcpy(in, at(address), length); break;
	case 0x3E: in[0] = 0x80; break;
	default: fail_msg("unexpected command F2 %02X", cmd[1]);
	}
	loader_step();
	return STM32_OK;
}

enum stm32_status stlink_usb_open(const char *serial, struct stlink_usb **out,
				  struct stlink_usb_info *info, struct stm32_error *err)
{
	(void)serial, (void)info;
	*out = NULL;
	return stm32_error_set(err, STM32_E_IO, "not in this test");
}

void stlink_usb_close(struct stlink_usb *usb)
{
	(void)usb;
}

static struct stlink_link link_v2 = {.version = 2, .jtag = 37, .swim = 7, .has_16bit = true,
				     .timeout_ms = 100};

/* An F103 with all 20 KiB of SRAM the host's (as the back end sets it). */
static struct stm32_device f103;

static void setup_device(struct stlink_loader *ld, enum behaviour b, const char *name)
{
	memset(&fake, 0, sizeof fake);
	fake.behaviour = b;
	fake.halted = true;
	f103 = *stm32_device_find(name);
	f103.ram_start = SRAM;
	f103.ram_end = SRAM + SRAM_BYTES;
	char why[128];
	assert_true(stlink_loader_init(ld, &f103, 20, why, sizeof why));
	ld->crc_ahead_allowed = true; /* as for a chip that gave its flash size */
}

static void setup_loader(struct stlink_loader *ld, enum behaviour b)
{
	setup_device(ld, b, "stm32f103x8");
}

static void test_program_goes_through_both_slots(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_loader(&ld, SERVE);
	uint8_t data[3000];
	memset(data, 0x5A, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_loader_program(&link_v2, &ld, 0x08000000u, data, sizeof data, &err),
			 STM32_OK);
	assert_true(fake.served >= 2);
	/* The last piece's data sits in one of the two buffers. */
	assert_int_equal(memcmp(at(ld.buffers[0]), data, 16), 0);
	assert_true(ld.clobbered);
}

static void test_a_loader_that_never_answers_times_out_naming_the_address(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_loader(&ld, HANG);
	uint8_t data[512];
	memset(data, 0xA5, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_loader_program(&link_v2, &ld, 0x08000400u, data, sizeof data, &err),
			 STM32_E_TIMEOUT);
	assert_non_null(strstr(err.message, "did not finish programming 0x08000400+"));
	assert_non_null(strstr(err.message, "the core was halted"));
	assert_true(err.has_address);
	assert_int_equal(err.address, 0x08000400u);
	assert_true(fake.halted);
	assert_false(ld.running); /* loaded afresh next time */
}

static void test_write_protection_error_names_sr_and_address(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_loader(&ld, FAIL_FLASH);
	fake.fail_sr = 1u << 4; /* WRPRTERR */
	fake.fail_address = 0x08000402u;
	uint8_t data[256];
	memset(data, 0, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_loader_program(&link_v2, &ld, 0x08000400u, data, sizeof data, &err),
			 STM32_E_VERIFY);
	assert_non_null(strstr(err.message, "refused programming 0x08000402 (SR 0x00000010: write "
					    "protected)"));
	assert_int_equal(err.address, 0x08000402u);
}

static void test_failed_unit_erase_names_that_unit(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_loader(&ld, FAIL_FLASH);
	fake.fail_sr = 1u << 4;
	fake.fail_result = 2; /* the third unit of the list */
	const uint32_t units[] = {4, 5, 6, 7};
	struct stm32_erase_request r = {.kind = STM32_ERASE_REQUEST_UNITS, .units = units,
					.count = 4};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_loader_erase(&link_v2, &ld, &r, &err), STM32_E_VERIFY);
	assert_non_null(strstr(err.message, "erasing 1 unit from 0x08001800"));
	assert_int_equal(err.address, 0x08001800u);
	/* The unit list went into the slot's buffer. */
	assert_int_equal(le32(at(ld.buffers[0]) + 8), 6);
}

static void test_a_parked_loader_is_started_again(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_loader(&ld, PARK_ONCE);
	uint8_t data[1024];
	memset(data, 0x11, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_loader_program(&link_v2, &ld, 0x08000000u, data, sizeof data, &err),
			 STM32_OK);
	assert_int_equal(ld.restarts, 1);
	assert_int_equal(fake.runs, 2);
}

/* A CRC alone (a read's check) puts back what the loader overwrote. */
static void test_crc_only_use_restores_sram_and_registers(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_loader(&ld, SERVE);
	for (size_t i = 0; i < SRAM_BYTES; i++)
		fake.sram[i] = (uint8_t)(i * 7u);
	for (unsigned i = 0; i < 19; i++)
		fake.registers[i] = 0x1000u + i;
	uint8_t before[SRAM_BYTES];
	memcpy(before, fake.sram, sizeof before);
	struct stm32_error err;
	stm32_error_clear(&err);
	uint32_t crc;
	assert_int_equal(stlink_loader_crc(&link_v2, &ld, 0x08000000u, 1024, &crc, &err), STM32_OK);
	assert_true(ld.clobbered);
	assert_int_equal(stlink_loader_stop(&link_v2, &ld, &err), STM32_OK);
	assert_false(ld.clobbered);
	assert_int_equal(memcmp(before, fake.sram, ld.stack_top - ld.code), 0);
	for (unsigned i = 0; i < 19; i++)
		assert_int_equal(fake.registers[i], 0x1000u + i);
}


/* Each controller flags a protected unit with its own SR bit. */
static void expect_write_protected(const char *device, uint32_t sr, const char *text)
{
	struct stlink_loader ld;
	setup_device(&ld, FAIL_FLASH, device);
	fake.fail_sr = sr;
	fake.fail_address = 0x08000400u;
	uint8_t data[256];
	memset(data, 0x33, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stlink_loader_program(&link_v2, &ld, 0x08000400u, data, sizeof data, &err),
			 STM32_E_VERIFY);
	assert_non_null(strstr(err.message, text));
	assert_int_equal(err.address, 0x08000400u);
}

static void test_l0_l1_and_h7_name_their_write_protection_bit(void **state)
{
	(void)state;
	/* L0/L1 FLASH_SR.WRPERR is bit 8; H7's FLASH_SR1/2.WRPERR bit 17. */
	expect_write_protected("stm32l07x", 1u << 8, "(SR 0x00000100: write protected)");
	expect_write_protected("stm32l1-cat3", 1u << 8, "(SR 0x00000100: write protected)");
	expect_write_protected("stm32h743zi", 1u << 17, "(SR 0x00020000: write protected)");
	/* Bit 4 is PGAERR on L0/L1, not a protection. */
	expect_write_protected("stm32l07x", 1u << 4, "(SR 0x00000010), through");
}

static struct stlink_loader init_for(const char *name, struct stm32_device *dev, bool whole_sram)
{
	*dev = *stm32_device_find(name);
	if (whole_sram && dev->ram_start - SRAM <= 0x4000u)
		dev->ram_start = SRAM; /* as the back end sets it */
	struct stlink_loader ld;
	char why[128];
	assert_true(stlink_loader_init(&ld, dev, 20, why, sizeof why));
	return ld;
}

/* F7's SRAM starts with the DTCM: the loader goes to SRAM1 after it. */
static void test_f7_loader_runs_from_sram1(void **state)
{
	(void)state;
	struct stm32_device dev;
	struct stlink_loader ld = init_for("stm32f72x", &dev, true);
	assert_int_equal(ld.code, 0x20010000u);
	ld = init_for("stm32f74x", &dev, true);
	assert_int_equal(ld.code, 0x20010000u);
	ld = init_for("stm32f76x", &dev, true);
	assert_int_equal(ld.code, 0x20020000u);
	assert_true(ld.buffers[1] + ld.buffer_size <= dev.ram_end);
	assert_string_equal(ld.image->name, "f4");
	/* Elsewhere it starts where SRAM does. */
	ld = init_for("stm32f407xg", &dev, true);
	assert_int_equal(ld.code, SRAM);
}

static void test_each_family_gets_its_driver_and_crc_unit(void **state)
{
	(void)state;
	struct stm32_device dev;
	struct stlink_loader ld = init_for("stm32l07x", &dev, true);
	assert_string_equal(ld.image->name, "pecr");
	assert_int_equal(ld.driver_flags, 0);
	assert_int_equal(stlink_loader_unit(&ld), 4);
	assert_int_equal(ld.crc_enable_register, 0x40021030u);
	ld = init_for("stm32l1-cat2", &dev, true);
	assert_int_equal(ld.driver_flags, STUB_PARAM_PECR_L1);
	assert_int_equal(ld.options & LOADER_OPT_CRC_INIT, 0); /* L1's basic CRC unit */
	ld = init_for("stm32wb55", &dev, true);
	assert_string_equal(ld.image->name, "dword");
	assert_int_equal(ld.driver_flags, STUB_PARAM_DWORD_WB);
	assert_int_equal(ld.crc_enable_register, 0x58000048u);
	ld = init_for("stm32wl55", &dev, true);
	assert_int_equal(ld.driver_flags, STUB_PARAM_DWORD_WB);
	ld = init_for("stm32h743zi", &dev, true);
	assert_string_equal(ld.image->name, "h7");
	assert_int_equal(ld.crc_base, 0x58024C00u);
	assert_int_equal(stlink_loader_unit(&ld), 32);
	ld = init_for("stm32h7a3", &dev, true);
	assert_int_equal(ld.driver_flags, STUB_PARAM_H7_RM0455);
	assert_int_equal(ld.crc_base, 0x40023000u);
	assert_int_equal(stlink_loader_unit(&ld), 16);
	/* A family with no driver, and a part whose SRAM is too small. */
	char why[128];
	dev = *stm32_device_find("stm32l01x");
	dev.ram_start = SRAM;
	assert_false(stlink_loader_init(&ld, &dev, 20, why, sizeof why));
	assert_non_null(strstr(why, "does not fit"));
}

/* H7 programs whole flash words: every piece a multiple of 32 bytes. */
static void test_h7_pieces_are_whole_flash_words(void **state)
{
	(void)state;
	struct stlink_loader ld;
	setup_device(&ld, SERVE, "stm32h743zi");
	uint8_t data[4000 * 8];
	memset(data, 0x5A, sizeof data);
	struct stm32_error err;
	stm32_error_clear(&err);
	/* 95 flash words: half of it is not a multiple of 32. */
	assert_int_equal(stlink_loader_program(&link_v2, &ld, 0x08000000u, data, 3040, &err),
			 STM32_OK);
	assert_true(fake.served >= 2);
	assert_int_equal(fake.length_or % 32u, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_goes_through_both_slots),
		cmocka_unit_test(test_a_loader_that_never_answers_times_out_naming_the_address),
		cmocka_unit_test(test_write_protection_error_names_sr_and_address),
		cmocka_unit_test(test_failed_unit_erase_names_that_unit),
		cmocka_unit_test(test_a_parked_loader_is_started_again),
		cmocka_unit_test(test_crc_only_use_restores_sram_and_registers),
		cmocka_unit_test(test_l0_l1_and_h7_name_their_write_protection_bit),
		cmocka_unit_test(test_f7_loader_runs_from_sram1),
		cmocka_unit_test(test_each_family_gets_its_driver_and_crc_unit),
		cmocka_unit_test(test_h7_pieces_are_whole_flash_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
