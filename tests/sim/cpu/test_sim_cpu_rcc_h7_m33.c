/* RCC of H7 (RM0433), H5 (RM0481) and U5 (RM0456) against the register
 * maps (offsets and bits in src/sim/cpu/rcc_h7.c): clock switching with
 * SW/SWS, PLL1 from the internal oscillators with its lock time in
 * emulated time, the core and bus prescalers, USART1's kernel-clock mux and
 * the reset flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"
#include "soc_rig.h"

#define MHZ 1000000u
#define US  1000000ull /* picoseconds */
#define PLL_LOCK_US 100u /* the model's lock time */

static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void set(struct rig *r, uint32_t a, uint32_t bits) { wr(r, a, rd(r, a) | bits); }
static void clear(struct rig *r, uint32_t a, uint32_t bits) { wr(r, a, rd(r, a) & ~bits); }
static void wait_us(struct rig *r, uint64_t us) { r->soc.env.now_ps += us * US; }
static uint32_t usart1_kernel(struct rig *r) { return sim_usart_kernel_hz(sim_soc_usart(&r->soc, 1)); }

/* H743: RCC at 0x58024400. */
#define H7 0x58024400u
#define H7_CFGR   (H7 + 0x10)
#define H7_D1CFGR (H7 + 0x18)
#define H7_D2CFGR (H7 + 0x1C)
#define H7_PLLCKSELR (H7 + 0x28)
#define H7_PLLCFGR (H7 + 0x2C)
#define H7_PLL1DIVR (H7 + 0x30)
#define H7_D2CCIP2R (H7 + 0x54)
#define H7_RSR (H7 + 0xD0)

static void h7_reset_state_and_hsi_csi(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	assert_int_equal(rd(&r, H7), 0x25u);
	assert_int_equal(rd(&r, H7_PLLCKSELR), 0x02020200u);
	assert_int_equal(rd(&r, H7_PLL1DIVR), 0x01010280u);
	assert_int_equal(rd(&r, H7_CFGR) & 0x3Fu, 0); /* SW = SWS = HSI */
	assert_int_equal(r.soc.env.clocks.sysclk, 64 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk2, 64 * MHZ);
	assert_int_equal(usart1_kernel(&r), 64 * MHZ);
	/* Power-on: PORRSTF, PINRSTF, BORRSTF, D1RSTF, D2RSTF; C1_RSR aliases it. */
	assert_int_equal(rd(&r, H7_RSR), 0x00F80000u);
	assert_int_equal(rd(&r, H7 + 0x130), 0x00F80000u);
	/* HSIDIV /4: 16 MHz at once (HSIDIVF stays set). */
	wr(&r, H7, 0x1u | 2u << 3);
	assert_int_equal(rd(&r, H7) & 0x3Du, 0x1u | 1u << 2 | 2u << 3 | 1u << 5);
	assert_int_equal(r.soc.env.clocks.sysclk, 16 * MHZ);
	/* CSI: ready when on; SW = CSI switches, SWS follows. */
	set(&r, H7, 1u << 7);
	assert_true(rd(&r, H7) & (1u << 8));
	wr(&r, H7_CFGR, 1u | 7u << 3); /* SWS is read-only */
	assert_int_equal(rd(&r, H7_CFGR) & 0x3Fu, 1u | 1u << 3);
	assert_int_equal(r.soc.env.clocks.sysclk, 4 * MHZ);
	/* CSI runs the system: CSION cannot be cleared. */
	clear(&r, H7, 1u << 7);
	assert_true(rd(&r, H7) & (1u << 7));
	/* HSE: not fitted, SW = HSE never switches. */
	set(&r, H7, 1u << 16);
	assert_false(rd(&r, H7) & (1u << 17));
	wr(&r, H7_CFGR, 2u);
	assert_int_equal(rd(&r, H7_CFGR) & 0x3Fu, 2u | 1u << 3);
	assert_int_equal(r.soc.env.clocks.sysclk, 4 * MHZ);
	rig_down(&r);
}

