/* The protection edits of the option area (src/lib/optbytes/option_edit.c): what
 * Readout Protect, Write Protect and Write Unprotect do to a copy of the
 * option area, checked byte by byte on the F407 (RM0090: nWRP bits at
 * offset 8 with their complement at 10, RDP at 1 with its complement at 3)
 * and through the option-byte table's own decoding on a G0's WRP areas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "optbytes/option_edit.h"
#include "stm32boot/option_bytes.h"

static const struct stm32_device *device(const char *name)
{
	const struct stm32_device *dev = stm32_device_find(name);
	if (!dev || !dev->opt_factory)
		fail_msg("no device %s with factory option bytes", name);
	return dev;
}

static void factory(const struct stm32_device *dev, uint8_t *bytes)
{
	memcpy(bytes, dev->opt_factory, dev->opt_size);
}

/* The units the bytes protect, as a bit mask (the first 32). */
static uint32_t protected_mask(const struct stm32_device *dev, const uint8_t *bytes)
{
	bool units[512] = {false};
	assert_true(stm32_device_sector_count(dev) <= 512);
	stm32_option_bytes_protected_units(dev, bytes, dev->opt_size, units);
	uint32_t mask = 0;
	for (unsigned u = 0; u < 32; u++)
		mask |= units[u] ? 1u << u : 0;
	return mask;
}

static void f4_write_protect_clears_the_sector_bits_and_their_complement(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f407xg");
	uint8_t bytes[16];
	factory(dev, bytes);
	const uint32_t groups[] = {0, 1, 7};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(option_edit_write_protect(dev, bytes, dev->opt_size, groups, 3, &err),
			 STM32_OK);
	/* nWRP 0xFFF with bits 0, 1, 7 cleared = 0xF7C; complement 0x083. */
	assert_int_equal(bytes[8], 0x7C);
	assert_int_equal(bytes[9], 0x0F);
	assert_int_equal(bytes[10], 0x83);
	assert_int_equal(bytes[11], 0xF0);
	assert_int_equal(protected_mask(dev, bytes), 0x83u);
	/* The rest of the area is untouched. */
	assert_memory_equal(bytes, dev->opt_factory, 8);
	assert_memory_equal(bytes + 12, dev->opt_factory + 12, 4);

	/* More groups keep the ones already protected. */
	const uint32_t more[] = {11};
	assert_int_equal(option_edit_write_protect(dev, bytes, dev->opt_size, more, 1, &err),
			 STM32_OK);
	assert_int_equal(protected_mask(dev, bytes), 0x883u);

	assert_int_equal(option_edit_write_unprotect(dev, bytes, dev->opt_size, &err), STM32_OK);
	assert_memory_equal(bytes, dev->opt_factory, dev->opt_size);
}

static void f4_group_past_the_last_is_refused(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f407xg");
	uint8_t bytes[16];
	factory(dev, bytes);
	const uint32_t groups[] = {12};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(option_edit_write_protect(dev, bytes, dev->opt_size, groups, 1, &err),
			 STM32_E_RANGE);
	assert_non_null(strstr(err.message, "0-11"));
	assert_memory_equal(bytes, dev->opt_factory, dev->opt_size);
}

static void f4_readout_protect_sets_level_1_never_level_2(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32f407xg");
	uint8_t bytes[16];
	factory(dev, bytes);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(option_edit_readout_protect(dev, bytes, dev->opt_size, &err), STM32_OK);
	assert_int_equal(bytes[1], 0xBB);
	assert_int_equal(bytes[3], 0x44);
	assert_false(option_edit_permanent(dev, bytes, dev->opt_size, dev->opt_start));
	bytes[1] = 0xCC;
	bytes[3] = 0x33;
	assert_true(option_edit_permanent(dev, bytes, dev->opt_size, dev->opt_start));
	/* Only a whole option area at its address says anything. */
	assert_false(option_edit_permanent(dev, bytes, 8, dev->opt_start));
}

static void g0_write_protect_fills_an_area(void **state)
{
	(void)state;
	const struct stm32_device *dev = device("stm32g0b1");
	uint8_t bytes[128];
	assert_true(dev->opt_size <= sizeof bytes);
	factory(dev, bytes);
	assert_int_equal(protected_mask(dev, bytes), 0);
	const uint32_t run[] = {2, 3, 4, 5};
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(option_edit_write_protect(dev, bytes, dev->opt_size, run, 4, &err), STM32_OK);
	assert_int_equal(protected_mask(dev, bytes), 0x3Cu);
	/* An area holds one run: a gap is refused, naming the run to give. */
	uint8_t other[128];
	factory(dev, other);
	const uint32_t gap[] = {1, 3};
	assert_int_equal(option_edit_write_protect(dev, other, dev->opt_size, gap, 2, &err),
			 STM32_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "1-3"));
	assert_int_equal(option_edit_write_unprotect(dev, bytes, dev->opt_size, &err), STM32_OK);
	assert_int_equal(protected_mask(dev, bytes), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f4_write_protect_clears_the_sector_bits_and_their_complement),
		cmocka_unit_test(f4_group_past_the_last_is_refused),
		cmocka_unit_test(f4_readout_protect_sets_level_1_never_level_2),
		cmocka_unit_test(g0_write_protect_fills_an_area),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
