/* The emulator's protocol engine, driven in-process: every command's accept
 * and refuse paths, on several device families. */
#include <stdlib.h>

#include "test_sim_harness.h"

static void test_autobaud_then_plain_7f(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	SEND(h, 0x00, 0x55, 0xFF);
	assert_int_equal(h->reply_length, 0); /* noise before auto-baud */
	harness_sync(h);
	SEND(h, 0x7F);
	assert_int_equal(h->reply_length, 0); /* now a command byte */
	SEND(h, 0x7F);
	EXPECT_REPLY(h, 0x1F);                /* 7F 7F: bad complement */
	assert_int_equal(h->stats.nacks, 1);
	harness_free(h);
}

static void test_get_version_id_f1(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	SEND(h, 0x00, 0xFF);
	EXPECT_REPLY(h, 0x79, 0x0B, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73,
		     0x82, 0x92, 0x79);
	SEND(h, 0x01, 0xFE);
	EXPECT_REPLY(h, 0x79, 0x22, 0x00, 0x00, 0x79);
	SEND(h, 0x02, 0xFD);
	EXPECT_REPLY(h, 0x79, 0x01, 0x04, 0x10, 0x79);
	assert_int_equal(h->stats.commands[0x00], 1);
	assert_int_equal(h->stats.commands[0x02], 1);
	harness_free(h);
}

static void test_bad_complement_and_unlisted(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	SEND(h, 0x00, 0xFE);
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x44, 0xBB); /* Extended Erase: not in an F1's list */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0xA1, 0x5E);
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x50, 0xAF);
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x02, 0xFD); /* back to waiting for a command after each NACK */
	EXPECT_REPLY(h, 0x79, 0x01, 0x04, 0x10, 0x79);
	assert_int_equal(h->stats.nacks, 4);
	harness_free(h);
}

static void test_read_memory_checks(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	uint8_t out[16];
	harness_sync(h);
	SEND(h, 0x11, 0xEE);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x08, 0x00, 0x00, 0x00, 0x09); /* bad XOR */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x11, 0xEE);
	harness_address(h, 0x30000000); /* unmapped */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x11, 0xEE);
	harness_address(h, 0x08000000);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x03, 0xFB); /* bad complement */
	EXPECT_REPLY(h, 0x1F);
	/* flash-size register: 128 KiB, little-endian */
	assert_true(harness_read(h, 0x1FFFF7E0, out, 2));
	assert_int_equal(out[0], 0x80);
	assert_int_equal(out[1], 0x00);
	assert_true(harness_read(h, 0x08000000, out, 16));
	for (int i = 0; i < 16; i++)
		assert_int_equal(out[i], 0xFF);
	harness_free(h);
}

static void test_write_memory_checks(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
	harness_sync(h);
	SEND(h, 0x31, 0xCE);
	harness_address(h, 0x08000002); /* not 4-aligned */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x31, 0xCE);
	harness_address(h, 0x20000000); /* bootloader's RAM */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x31, 0xCE);
	harness_address(h, 0x1FFFF000); /* system memory */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x31, 0xCE);
	harness_address(h, 0x08000000);
	SEND(h, 0x02, 0xAA, 0xBB, 0xCC, 0x02 ^ 0xAA ^ 0xBB ^ 0xCC); /* 3 bytes */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x31, 0xCE);
	harness_address(h, 0x08000000);
	SEND(h, 0x03, 0xAA, 0xBB, 0xCC, 0xDD, 0x00); /* bad checksum */
	EXPECT_REPLY(h, 0x1F);
	assert_int_equal(harness_write(h, 0x0801FFFC, data, 8), 0x1F); /* crosses the end */
	assert_int_equal(harness_write(h, 0x08000000, data, 8), 0x79);
	assert_true(harness_read(h, 0x08000000, out, 8));
	assert_memory_equal(out, data, 8);
	assert_int_equal(harness_write(h, 0x20000200, data, 8), 0x79);
	assert_true(harness_read(h, 0x20000200, out, 8));
	assert_memory_equal(out, data, 8);
	assert_int_equal(h->stats.program_operations, 1);
	assert_int_equal(h->stats.bytes_programmed, 8);
	harness_free(h);
}