static void h7_pll1_locks_then_runs_the_core(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	/* HSI 64 MHz / DIVM1 4 = 16 MHz x DIVN1 50 = 800 MHz / DIVP1 2 = 400 MHz. */
	wr(&r, H7_PLLCKSELR, 0u | 4u << 4);
	wr(&r, H7_PLL1DIVR, 49u | 1u << 9 | 1u << 16 | 1u << 24);
	set(&r, H7, 1u << 24);
	assert_false(rd(&r, H7) & (1u << 25));
	wr(&r, H7_CFGR, 3u); /* SW = PLL1 before it locks: SWS waits */
	assert_int_equal(rd(&r, H7_CFGR) & 0x38u, 0);
	assert_int_equal(r.soc.env.clocks.sysclk, 64 * MHZ);
	assert_int_equal(sim_rcc_deadline(&r.soc.rcc), PLL_LOCK_US * US);
	wait_us(&r, PLL_LOCK_US - 1);
	assert_false(rd(&r, H7) & (1u << 25));
	wait_us(&r, 1);
	assert_true(rd(&r, H7) & (1u << 25));
	assert_int_equal(rd(&r, H7_CFGR) & 0x38u, 3u << 3);
	assert_int_equal(sim_rcc_deadline(&r.soc.rcc), UINT64_MAX);
	assert_int_equal(r.soc.env.clocks.sysclk, 400 * MHZ);
	/* D1CPRE /1 runs the core at 400 MHz; HPRE /2: AHB 200 MHz; D2PPRE2
	 * /2: APB2 100 MHz, D2PPRE1 /4: APB1 50 MHz. */
	wr(&r, H7_D1CFGR, 8u);
	wr(&r, H7_D2CFGR, 5u << 4 | 4u << 8);
	assert_int_equal(r.soc.env.clocks.hclk, 400 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk2, 100 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk1, 50 * MHZ);
	assert_int_equal(usart1_kernel(&r), 100 * MHZ);
	wr(&r, H7_D1CFGR, 8u | 9u << 8); /* D1CPRE /4: core 100 MHz, AHB 50 */
	assert_int_equal(r.soc.env.clocks.hclk, 100 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk2, 25 * MHZ);
	/* USART16910SEL: hsi_ker (3), csi_ker (4, only while CSI runs). */
	wr(&r, H7_D2CCIP2R, 3u << 3);
	assert_int_equal(usart1_kernel(&r), 64 * MHZ);
	wr(&r, H7_D2CCIP2R, 4u << 3);
	assert_int_equal(usart1_kernel(&r), 0);
	set(&r, H7, 1u << 7);
	assert_int_equal(usart1_kernel(&r), 4 * MHZ);
	/* PLL1 and its input run the system: neither turns off. */
	clear(&r, H7, 1u << 24 | 1u << 0);
	assert_int_equal(rd(&r, H7) & (1u << 24 | 1u << 0), 1u << 24 | 1u << 0);
	/* Without DIVP1EN the P output stops. */
	clear(&r, H7_PLLCFGR, 1u << 16);
	assert_int_equal(r.soc.env.clocks.sysclk, 0);
	rig_down(&r);
}

static void h7_pll1_without_input_never_locks(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	wr(&r, H7_PLLCKSELR, 0u); /* DIVM1 = 0: prescaler disabled */
	set(&r, H7, 1u << 24);
	wait_us(&r, 10 * PLL_LOCK_US);
	assert_false(rd(&r, H7) & (1u << 25));
	wr(&r, H7_PLLCKSELR, 2u | 4u << 4); /* from HSE: not fitted */
	wait_us(&r, 10 * PLL_LOCK_US);
	assert_false(rd(&r, H7) & (1u << 25));
	wr(&r, H7_PLLCKSELR, 1u | 1u << 4); /* from CSI, still off */
	assert_false(rd(&r, H7) & (1u << 25));
	set(&r, H7, 1u << 7);
	assert_true(rd(&r, H7) & (1u << 25));
	rig_down(&r);
}

