/* The reset model without the core: what a reset boots (the stats' last
 * boot) from the pin, the option bytes and the empty check, as the ROM
 * engine sees it. G0 (RM0444), WB and WL (ST's list of parts with the empty
 * check; RM0461 for the WLE) latch the check at power-on and option-byte
 * load: a blank chip starts its bootloader, a programmed one its flash. */
#include <stdlib.h>

#include "test_sim_harness.h"

static void reset_with_boot0(struct harness *h, bool high)
{
	sim_engine_set_boot0(&h->engine, high);
	sim_engine_hold_reset(&h->engine);
	sim_engine_release_reset(&h->engine);
}

static void blank_then_programmed(const char *device, bool pin_matters)
{
	struct harness *h = harness_new(device, false);
	reset_with_boot0(h, false);
	assert_string_equal(h->stats.last_boot, "system"); /* empty: the bootloader */
	assert_string_equal(sim_engine_state_name(&h->engine), "bootloader");
	reset_with_boot0(h, true);
	harness_sync(h);
	const uint8_t word[8] = {0x00, 0x20, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08};
	assert_int_equal(harness_write(h, h->chip.dev->flash_start, word, sizeof(word)), 0x79);
	/* A pin reset keeps the latch... */
	reset_with_boot0(h, false);
	assert_string_equal(h->stats.last_boot, "system");
	/* ...a power-on re-reads the first word. */
	sim_engine_set_boot0(&h->engine, false);
	sim_engine_power_on(&h->engine);
	assert_string_equal(h->stats.last_boot, "flash");
	/* BOOT0 high: the bootloader where the pin decides; a G0's factory
	 * nBOOT_SEL = 1 hands the choice to nBOOT0 = 1, main flash. */
	reset_with_boot0(h, true);
	assert_string_equal(h->stats.last_boot, pin_matters ? "system" : "flash");
	harness_free(h);
}

static void g0_empty_check(void **state)
{
	(void)state;
	blank_then_programmed("stm32g071rb", false);
}

static void wb_empty_check(void **state)
{
	(void)state;
	blank_then_programmed("stm32wb55", true);
}

static void wl_empty_check(void **state)
{
	(void)state;
	blank_then_programmed("stm32wl55", true);
}

/* A family without the check (F1): BOOT0 low boots flash, blank or not. */
static void f1_has_no_empty_check(void **state)
{
	(void)state;
	struct harness *h = harness_new("stm32f103xb", false);
	reset_with_boot0(h, false);
	assert_string_equal(h->stats.last_boot, "flash");
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(g0_empty_check),
		cmocka_unit_test(wb_empty_check),
		cmocka_unit_test(wl_empty_check),
		cmocka_unit_test(f1_has_no_empty_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