static void test_worked_example_write(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	SEND(h, 0x31, 0xCE);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x08, 0x00, 0x00, 0x00, 0x08);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x21);
	EXPECT_REPLY(h, 0x79);
	assert_memory_equal(h->chip.flash, ((uint8_t[]){0xDE, 0xAD, 0xBE, 0xEF}), 4);
	harness_free(h);
}

static void test_legacy_erase_f1(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	uint8_t data[4] = {0, 0, 0, 0};
	harness_sync(h);
	assert_int_equal(harness_write(h, 0x08000400, data, 4), 0x79);
	assert_int_equal(harness_write(h, 0x08000800, data, 4), 0x79);
	SEND(h, 0x43, 0xBC);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x00, 0x01, 0x00); /* one page, page 1, bad checksum */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x43, 0xBC);
	SEND(h, 0x00, 0x80, 0x80); /* page 128 does not exist */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x43, 0xBC);
	SEND(h, 0x00, 0x01, 0x01);
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.flash[0x400], 0xFF);
	assert_int_equal(h->chip.flash[0x800], 0x00);
	assert_int_equal(h->stats.page_erases, 1);
	assert_int_equal(h->stats.erased_pages[1], 1);
	SEND(h, 0x43, 0xBC);
	SEND(h, 0xFF, 0x01); /* global erase needs FF 00 */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x43, 0xBC);
	SEND(h, 0xFF, 0x00);
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.flash[0x800], 0xFF);
	assert_int_equal(h->stats.mass_erases, 1);
	harness_free(h);
}

static void test_extended_erase_variants(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f407xg", false);
	harness_sync(h);
	SEND(h, 0x43, 0xBC); /* legacy erase not listed on a v3.1 ROM */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x44, 0xBB);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0xFF, 0xF0, 0x0F); /* reserved code */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0xFF, 0xFE, 0x01); /* bank erase on a single-bank part */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0xFF, 0xFF, 0x01); /* bad XOR */
	EXPECT_REPLY(h, 0x1F);
	h->chip.flash[0x4000] = 0x00; /* sector 1 */
	h->chip.flash[0x20000] = 0x00; /* sector 5 */
	SEND(h, 0x44, 0xBB);
	SEND(h, 0x00, 0x00, 0x00, 0x01, 0x01); /* sector 1 */
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.flash[0x4000], 0xFF);
	assert_int_equal(h->chip.flash[0x20000], 0x00);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0x00, 0x00, 0x00, 0x0C, 0x0C); /* sector 12 does not exist */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0xFF, 0xFF, 0x00);
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.flash[0x20000], 0xFF);
	harness_free(h);
}

static void test_mass_erase_refused_without_support(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32l05x", false);
	harness_sync(h);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0xFF, 0xFF, 0x00);
	EXPECT_REPLY(h, 0x1F);
	assert_int_equal(h->stats.mass_erases, 0);
	harness_free(h);
}

static void test_bank_erase_h7(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32h743zi", false);
	uint32_t bank2 = h->chip.dev->bank2_start - h->chip.dev->flash_start;
	h->chip.flash[0] = 0x00;
	h->chip.flash[bank2] = 0x00;
	harness_sync(h);
	SEND(h, 0x44, 0xBB);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0xFF, 0xFD, 0x02); /* bank 2 */
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.flash[0], 0x00);
	assert_int_equal(h->chip.flash[bank2], 0xFF);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0xFF, 0xFE, 0x01); /* bank 1 */
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.flash[0], 0xFF);
	assert_int_equal(h->stats.bank_erases, 2);
	harness_free(h);

	h = harness_new("stm32h72x", false); /* one bank, no bank erase */
	harness_sync(h);
	SEND(h, 0x44, 0xBB);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0xFF, 0xFE, 0x01);
	EXPECT_REPLY(h, 0x1F);
	harness_free(h);
}

