/* The rest of the H7 (RM0433), H5 (RM0481) and U5 (RM0456) clock trees:
 * PLL2 and PLL3 with their lock time, their P/Q/R outputs (and FRACN) as
 * the USART kernel clocks the muxes can pick, HSI48, the H7 APB3/APB4
 * (D1PPRE, D3PPRE) and H5/U5 APB3 (PPRE3) buses, and the clock the ROM
 * leaves at Go (AN2606: H72x 66 MHz PLL, H74x 64 MHz HSI, H563 200 MHz
 * PLL; U5 not given, the reset clock stays). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/cpu.h"
#include "cpu/debug_port.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define MHZ 1000000u
#define US  1000000ull /* picoseconds */

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void set(struct rig *r, uint32_t a, uint32_t bits) { wr(r, a, rd(r, a) | bits); }
static void clear(struct rig *r, uint32_t a, uint32_t bits) { wr(r, a, rd(r, a) & ~bits); }
static void wait_us(struct rig *r, uint64_t us) { r->soc.env.now_ps += us * US; }
static uint32_t kernel(struct rig *r, unsigned usart)
{
	return sim_usart_kernel_hz(sim_soc_usart(&r->soc, usart));
}

#define H7 0x58024400u

/* PLL2 from HSI / DIVM2 8 = 8 MHz x 50 = 400 MHz, Q /4 = 100 MHz for
 * USART2/3 (USART234578SEL = pll2_q); PLL3 x 40.5 (FRACN 4096), Q /3 =
 * 108 MHz; neither gives a clock before it locks or with DIVQ off. */
static void h7_pll2_pll3_q_outputs_feed_usart2(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	wr(&r, H7 + 0x28, (rd(&r, H7 + 0x28) & ~(0x3Fu << 12 | 0x3Fu << 20)) | 8u << 12 | 8u << 20);
	wr(&r, H7 + 0x38, 49u | 1u << 9 | 3u << 16 | 1u << 24); /* PLL2DIVR */
	wr(&r, H7 + 0x40, 39u | 1u << 9 | 2u << 16 | 1u << 24); /* PLL3DIVR */
	wr(&r, H7 + 0x44, 4096u << 3);                         /* PLL3FRACR */
	set(&r, H7 + 0x2C, 1u << 8);                           /* PLL3FRACEN */
	wr(&r, H7 + 0x54, 1u);                                 /* USART234578SEL = pll2_q */
	assert_int_equal(kernel(&r, 2), 0);
	set(&r, H7, 1u << 26 | 1u << 28); /* PLL2ON, PLL3ON */
	assert_false(rd(&r, H7) & (1u << 27));
	assert_int_equal(kernel(&r, 2), 0);
	assert_int_equal(sim_rcc_deadline(&r.soc.rcc), r.soc.env.now_ps + 100 * US);
	wait_us(&r, 100);
	assert_int_equal(rd(&r, H7) & (1u << 27 | 1u << 29), 1u << 27 | 1u << 29);
	assert_int_equal(sim_rcc_deadline(&r.soc.rcc), UINT64_MAX);
	assert_int_equal(kernel(&r, 2), 100 * MHZ);
	assert_int_equal(kernel(&r, 3), 100 * MHZ);
	assert_int_equal(kernel(&r, 1), 64 * MHZ); /* USART1 still on PCLK2 */
	wr(&r, H7 + 0x54, 2u); /* pll3_q */
	assert_int_equal(kernel(&r, 2), 108 * MHZ);
	clear(&r, H7 + 0x2C, 1u << 23); /* DIVQ3EN */
	assert_int_equal(kernel(&r, 2), 0);
	wr(&r, H7 + 0x54, 1u << 3); /* USART16SEL = pll2_q */
	assert_int_equal(kernel(&r, 1), 100 * MHZ);
	clear(&r, H7, 1u << 26); /* PLL2 off: its output stops */
	assert_int_equal(kernel(&r, 1), 0);
	rig_down(&r);
}

static void h7_hsi48_and_the_apb3_apb4_buses(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	set(&r, H7, 1u << 12);
	assert_true(rd(&r, H7) & (1u << 13)); /* HSI48RDY */
	wr(&r, H7 + 0x18, 8u | 5u << 4);      /* HPRE /2, D1PPRE /4 */
	wr(&r, H7 + 0x20, 6u << 4);           /* D3PPRE /8 */
	assert_int_equal(r.soc.env.clocks.pclk3, 8 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk4, 4 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk1, 32 * MHZ); /* D2PPRE1 /1 of the AHB's 32 */
	rig_down(&r);
}

#define H5 0x44020C00u

