/* The IWDG on the parts that now have it modelled (H5, L5, U5 at
 * 0x40003000, H7 IWDG1 at 0x58004800; LSI 32 kHz), the window (WINR:
 * writing it reloads, a reload above it resets), the U5/H5 version's 4-bit
 * prescaler and early-wakeup interrupt (EWCR: EWIT, EWIE, EWIC; SR.EWIF),
 * and the 3-bit prescaler and missing WINR of the F1 version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define MS 1000000000ull /* picoseconds */

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }

#define KR   0x00u
#define PR   0x04u
#define RLR  0x08u
#define SR   0x0Cu
#define WINR 0x10u
#define EWCR 0x14u

static uint64_t period_ps(unsigned divider) { return (uint64_t)divider * (1000000000000ull / 32000u); }

/* Each part's IWDG answers at its base (no unmodelled access), counts at
 * LSI 32 kHz and resets when it runs out. */
static void iwdg_at_its_base(const char *device, uint32_t base)
{
	struct rig r;
	rig_up(&r, device);
	wr(&r, base + KR, 0xCCCCu);
	wr(&r, base + KR, 0x5555u);
	wr(&r, base + PR, 2); /* /16: 0.5 ms a count */
	assert_true(rd(&r, base + SR) & 1u); /* PVU */
	wr(&r, base + RLR, 99);
	wr(&r, base + KR, 0xAAAAu);
	assert_int_equal(rd(&r, base + PR), 2);
	assert_int_equal(sim_iwdg_deadline(&r.soc.iwdg), 100 * period_ps(16));
	assert_int_equal(r.stats.unmodelled_accesses, 0);
	assert_int_equal(r.stats.iwdg_refreshes, 1);
	rig_down(&r);
}

static void h5_l5_u5_h7_have_an_iwdg(void **state)
{
	(void)state;
	iwdg_at_its_base("stm32h563zi", 0x40003000u);
	iwdg_at_its_base("stm32l552", 0x40003000u);
	iwdg_at_its_base("stm32u575", 0x40003000u);
	iwdg_at_its_base("stm32h743zi", 0x58004800u);
}

/* U575: PR is 4 bits, 8 and above /1024; EWIT 50 with EWIE: EWIF and the
 * line rise 50 counts before the end, stay up across a reload, EWIC
 * clears them. */
static void u5_prescaler_and_early_wakeup(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32u575");
	const uint32_t base = 0x40003000u;
	struct sim_iwdg *iwdg = &r.soc.iwdg;
	wr(&r, base + KR, 0xCCCCu);
	wr(&r, base + KR, 0x5555u);
	wr(&r, base + PR, 15);
	assert_int_equal(rd(&r, base + PR), 15);
	wr(&r, base + RLR, 200);
	wr(&r, base + EWCR, 1u << 15 | 50u);
	assert_int_equal(rd(&r, base + EWCR), 1u << 15 | 50u);
	assert_true(rd(&r, base + SR) & (1u << 3)); /* EWU */
	wr(&r, base + KR, 0xAAAAu);
	uint64_t end = 201 * period_ps(1024);
	assert_int_equal(sim_iwdg_deadline(iwdg), end);
	uint64_t early = end - 50 * period_ps(1024);
	assert_int_equal(sim_iwdg_irq_deadline(iwdg), early);
	assert_int_equal(sim_soc_deadline(&r.soc), early);
	r.soc.env.now_ps = early - 1;
	assert_false(rd(&r, base + SR) & (1u << 14));
	assert_false(sim_iwdg_irq(iwdg));
	r.soc.env.now_ps = early;
	assert_true(rd(&r, base + SR) & (1u << 14)); /* EWIF */
	assert_true(sim_iwdg_irq(iwdg));
	wr(&r, base + KR, 0xAAAAu); /* a reload does not clear EWIF */
	assert_true(rd(&r, base + SR) & (1u << 14));
	wr(&r, base + EWCR, 1u << 14); /* EWIC (no access key needed) */
	assert_false(rd(&r, base + SR) & (1u << 14));
	assert_false(sim_iwdg_irq(iwdg));
	assert_int_equal(rd(&r, base + EWCR), 1u << 15 | 50u); /* EWIC did not touch EWIT/EWIE */
	/* The next countdown raises it again. */
	r.soc.env.now_ps = sim_iwdg_irq_deadline(iwdg);
	assert_true(sim_iwdg_irq(iwdg));
	rig_down(&r);
}

/* G071 (RM0444): writing WINR reloads the counter; a reload while the
 * counter is above WINR resets the chip; below it is a refresh. */
static void window_resets_an_early_refresh(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32g071rb");
	const uint32_t base = 0x40003000u;
	struct sim_iwdg *iwdg = &r.soc.iwdg;
	wr(&r, base + KR, 0xCCCCu);
	wr(&r, base + KR, 0x5555u);
	wr(&r, base + RLR, 1000);
	r.soc.env.now_ps = 10 * MS;
	wr(&r, base + WINR, 400);
	assert_int_equal(rd(&r, base + WINR), 400);
	assert_int_equal(sim_iwdg_deadline(iwdg), 10 * MS + 1001 * period_ps(4)); /* reloaded */
	r.soc.env.now_ps += 700 * period_ps(4); /* counter 300: inside the window */
	wr(&r, base + KR, 0xAAAAu);
	assert_int_equal(sim_iwdg_deadline(iwdg), r.soc.env.now_ps + 1001 * period_ps(4));
	wr(&r, base + KR, 0xAAAAu); /* counter 1000 > 400: too early */
	assert_int_equal(sim_iwdg_deadline(iwdg), r.soc.env.now_ps);
	sim_soc_reset(&r.soc, SIM_RESET_IWDG);
	assert_int_equal(sim_iwdg_deadline(iwdg), UINT64_MAX);
	rig_down(&r);
}

/* F103 (RM0008): PR 3 bits, 6 and 7 both /256; no WINR, no EWCR. */
static void f1_version_has_no_window(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32f103xb");
	const uint32_t base = 0x40003000u;
	wr(&r, base + KR, 0xCCCCu);
	wr(&r, base + KR, 0x5555u);
	wr(&r, base + PR, 0xF);
	assert_int_equal(rd(&r, base + PR), 7);
	wr(&r, base + WINR, 5);
	assert_int_equal(rd(&r, base + WINR), 0);
	wr(&r, base + EWCR, 1u << 15 | 5u);
	assert_int_equal(rd(&r, base + EWCR), 0);
	wr(&r, base + KR, 0xAAAAu); /* no window: never too early */
	uint64_t tick = (uint64_t)256 * (1000000000000ull / 40000u);
	assert_int_equal(sim_iwdg_deadline(&r.soc.iwdg), 0x1000 * tick);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(h5_l5_u5_h7_have_an_iwdg),
		cmocka_unit_test(u5_prescaler_and_early_wakeup),
		cmocka_unit_test(window_resets_an_early_refresh),
		cmocka_unit_test(f1_version_has_no_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