static void test_readout_protection_f1(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	uint8_t data[4] = {0x12, 0x34, 0x56, 0x78}, out[4];
	harness_sync(h);
	assert_int_equal(harness_write(h, 0x08000000, data, 4), 0x79);
	SEND(h, 0x82, 0x7D);
	EXPECT_REPLY(h, 0x79, 0x79);
	assert_int_equal(sim_chip_rdp_level(&h->chip), 1);
	assert_int_equal(h->chip.options[0], 0x00); /* F1 level 1 value */
	assert_int_equal(h->chip.options[1], 0xFF); /* and its complement */
	assert_int_equal(h->stats.resets, 1);
	SEND(h, 0x00, 0xFF);
	assert_int_equal(h->reply_length, 0); /* reset: must auto-baud again */
	SEND(h, 0xFF); /* completes nothing; still waiting for 0x7F */
	harness_sync(h);
	const uint8_t refused[] = {0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82};
	for (size_t i = 0; i < sizeof(refused); i++) {
		uint8_t frame[2] = {refused[i], (uint8_t)~refused[i]};
		harness_send(h, frame, 2);
		EXPECT_REPLY(h, 0x1F);
	}
	SEND(h, 0x01, 0xFE);
	EXPECT_REPLY(h, 0x79, 0x22, 0x00, 0x00, 0x79);
	SEND(h, 0x02, 0xFD);
	EXPECT_REPLY(h, 0x79, 0x01, 0x04, 0x10, 0x79);
	assert_int_equal(h->chip.flash[0], 0x12); /* untouched while protected */
	SEND(h, 0x92, 0x6D);
	EXPECT_REPLY(h, 0x79, 0x79);
	assert_int_equal(sim_chip_rdp_level(&h->chip), 0);
	assert_int_equal(h->chip.flash[0], 0xFF); /* mass erased */
	assert_int_equal(h->stats.resets, 2);
	harness_sync(h);
	assert_true(harness_read(h, 0x08000000, out, 4));
	assert_int_equal(out[0], 0xFF);
	harness_free(h);
}

static void test_readout_protect_value_and_level2(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f407xg", false);
	harness_sync(h);
	SEND(h, 0x82, 0x7D);
	EXPECT_REPLY(h, 0x79, 0x79);
	assert_int_equal(h->chip.options[1], 0xBB);
	harness_sync(h);
	SEND(h, 0x82, 0x7D); /* already protected */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x92, 0x6D);
	EXPECT_REPLY(h, 0x79, 0x79);
	assert_int_equal(h->chip.options[1], 0xAA);
	harness_sync(h);
	/* Level 2 through a Write Memory to the option bytes: the reload resets
	 * the chip, and from then on the bootloader never answers. */
	uint8_t options[16];
	memcpy(options, h->chip.options, 16);
	options[1] = 0xCC;
	assert_int_equal(harness_write(h, 0x1FFFC000, options, 16), 0x79);
	assert_int_equal(sim_chip_rdp_level(&h->chip), 2);
	SEND(h, 0x7F, 0x00, 0xFF);
	assert_int_equal(h->reply_length, 0);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
	harness_free(h);
}

static void test_unmapped_rdp_h7(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32h743zi", false);
	harness_sync(h);
	SEND(h, 0x82, 0x7D);
	EXPECT_REPLY(h, 0x79, 0x79);
	assert_int_equal(h->chip.unmapped_rdp_level, 1);
	harness_sync(h);
	SEND(h, 0x11, 0xEE);
	EXPECT_REPLY(h, 0x1F);
	harness_free(h);
}

static void test_write_protection_f1(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	uint8_t data[4] = {0x11, 0x22, 0x33, 0x44};
	harness_sync(h);
	SEND(h, 0x63, 0x9C);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x00, 0x40, 0x40); /* code 64 does not exist (32 groups) */
	EXPECT_REPLY(h, 0x1F);
	SEND(h, 0x63, 0x9C);
	SEND(h, 0x00, 0x00, 0x00); /* group 0: pages 0..3 */
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->chip.options[8], 0xFE);
	assert_int_equal(h->stats.resets, 1);
	harness_sync(h);
	assert_int_equal(harness_write(h, 0x08000C00, data, 4), 0x79); /* page 3: ACK... */
	assert_int_equal(h->chip.flash[0xC00], 0xFF);                  /* ...but unchanged */
	assert_int_equal(harness_write(h, 0x08001000, data, 4), 0x79); /* page 4 */
	assert_int_equal(h->chip.flash[0x1000], 0x11);
	SEND(h, 0x73, 0x8C);
	EXPECT_REPLY(h, 0x79, 0x79);
	assert_int_equal(h->chip.options[8], 0xFF);
	harness_sync(h);
	assert_int_equal(harness_write(h, 0x08000C00, data, 4), 0x79);
	assert_int_equal(h->chip.flash[0xC00], 0x11);
	harness_free(h);
}

