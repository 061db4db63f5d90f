/* The emulator's DfuSe state machine (src/sim/usb/dfuse.c) driven request
 * by request, without USB: blocks after one address pointer, the option
 * bytes memory and what it changes (readout and write protection), and the
 * reset that follows an option-byte write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "usb/dfuse.h"

#define OUT 0x21
#define IN 0xA1
#define FLASH 0x08000000u

struct bench {
	struct sim_chip chip;
	struct sim_stats stats;
	struct sim_dfuse dfu;
	uint8_t data[SIM_DFU_TRANSFER_SIZE];
};

static struct bench *bench_new(const char *device)
{
	struct bench *b = calloc(1, sizeof *b);
	assert_non_null(b);
	assert_true(sim_chip_init(&b->chip, stm32_device_find(device)));
	assert_true(sim_stats_init(&b->stats, b->chip.sector_count));
	sim_dfuse_init(&b->dfu, &b->chip, &b->stats, NULL, false);
	return b;
}

static void bench_free(struct bench *b)
{
	sim_stats_free(&b->stats);
	sim_chip_free(&b->chip);
	free(b);
}

static struct sim_dfu_reply request(struct bench *b, uint8_t type, uint8_t req, uint16_t value,
				    uint16_t length)
{
	struct sim_dfu_setup s = {type, req, value, 0, length};
	return sim_dfuse_request(&b->dfu, &s, b->data, 0);
}

/* DNLOAD of length bytes from b->data, then the two GETSTATUS; the status. */
static uint8_t download(struct bench *b, uint16_t block, uint16_t length, bool *reset)
{
	assert_false(request(b, OUT, SIM_DFU_DNLOAD, block, length).stall);
	struct sim_dfu_reply r = request(b, IN, SIM_DFU_GETSTATUS, 0, 6);
	if (reset)
		*reset = r.reset;
	if (r.reset)
		return b->data[0];
	request(b, IN, SIM_DFU_GETSTATUS, 0, 6);
	return b->data[0];
}

static uint8_t command(struct bench *b, uint8_t op, uint32_t address)
{
	uint8_t c[5] = {op, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16),
			(uint8_t)(address >> 24)};
	memcpy(b->data, c, sizeof c);
	return download(b, 0, 5, NULL);
}

static void blocks_follow_one_address_pointer(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f407xg");
	assert_int_equal(command(b, 0x41, FLASH), SIM_DFU_OK); /* sector 0 */
	assert_int_equal(command(b, 0x21, FLASH + 0x100), SIM_DFU_OK);
	memset(b->data, 0x5A, SIM_DFU_TRANSFER_SIZE);
	assert_int_equal(download(b, 3, 16, NULL), SIM_DFU_OK);
	/* Block 3: pointer + 1 x wTransferSize. */
	assert_int_equal(b->chip.flash[0x100 + SIM_DFU_TRANSFER_SIZE], 0x5A);
	assert_int_equal(b->chip.flash[0x100], 0xFF);
	assert_false(request(b, OUT, SIM_DFU_ABORT, 0, 0).stall);
	/* UPLOAD follows the same rule, and stays in dfuUPLOAD-IDLE. */
	memset(b->data, 0, sizeof b->data);
	struct sim_dfu_reply r = request(b, IN, SIM_DFU_UPLOAD, 3, 4);
	assert_int_equal(r.length, 4);
	assert_int_equal(b->data[0], 0x5A);
	assert_int_equal(b->dfu.state, SIM_DFU_UPLOAD_IDLE);
	assert_int_equal(request(b, IN, SIM_DFU_UPLOAD, 2, 4).length, 4);
	assert_int_equal(b->data[0], 0xFF);
	bench_free(b);
}

static void option_write_resets_and_protects(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f407xg");
	const struct stm32_device *dev = b->chip.dev;
	assert_true(sim_dfuse_set_alt(&b->dfu, 1));
	assert_int_equal(command(b, 0x21, dev->opt_start), SIM_DFU_OK);
	uint8_t options[16];
	memcpy(options, dev->opt_factory, sizeof options);
	options[8] = 0xFE; /* nWRP bit 0 cleared: sector 0 protected */
	options[10] = 0x01;
	memcpy(b->data, options, sizeof options);
	bool reset = false;
	assert_int_equal(download(b, 2, sizeof options, &reset), SIM_DFU_OK);
	assert_true(reset);
	assert_true(sim_chip_sector_protected(&b->chip, 0));
	assert_false(sim_chip_sector_protected(&b->chip, 1));
	sim_dfuse_reset(&b->dfu);
	/* Sector 0 refuses erase (errERASE) and blocks (errWRITE); sector 1 does not. */
	assert_int_equal(command(b, 0x41, FLASH), SIM_DFU_ERR_ERASE);
	assert_false(request(b, OUT, SIM_DFU_CLRSTATUS, 0, 0).stall);
	assert_int_equal(command(b, 0x21, FLASH), SIM_DFU_OK);
	memset(b->data, 0x00, 64);
	assert_int_equal(download(b, 2, 64, NULL), SIM_DFU_ERR_WRITE);
	assert_int_equal(b->chip.flash[0], 0xFF);
	assert_false(request(b, OUT, SIM_DFU_CLRSTATUS, 0, 0).stall);
	assert_int_equal(command(b, 0x21, FLASH + 0x4000), SIM_DFU_OK);
	assert_int_equal(download(b, 2, 64, NULL), SIM_DFU_OK);
	assert_int_equal(b->chip.flash[0x4000], 0x00);
	bench_free(b);
}

static void read_protection_refuses_flash_not_option_bytes(void **state)
{
	(void)state;
	struct bench *b = bench_new("stm32f407xg");
	const struct stm32_device *dev = b->chip.dev;
	sim_chip_set_rdp_level(&b->chip, 1);
	assert_true(request(b, IN, SIM_DFU_UPLOAD, 2, 4).stall);
	assert_int_equal(b->dfu.status, SIM_DFU_ERR_VENDOR);
	assert_false(request(b, OUT, SIM_DFU_CLRSTATUS, 0, 0).stall);
	assert_true(sim_dfuse_set_alt(&b->dfu, 1));
	assert_int_equal(command(b, 0x21, dev->opt_start), SIM_DFU_OK);
	assert_false(request(b, OUT, SIM_DFU_ABORT, 0, 0).stall);
	struct sim_dfu_reply r = request(b, IN, SIM_DFU_UPLOAD, 2, 16);
	assert_false(r.stall);
	assert_int_equal(r.length, 16);
	assert_int_equal(b->data[dev->rdp_offset], 0xBB);
	bench_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_follow_one_address_pointer),
		cmocka_unit_test(option_write_resets_and_protects),
		cmocka_unit_test(read_protection_refuses_flash_not_option_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
