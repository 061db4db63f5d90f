/* The host uses the device facts corrected in issue 11 (docs/devices.md,
 * "Corrections"): it reads the flash-size register at the corrected
 * address, and plans RAM and system-memory accesses with the corrected
 * bounds. Each address is written out here, not taken from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mock_transport.h"
#include "stm32boot/image.h"
#include "stm32boot/plan.h"
#include "plan_test_util.h"
#include "rom/rom_session.h"

#define ACK 0x79

static void script_sync(struct mock *m)
{
	mock_expect(m, MOCK_BYTES(0x7F));
	mock_reply(m, MOCK_BYTES(ACK));
}

static void script_identity(struct mock *m, uint16_t pid)
{
	mock_expect(m, MOCK_BYTES(0x00, 0xFF));
	mock_reply(m, MOCK_BYTES(ACK, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63,
				 0x73, 0x82, 0x92, ACK));
	mock_expect(m, MOCK_BYTES(0x01, 0xFE));
	mock_reply(m, MOCK_BYTES(ACK, 0x31, 0x00, 0x00, ACK));
	mock_expect(m, MOCK_BYTES(0x02, 0xFD));
	uint8_t id[] = {ACK, 0x01, (uint8_t)(pid >> 8), (uint8_t)pid, ACK};
	mock_reply(m, id, sizeof(id));
}

/* A Read Memory at exactly this address, answered with data. */
static void script_read(struct mock *m, uint32_t address, const uint8_t *data, size_t length)
{
	mock_expect(m, MOCK_BYTES(0x11, 0xEE));
	mock_reply(m, MOCK_BYTES(ACK));
	uint8_t addr[5] = {(uint8_t)(address >> 24), (uint8_t)(address >> 16),
			   (uint8_t)(address >> 8), (uint8_t)address, 0};
	addr[4] = addr[0] ^ addr[1] ^ addr[2] ^ addr[3];
	mock_expect(m, addr, 5);
	mock_reply(m, MOCK_BYTES(ACK));
	uint8_t count[2] = {(uint8_t)(length - 1), (uint8_t)~(length - 1)};
	mock_expect(m, count, 2);
	mock_reply(m, MOCK_BYTES(ACK));
	mock_add(m, MOCK_REPLY, data, length);
}

/* Connect to a chip with this PID whose flash-size register answers only
 * at `address`: the session must read it there first. */
static void check_host_reads_flash_size_at(const char *device, uint16_t pid, uint32_t address)
{
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	struct mock *m = mock_new();
	struct stm32_session s;
	struct stm32_session_options opts;
	struct stm32_error err;
	stm32_session_options_default(&opts);
	stm32_error_clear(&err);
	script_sync(m);
	script_identity(m, pid);
	uint16_t kib = (uint16_t)(dev->flash_size / 1024);
	uint8_t size[2] = {(uint8_t)kib, (uint8_t)(kib >> 8)};
	script_read(m, address, size, 2);
	uint8_t uid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	script_read(m, dev->uid_reg, uid, 12);
	if (dev->opt_size)
		script_read(m, dev->opt_start, dev->opt_factory, dev->opt_size);
	assert_int_equal(stm32_session_connect(&s, &m->transport, &opts, &err), STM32_OK);
	assert_ptr_equal(s.device, dev);
	assert_true(s.facts.flash_size_known);
	assert_int_equal(s.facts.flash_kib, kib);
	mock_assert_done(m);
	free(m);
}

static void test_l1_cat3_4_5_flash_size_register(void **state)
{
	(void)state;
	check_host_reads_flash_size_at("stm32l1-cat3", 0x427, 0x1FF800CC);
	check_host_reads_flash_size_at("stm32l1-cat4", 0x436, 0x1FF800CC);
	check_host_reads_flash_size_at("stm32l1-cat5", 0x437, 0x1FF800CC);
}

static void test_f72x_flash_size_register(void **state)
{
	(void)state;
	check_host_reads_flash_size_at("stm32f72x", 0x452, 0x1FF07A22);
}

static void test_h7a3_flash_size_register(void **state)
{
	(void)state;
	check_host_reads_flash_size_at("stm32h7a3", 0x480, 0x08FFF80C);
}

static bool plan_read_ok(const char *device, uint32_t address, uint32_t length)
{
	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	po.has_range = true;
	po.range_address = address;
	po.range_length = length;
	struct stm32_plan plan;
	struct stm32_error err;
	stm32_error_clear(&err);
	bool ok = stm32_plan_read(rom_target(stm32_device_find(device)), &po, &plan, &err) == STM32_OK;
	if (ok)
		stm32_plan_free(&plan);
	return ok;
}

static bool plan_write_ok(const char *device, uint32_t address, uint32_t length)
{
	uint8_t data[64];
	memset(data, 0x5A, sizeof data);
	struct stm32_image image;
	stm32_image_init(&image);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_image_add(&image, address, data, length, &err), STM32_OK);
	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	struct stm32_plan plan;
	bool ok = stm32_plan_write(rom_target(stm32_device_find(device)), &image, &po, &plan, &err) == STM32_OK;
	if (ok)
		stm32_plan_free(&plan);
	stm32_image_free(&image);
	return ok;
}

static void test_h563_system_memory(void **state)
{
	(void)state;
	assert_true(plan_read_ok("stm32h563zi", 0x0BF97000, 0x9000));
	assert_false(plan_read_ok("stm32h563zi", 0x0BF80000, 16));
}

static void test_h7a3_program_unit(void **state)
{
	(void)state;
	assert_int_equal(stm32_device_find("stm32h7a3")->program_unit, 16);
	assert_int_equal(stm32_device_find("stm32h7b3")->program_unit, 16);
}

/* RAM writes below the first byte the bootloader leaves free are refused. */
static void test_ram_the_bootloader_keeps(void **state)
{
	(void)state;
	assert_false(plan_write_ok("stm32g071rb", 0x20002FC0, 64));
	assert_true(plan_write_ok("stm32g071rb", 0x20003000, 64));
	assert_false(plan_write_ok("stm32l476rg", 0x200033C0, 64));
	assert_true(plan_write_ok("stm32l476rg", 0x20003400, 64));
	assert_false(plan_write_ok("stm32wb55", 0x20004FC0, 64));
	assert_true(plan_write_ok("stm32wb55", 0x20005000, 64));
	assert_true(plan_write_ok("stm32wb15", 0x2000BFC0, 64));
	assert_false(plan_write_ok("stm32wb15", 0x2000C000, 64));
}

static void test_l031_has_no_sram_for_the_host(void **state)
{
	(void)state;
	const struct stm32_device *dev = stm32_device_find("stm32l041");
	assert_non_null(dev);
	assert_true(dev->flags & STM32_DEV_NO_RAM_ACCESS);
	assert_false(plan_write_ok("stm32l031", 0x20001000, 64));
	assert_false(plan_read_ok("stm32l031", 0x20000000, 64));
	assert_false(plan_read_ok("stm32l031", 0x20001000, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l1_cat3_4_5_flash_size_register),
		cmocka_unit_test(test_f72x_flash_size_register),
		cmocka_unit_test(test_h7a3_flash_size_register),
		cmocka_unit_test(test_h563_system_memory),
		cmocka_unit_test(test_h7a3_program_unit),
		cmocka_unit_test(test_ram_the_bootloader_keeps),
		cmocka_unit_test(test_l031_has_no_sram_for_the_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
