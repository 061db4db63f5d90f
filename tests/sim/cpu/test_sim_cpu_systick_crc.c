/* SysTick (ARMv7-M ARM B3.3) and the CRC unit (RM0008 §4 basic layout,
 * RM0444 flexible layout), driven through the bus with emulated time. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define ST_CTRL 0xE000E010u
#define ST_LOAD 0xE000E014u
#define ST_VAL  0xE000E018u
#define CTRL_ENABLE (1u << 0)
#define CTRL_CLKSOURCE (1u << 2)
#define CTRL_COUNTFLAG (1u << 16)
#define CRC_DR   0x40023000u
#define CRC_IDR  0x40023004u
#define CRC_CR   0x40023008u
#define CRC_INIT 0x40023010u
#define CRC_POL  0x40023014u

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static void wr_n(struct rig *r, uint32_t a, unsigned n, uint32_t v) { sim_mmio_write(&r->soc.bus, a, n, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }

/* F103 after reset: HSI 8 MHz, HCLK = 8 MHz, one tick 125 ns. */
static void ticks(struct rig *r, uint64_t n, unsigned divider)
{
	r->soc.env.now_ps += n * divider * 125000ull;
}

static void systick_counts_down_reloads_and_sets_countflag(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	assert_int_equal(r.soc.env.clocks.hclk, 8000000u);
	wr(&r, ST_LOAD, 0xFFFFFFFFu);
	assert_int_equal(rd(&r, ST_LOAD), 0x00FFFFFFu); /* 24-bit RELOAD */
	wr(&r, ST_LOAD, 999);
	wr(&r, ST_VAL, 1234); /* any write clears VAL */
	assert_int_equal(rd(&r, ST_VAL), 0);
	ticks(&r, 50, 1);
	assert_int_equal(rd(&r, ST_VAL), 0); /* disabled: no count */
	wr(&r, ST_CTRL, CTRL_ENABLE | CTRL_CLKSOURCE);
	ticks(&r, 1, 1);
	assert_int_equal(rd(&r, ST_VAL), 999); /* from 0 the next tick loads RELOAD */
	ticks(&r, 499, 1);
	assert_int_equal(rd(&r, ST_VAL), 500);
	assert_false(rd(&r, ST_CTRL) & CTRL_COUNTFLAG);
	ticks(&r, 500, 1);
	assert_int_equal(rd(&r, ST_VAL), 0);
	assert_true(rd(&r, ST_CTRL) & CTRL_COUNTFLAG);
	assert_false(rd(&r, ST_CTRL) & CTRL_COUNTFLAG); /* cleared by the read */
	ticks(&r, 1 + 1000 * 3 + 10, 1); /* three more periods and 11 ticks */
	assert_int_equal(rd(&r, ST_VAL), 989);
	assert_true(rd(&r, ST_CTRL) & CTRL_COUNTFLAG);
	ticks(&r, 989, 1);
	wr(&r, ST_VAL, 0); /* clears COUNTFLAG too */
	assert_false(rd(&r, ST_CTRL) & CTRL_COUNTFLAG);
	rig_down(&r);
}

static void systick_external_clock_is_hclk_by_8(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	wr(&r, ST_LOAD, 100);
	wr(&r, ST_VAL, 0);
	wr(&r, ST_CTRL, CTRL_ENABLE); /* CLKSOURCE = 0 */
	ticks(&r, 1, 8);
	assert_int_equal(rd(&r, ST_VAL), 100);
	ticks(&r, 10, 1); /* 10 HCLK cycles: one tick and a bit */
	assert_int_equal(rd(&r, ST_VAL), 99);
	ticks(&r, 30, 8);
	assert_int_equal(rd(&r, ST_VAL), 69);
	rig_down(&r);
}