static void h7_reset_flags(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h743zi");
	wr(&r, H7_RSR, 1u << 16); /* RMVF */
	assert_int_equal(rd(&r, H7_RSR), 0);
	wr(&r, H7_CFGR, 1u);
	set(&r, H7, 1u << 7);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_int_equal(rd(&r, H7_RSR), 1u << 24); /* SFTRSTF */
	assert_int_equal(r.soc.env.clocks.sysclk, 64 * MHZ); /* back on HSI */
	assert_int_equal(rd(&r, H7), 0x25u);
	sim_soc_reset(&r.soc, SIM_RESET_IWDG);
	assert_int_equal(rd(&r, H7 + 0x130), 1u << 24 | 1u << 26); /* + IWDG1RSTF */
	wr(&r, H7_RSR, 0xFFFFFFFFu & ~(1u << 16)); /* flags are read-only */
	assert_int_equal(rd(&r, H7_RSR), 1u << 24 | 1u << 26);
	wr(&r, H7 + 0x130, 1u << 16);
	assert_int_equal(rd(&r, H7_RSR), 0);
	rig_down(&r);
}

/* H563: RCC at 0x44020C00. */
#define H5 0x44020C00u
#define H5_CFGR1 (H5 + 0x1C)
#define H5_CFGR2 (H5 + 0x20)
#define H5_PLL1CFGR (H5 + 0x28)
#define H5_PLL1DIVR (H5 + 0x34)
#define H5_CCIPR1 (H5 + 0xD8)
#define H5_RSR (H5 + 0xF4)

static void h5_switching_pll1_and_flags(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32h563zi");
	assert_int_equal(rd(&r, H5), 0x2Bu);
	assert_int_equal(r.soc.env.clocks.sysclk, 32 * MHZ);
	assert_int_equal(rd(&r, H5_RSR), 0x0C000000u); /* PINRSTF, BORRSTF */
	/* CSI (CSION 8, CSIRDY 9) as the system clock. */
	set(&r, H5, 1u << 8);
	assert_true(rd(&r, H5) & (1u << 9));
	wr(&r, H5_CFGR1, 1u);
	assert_int_equal(rd(&r, H5_CFGR1) & 0x3Fu, 1u | 1u << 3);
	assert_int_equal(r.soc.env.clocks.hclk, 4 * MHZ);
	/* PLL1 from HSI (32 MHz) / M 2 x N 30 / P 2 = 240 MHz. */
	wr(&r, H5_PLL1CFGR, 1u | 2u << 8 | 1u << 16);
	wr(&r, H5_PLL1DIVR, 29u | 1u << 9 | 1u << 16 | 1u << 24);
	set(&r, H5, 1u << 24);
	wr(&r, H5_CFGR1, 3u);
	assert_int_equal(rd(&r, H5_CFGR1) & 0x38u, 1u << 3); /* still CSI */
	wait_us(&r, PLL_LOCK_US);
	assert_true(rd(&r, H5) & (1u << 25));
	assert_int_equal(rd(&r, H5_CFGR1) & 0x38u, 3u << 3);
	assert_int_equal(r.soc.env.clocks.sysclk, 240 * MHZ);
	/* HPRE /1, PPRE2 /4 (101): APB2 60 MHz, PPRE1 /2: APB1 120 MHz. */
	wr(&r, H5_CFGR2, 4u << 4 | 5u << 8);
	assert_int_equal(r.soc.env.clocks.hclk, 240 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk2, 60 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk1, 120 * MHZ);
	assert_int_equal(usart1_kernel(&r), 60 * MHZ);
	wr(&r, H5_CCIPR1, 3u); /* USART1SEL = hsi_ker */
	assert_int_equal(usart1_kernel(&r), 32 * MHZ);
	wr(&r, H5_CCIPR1, 4u); /* csi_ker */
	assert_int_equal(usart1_kernel(&r), 4 * MHZ);
	/* Without PLL1PEN the P output stops. */
	clear(&r, H5_PLL1CFGR, 1u << 16);
	assert_int_equal(r.soc.env.clocks.sysclk, 0);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_int_equal(rd(&r, H5_RSR), 0x0C000000u | 1u << 28); /* + SFTRSTF */
	assert_int_equal(r.soc.env.clocks.sysclk, 32 * MHZ);
	sim_soc_reset(&r.soc, SIM_RESET_IWDG);
	assert_true(rd(&r, H5_RSR) & (1u << 29));
	wr(&r, H5_RSR, 1u << 23);
	assert_int_equal(rd(&r, H5_RSR), 0);
	rig_down(&r);
}