/* H563: PLL2CFGR 0x2C (HSI / 4 = 8 MHz, QEN), PLL2DIVR 0x3C (x 60, Q /6):
 * 80 MHz for USART1 (USART1SEL = pll2_q); PLL3 likewise for USART3; PPRE3. */
static void h5_pll2_q_for_usart1_and_ppre3(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h563zi");
	wr(&r, H5 + 0x2C, 1u | 4u << 8 | 1u << 17);
	wr(&r, H5 + 0x3C, 59u | 1u << 9 | 5u << 16 | 1u << 24);
	wr(&r, H5 + 0x30, 1u | 4u << 8 | 1u << 17);
	wr(&r, H5 + 0x44, 59u | 1u << 9 | 7u << 16 | 1u << 24); /* Q /8: 60 MHz */
	wr(&r, H5 + 0xD8, 1u | 2u << 6);                       /* USART1: pll2_q, USART3: pll3_q */
	set(&r, H5, 1u << 26 | 1u << 28);
	assert_int_equal(kernel(&r, 1), 0);
	wait_us(&r, 100);
	assert_true(rd(&r, H5) & (1u << 27));
	assert_int_equal(kernel(&r, 1), 80 * MHZ);
	assert_int_equal(kernel(&r, 3), 60 * MHZ);
	wr(&r, H5 + 0x20, 5u << 12); /* PPRE3 /4 */
	assert_int_equal(r.soc.env.clocks.pclk3, 8 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk1, 32 * MHZ);
	set(&r, H5, 1u << 12);
	assert_true(rd(&r, H5) & (1u << 13)); /* HSI48RDY */
	rig_down(&r);
}

#define U5 0x46020C00u

/* U575: PLL2 from HSI16 locks like PLL1 (no USART mux takes it: U5's are
 * PCLK, SYSCLK, HSI16, LSE); PPRE3 sits in CFGR3 (0x24). */
static void u5_pll2_locks_and_ppre3(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32u575");
	set(&r, U5, 1u << 8); /* HSION */
	wr(&r, U5 + 0x2C, 2u | 0u << 8 | 1u << 16); /* HSI16, M /1, PEN */
	set(&r, U5, 1u << 26);
	assert_false(rd(&r, U5) & (1u << 27));
	wait_us(&r, 100);
	assert_true(rd(&r, U5) & (1u << 27));
	wr(&r, U5 + 0x24, 4u << 4); /* PPRE3 /2 */
	assert_int_equal(r.soc.env.clocks.pclk3, 2 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk1, 4 * MHZ);
	rig_down(&r);
}

/* The ROM's handoff through the core's API: the clock and the BRR it
 * leaves on USART1 for the host's 115200 baud. */
static void rom_handoff(const char *device, uint32_t rcc_cfgr, unsigned sws_shift, unsigned sws,
			uint32_t usart1, uint32_t brr)
{
	struct sim_chip chip;
	memset(&chip, 0, sizeof(chip));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&chip, dev));
	char err[128];
	struct sim_cpu *cpu = sim_cpu_new(&chip, NULL, err, sizeof(err));
	if (!cpu)
		fail_msg("%s: %s", device, err);
	sim_cpu_rom_handoff(cpu, 115200);
	uint32_t v = 0;
	assert_true(sim_cpu_debug_read(cpu, rcc_cfgr, 4, &v));
	assert_int_equal((v >> sws_shift) & (sws_shift == 2 ? 3u : 7u), sws);
	assert_true(sim_cpu_debug_read(cpu, usart1 + 0x0C, 4, &v));
	assert_int_equal(v, brr);
	sim_cpu_free(cpu);
	sim_chip_free(&chip);
}

static void rom_leaves_its_clock_at_go(void **state)
{
	(void)state;
	rom_handoff("stm32h72x", H7 + 0x10, 3, 3, 0x40011000u, 573);   /* 66 MHz PLL1 */
	rom_handoff("stm32h743zi", H7 + 0x10, 3, 0, 0x40011000u, 556); /* 64 MHz HSI */
	rom_handoff("stm32h563zi", H5 + 0x1C, 3, 3, 0x40013800u, 1736); /* 200 MHz PLL1 */
	/* U5: not in AN2606's transcription; MSIS 4 MHz stays (SWS 3:2 = 0). */
	rom_handoff("stm32u575", U5 + 0x1C, 2, 0, 0x40013800u, 35);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(h7_pll2_pll3_q_outputs_feed_usart2),
		cmocka_unit_test(h7_hsi48_and_the_apb3_apb4_buses),
		cmocka_unit_test(h5_pll2_q_for_usart1_and_ppre3),
		cmocka_unit_test(u5_pll2_locks_and_ppre3),
		cmocka_unit_test(rom_leaves_its_clock_at_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