static void crc_basic_layout_rm0008(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	assert_int_equal(rd(&r, CRC_DR), 0xFFFFFFFFu);
	wr(&r, CRC_DR, 0x12345678u);
	assert_int_equal(rd(&r, CRC_DR), 0xDF8A8A2Bu); /* CRC-32/MPEG-2 of the word */
	wr(&r, CRC_DR, 0x9ABCDEF0u);
	assert_int_equal(rd(&r, CRC_DR), 0x7D24A31Bu);
	wr(&r, CRC_CR, 1); /* RESET */
	assert_int_equal(rd(&r, CRC_DR), 0xFFFFFFFFu);
	assert_int_equal(rd(&r, CRC_CR), 0);
	wr(&r, CRC_IDR, 0x1A5u); /* 8-bit independent data register */
	assert_int_equal(rd(&r, CRC_IDR), 0xA5u);
	wr(&r, CRC_INIT, 0x5A5A5A5Au); /* no INIT on this layout */
	assert_int_equal(rd(&r, CRC_DR), 0xFFFFFFFFu);
	rig_down(&r);
}

static void crc_flexible_layout_rm0444(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	wr(&r, CRC_INIT, 0x5A5A5A5Au); /* loads DR as well */
	assert_int_equal(rd(&r, CRC_DR), 0x5A5A5A5Au);
	wr(&r, CRC_DR, 0x12345678u);
	assert_int_equal(rd(&r, CRC_DR), 0x311CD920u);
	wr(&r, CRC_INIT, 0xFFFFFFFFu);
	wr(&r, CRC_POL, 0x1EDC6F41u);
	wr(&r, CRC_DR, 0x12345678u);
	assert_int_equal(rd(&r, CRC_DR), 0x57E25AD4u);
	wr(&r, CRC_POL, 0x04C11DB7u);
	/* REV_IN by byte and REV_OUT, fed byte by byte: the IEEE CRC-32
	 * before its final inversion. */
	wr(&r, CRC_CR, 1u << 5 | 1u << 7 | 1u);
	static const char text[] = "123456789";
	for (size_t i = 0; i < 9; i++)
		wr_n(&r, CRC_DR, 1, (uint8_t)text[i]);
	assert_int_equal(rd(&r, CRC_DR) ^ 0xFFFFFFFFu, 0xCBF43926u);
	assert_int_equal(rd(&r, CRC_CR), 1u << 5 | 1u << 7); /* RESET reads 0 */
	rig_down(&r);
}

/* L0 (RM0377), L1 (RM0038), WB (RM0434), WL (RM0453): the unit at
 * 0x40023000 starts from 0xFFFFFFFF with the Ethernet polynomial, so one
 * word gives the CRC-32/MPEG-2 value; only the programmable ones keep POL. */
static void crc_on_l0_l1_wb_wl(void **state)
{
	(void)state;
	static const struct { const char *device; bool programmable; } parts[] = {
		{"stm32l07x", true}, {"stm32l1-cat3", false}, {"stm32wb55", true}, {"stm32wl55", true},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct rig r;
		rig_up(&r, parts[i].device);
		assert_int_equal(rd(&r, CRC_DR), 0xFFFFFFFFu);
		wr(&r, CRC_DR, 0x12345678u);
		assert_int_equal(rd(&r, CRC_DR), 0xDF8A8A2Bu);
		wr(&r, CRC_POL, 0x1EDC6F41u);
		assert_int_equal(rd(&r, CRC_POL), parts[i].programmable ? 0x1EDC6F41u : 0);
		if (parts[i].programmable) {
			wr(&r, CRC_CR, 1); /* RESET */
			wr(&r, CRC_DR, 0x12345678u);
			assert_int_equal(rd(&r, CRC_DR), 0x57E25AD4u);
		}
		rig_down(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(systick_counts_down_reloads_and_sets_countflag),
		cmocka_unit_test(systick_external_clock_is_hclk_by_8),
		cmocka_unit_test(crc_basic_layout_rm0008),
		cmocka_unit_test(crc_flexible_layout_rm0444),
		cmocka_unit_test(crc_on_l0_l1_wb_wl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