/* U575: RCC at 0x46020C00. */
#define U5 0x46020C00u
#define U5_ICSCR1 (U5 + 0x08)
#define U5_CFGR1 (U5 + 0x1C)
#define U5_CFGR2 (U5 + 0x20)
#define U5_PLL1CFGR (U5 + 0x28)
#define U5_PLL1DIVR (U5 + 0x34)
#define U5_CCIPR1 (U5 + 0xE0)
#define U5_CSR (U5 + 0xF4)

static void u5_msis_hsi16_pll1_and_flags(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, "stm32u575");
	assert_int_equal(rd(&r, U5), 0x35u);
	assert_int_equal(r.soc.env.clocks.sysclk, 4 * MHZ);
	assert_int_equal(rd(&r, U5_CSR), 0x0C004400u); /* PINRSTF, BORRSTF; MSISSRANGE 4 MHz */
	/* MSIRGSEL picks ICSCR1.MSISRANGE: range 0 is 48 MHz. */
	wr(&r, U5_ICSCR1, 1u << 23 | 0u << 28);
	assert_int_equal(r.soc.env.clocks.sysclk, 48 * MHZ);
	/* HSI16 (HSION 8, HSIRDY 10), SW = 1. */
	set(&r, U5, 1u << 8);
	assert_true(rd(&r, U5) & (1u << 10));
	wr(&r, U5_CFGR1, 1u);
	assert_int_equal(rd(&r, U5_CFGR1) & 0xFu, 1u | 1u << 2);
	assert_int_equal(r.soc.env.clocks.sysclk, 16 * MHZ);
	/* PLL1 from HSI16 / M 1 x N 10 / R 1 = 160 MHz (R runs SYSCLK on U5). */
	wr(&r, U5_PLL1CFGR, 2u | 0u << 8 | 1u << 18);
	wr(&r, U5_PLL1DIVR, 9u | 1u << 9 | 1u << 16 | 0u << 24);
	set(&r, U5, 1u << 24);
	wr(&r, U5_CFGR1, 3u);
	wait_us(&r, PLL_LOCK_US / 2);
	assert_int_equal(rd(&r, U5_CFGR1) & 0xCu, 1u << 2);
	wait_us(&r, PLL_LOCK_US / 2);
	assert_int_equal(rd(&r, U5_CFGR1) & 0xCu, 3u << 2);
	assert_int_equal(r.soc.env.clocks.sysclk, 160 * MHZ);
	/* HPRE /2, PPRE2 /2: APB2 40 MHz. */
	wr(&r, U5_CFGR2, 8u | 4u << 8);
	assert_int_equal(r.soc.env.clocks.hclk, 80 * MHZ);
	assert_int_equal(usart1_kernel(&r), 40 * MHZ);
	wr(&r, U5_CCIPR1, 1u); /* SYSCLK */
	assert_int_equal(usart1_kernel(&r), 160 * MHZ);
	wr(&r, U5_CCIPR1, 2u); /* HSI16 */
	assert_int_equal(usart1_kernel(&r), 16 * MHZ);
	clear(&r, U5_PLL1CFGR, 1u << 18); /* PLL1REN */
	assert_int_equal(r.soc.env.clocks.sysclk, 0);
	sim_soc_reset(&r.soc, SIM_RESET_OBL_LAUNCH);
	assert_true(rd(&r, U5_CSR) & (1u << 25)); /* OBLRSTF */
	sim_soc_reset(&r.soc, SIM_RESET_IWDG);
	assert_true(rd(&r, U5_CSR) & (1u << 29));
	set(&r, U5_CSR, 1u << 23); /* RMVF; the MSI ranges stay */
	assert_int_equal(rd(&r, U5_CSR), 0x4400u);
	assert_int_equal(r.soc.env.clocks.sysclk, 4 * MHZ);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(h7_reset_state_and_hsi_csi),
		cmocka_unit_test(h7_pll1_locks_then_runs_the_core),
		cmocka_unit_test(h7_pll1_without_input_never_locks),
		cmocka_unit_test(h7_reset_flags),
		cmocka_unit_test(h5_switching_pll1_and_flags),
		cmocka_unit_test(u5_msis_hsi16_pll1_and_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