static void test_option_write_resets(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	uint8_t options[16];
	memcpy(options, h->chip.options, 16);
	options[4] = 0x12;
	options[5] = 0xED;
	harness_sync(h);
	assert_int_equal(harness_write(h, 0x1FFFF800, options, 16), 0x79);
	assert_int_equal(h->chip.options[4], 0x12);
	assert_int_equal(h->stats.resets, 1);
	SEND(h, 0x02, 0xFD);
	assert_int_equal(h->reply_length, 0);
	harness_free(h);
}

static void send_word(struct harness *h, uint32_t value)
{
	harness_address(h, value);
}

static void test_get_checksum(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32u575", false);
	uint8_t data[4] = {0xDE, 0xAD, 0xBE, 0xEF};
	harness_sync(h);
	assert_int_equal(harness_write(h, 0x08000000, data, 4), 0x79);
	SEND(h, 0xA1, 0x5E);
	EXPECT_REPLY(h, 0x79);
	send_word(h, 0x08000000);
	EXPECT_REPLY(h, 0x79);
	send_word(h, 4);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0x04, 0xC1, 0x1D, 0xB7, 0x6F);
	EXPECT_REPLY(h, 0x79);
	SEND(h, 0xFF, 0xFF, 0xFF, 0xFF, 0x00);
	EXPECT_REPLY(h, 0x79, 0x79, 0xED, 0xE0, 0x62, 0xE3, 0x8C);
	/* size not a multiple of 4 */
	SEND(h, 0xA1, 0x5E);
	send_word(h, 0x08000000);
	send_word(h, 6);
	EXPECT_REPLY(h, 0x1F);
	/* area leaves flash */
	SEND(h, 0xA1, 0x5E);
	send_word(h, 0x08000000 + h->chip.dev->flash_size - 4);
	send_word(h, 8);
	EXPECT_REPLY(h, 0x1F);
	/* address outside memory */
	SEND(h, 0xA1, 0x5E);
	send_word(h, 0x50000000);
	EXPECT_REPLY(h, 0x1F);
	harness_free(h);
}

static void test_crc_vectors(void **state)
{
	(void)state;
	const uint32_t poly = 0x04C11DB7, init = 0xFFFFFFFF;
	uint8_t zero[4] = {0}, ff[4] = {0xFF, 0xFF, 0xFF, 0xFF}, seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	uint8_t dead[4] = {0xDE, 0xAD, 0xBE, 0xEF};
	assert_int_equal(sim_crc32_words(zero, 4, poly, init), 0xC704DD7B);
	assert_int_equal(sim_crc32_words(dead, 4, poly, init), 0xEDE062E3);
	assert_int_equal(sim_crc32_words(ff, 4, poly, init), 0x00000000);
	assert_int_equal(sim_crc32_words(seq, 8, poly, init), 0x9C08808D);
}

/* stm32flash -R's stub: SP, PC, then Thumb code whose literal pool holds
 * AIRCR and VECTKEY|SYSRESETREQ. */
static const uint8_t reset_stub[24] = {
	0x00, 0x20, 0x00, 0x20, 0x09, 0x02, 0x00, 0x20, 0x01, 0x49, 0x02, 0x4A,
	0x0A, 0x60, 0xFE, 0xE7, 0x0C, 0xED, 0x00, 0xE0, 0x04, 0x00, 0xFA, 0x05,
};

static void test_go(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	harness_sync(h);
	SEND(h, 0x21, 0xDE);
	harness_address(h, 0x1FFFF000); /* system memory: not a Go target */
	EXPECT_REPLY(h, 0x1F);
	assert_int_equal(harness_write(h, 0x20000200, reset_stub, sizeof(reset_stub)), 0x79);
	SEND(h, 0x21, 0xDE);
	harness_address(h, 0x20000200);
	EXPECT_REPLY(h, 0x79);
	assert_int_equal(h->stats.resets, 1);
	assert_string_equal(sim_engine_state_name(&h->engine), "bootloader");
	harness_sync(h); /* back in the bootloader */
	SEND(h, 0x21, 0xDE);
	harness_address(h, 0x08000000);
	EXPECT_REPLY(h, 0x79);
	assert_string_equal(sim_engine_state_name(&h->engine), "application");
#ifdef STM32SIM_HAVE_CPU
	/* The reset stub ran on the core: a Go into code, so a boot as well. */
	assert_int_equal(h->stats.boots_application, 2);
#else
	assert_int_equal(h->stats.boots_application, 1);
#endif
	SEND(h, 0x7F);
	assert_int_equal(h->reply_length, 0);
	harness_free(h);
}

static void test_busy_keeps_one_byte(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", true);
	uint8_t data[256];
	memset(data, 0x5A, sizeof(data));
	h->clock_us = 1000;
	harness_sync(h);
	SEND(h, 0x31, 0xCE);
	harness_address(h, 0x08000000);
	uint8_t frame[258];
	frame[0] = 0xFF;
	uint8_t x = 0xFF;
	for (int i = 0; i < 256; i++) {
		frame[1 + i] = data[i];
		x ^= data[i];
	}
	frame[257] = x;
	h->reply_length = 0;
	for (int i = 0; i < 258; i++)
		sim_engine_receive(&h->engine, frame[i], 1000);
	/* the ACK leaves once 128 half-words are programmed */
	struct sim_output out;
	assert_true(sim_engine_peek_output(&h->engine, &out));
	assert_int_equal(out.byte, 0x79);
	assert_int_equal(out.ready_us, 1000 + 128 * h->chip.dev->t_prog_us);
	harness_collect(h);
	/* while busy: the first byte is kept, the rest lost */
	sim_engine_receive(&h->engine, 0x02, 1100);
	sim_engine_receive(&h->engine, 0x33, 1200);
	sim_engine_receive(&h->engine, 0x44, 1300);
	assert_int_equal(h->stats.bytes_lost_busy, 2);
	assert_int_equal(sim_engine_held_due(&h->engine), 1000 + 128 * h->chip.dev->t_prog_us);
	sim_engine_receive(&h->engine, 0xFD, 20000); /* complement after the write */
	h->reply_length = 0;
	harness_collect(h);
	EXPECT_REPLY(h, 0x79, 0x01, 0x04, 0x10, 0x79); /* Get ID from the kept 0x02 */
	harness_free(h);
}

static void test_fast_mode_never_busy(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f407xg", false);
	harness_sync(h);
	SEND(h, 0x44, 0xBB);
	SEND(h, 0xFF, 0xFF, 0x00);
	SEND(h, 0x02, 0xFD);
	EXPECT_REPLY(h, 0x79, 0x01, 0x04, 0x13, 0x79);
	assert_int_equal(h->stats.bytes_lost_busy, 0);
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_autobaud_then_plain_7f),
		cmocka_unit_test(test_get_version_id_f1),
		cmocka_unit_test(test_bad_complement_and_unlisted),
		cmocka_unit_test(test_read_memory_checks),
		cmocka_unit_test(test_write_memory_checks),
		cmocka_unit_test(test_worked_example_write),
		cmocka_unit_test(test_legacy_erase_f1),
		cmocka_unit_test(test_extended_erase_variants),
		cmocka_unit_test(test_mass_erase_refused_without_support),
		cmocka_unit_test(test_bank_erase_h7),
		cmocka_unit_test(test_readout_protection_f1),
		cmocka_unit_test(test_readout_protect_value_and_level2),
		cmocka_unit_test(test_unmapped_rdp_h7),
		cmocka_unit_test(test_write_protection_f1),
		cmocka_unit_test(test_option_write_resets),
		cmocka_unit_test(test_get_checksum),
		cmocka_unit_test(test_crc_vectors),
		cmocka_unit_test(test_go),
		cmocka_unit_test(test_busy_keeps_one_byte),
		cmocka_unit_test(test_fast_mode_never_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
