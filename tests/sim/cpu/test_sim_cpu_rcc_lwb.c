/* RCC and USART1 of L0 (RM0377), L1 (RM0038), WB (RM0434) and WL
 * (RM0453), and the PLLM width of G4/L5/L4: the clock a program's setup polls for, the reset flags, and a
 * byte out of USART1 at the baud its BRR and kernel clock give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"

#define USART1 0x40013800u

struct tx_log {
	uint8_t byte;
	uint32_t baud;
	unsigned count;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct tx_log *log = user;
	assert_int_equal(usart, 1);
	log->byte = byte;
	log->baud = baud;
	log->count++;
}

struct rig {
	struct sim_chip chip;
	struct sim_cpu_stats stats;
	struct sim_cpu_callbacks callbacks;
	struct tx_log tx;
	struct sim_soc soc;
};

static void rig_up(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	r->callbacks = (struct sim_cpu_callbacks){.usart_tx = on_tx, .user = &r->tx};
	sim_soc_init(&r->soc, sim_family_info(dev->family), &r->chip, &r->stats, &r->callbacks);
}

static void rig_down(struct rig *r) { sim_chip_free(&r->chip); }
static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void set(struct rig *r, uint32_t a, uint32_t bits) { wr(r, a, rd(r, a) | bits); }

/* New-layout USART1: BRR 0x0C, CR1 UE 0 + TE 3, TDR 0x28. */
static void send_new(struct rig *r, uint32_t brr)
{
	wr(r, USART1 + 0x0C, brr);
	wr(r, USART1 + 0x00, 1u | 1u << 3);
	assert_true(rd(r, USART1 + 0x1C) & (1u << 21)); /* TEACK */
	wr(r, USART1 + 0x28, 'L');
}

static void l0_msi_at_reset_pll_from_hsi16_and_usart1(void **state)
{
	(void)state;
	struct rig r;
	const uint32_t rcc = 0x40021000u;
	rig_up(&r, "stm32l07x");
	assert_int_equal(r.soc.env.clocks.sysclk, 2097152u); /* MSI range 5 */
	assert_int_equal(rd(&r, rcc + 0x50) & 0x0C000000u, 0x0C000000u); /* PORRSTF, PINRSTF */
	set(&r, rcc, 1u << 0); /* HSI16ON */
	assert_true(rd(&r, rcc) & (1u << 2)); /* HSI16RDYF */
	wr(&r, rcc + 0x0C, 1u << 18 | 1u << 22); /* PLLMUL x4, PLLDIV /2 */
	set(&r, rcc, 1u << 24);
	assert_true(rd(&r, rcc) & (1u << 25)); /* PLLRDY */
	set(&r, rcc + 0x0C, 3u);                /* SW = PLL */
	assert_int_equal(rd(&r, rcc + 0x0C) & 0xCu, 0xCu); /* SWS = PLL */
	assert_int_equal(r.soc.env.clocks.sysclk, 32000000u);
	send_new(&r, 32000000u / 115200u);
	assert_int_equal(r.tx.count, 1);
	assert_int_equal(r.tx.byte, 'L');
	assert_int_equal(r.tx.baud, 115523u); /* 32 MHz / 277 */
	wr(&r, rcc + 0x4C, 2u); /* USART1SEL = HSI16 */
	assert_int_equal(r.soc.env.clocks.usart_kernel[1], 16000000u);
	sim_soc_reset(&r.soc, SIM_RESET_SYSRESETREQ);
	assert_true(rd(&r, rcc + 0x50) & (1u << 28)); /* SFTRSTF */
	set(&r, rcc + 0x50, 1u << 23);                /* RMVF */
	assert_int_equal(rd(&r, rcc + 0x50) & 0xFF000000u, 0);
	rig_down(&r);
}

static void l1_msi_at_reset_hsi_switch_and_old_layout_usart1(void **state)
{
	(void)state;
	struct rig r;
	const uint32_t rcc = 0x40023800u;
	rig_up(&r, "stm32l1-cat3");
	assert_int_equal(r.soc.env.clocks.sysclk, 2097152u);
	assert_true(rd(&r, rcc) & (1u << 9)); /* MSIRDY */
	set(&r, rcc, 1u << 0);                /* HSION */
	assert_true(rd(&r, rcc) & (1u << 1)); /* HSIRDY */
	set(&r, rcc + 0x08, 1u);              /* SW = HSI */
	assert_int_equal(rd(&r, rcc + 0x08) & 0xCu, 0x4u);
	assert_int_equal(r.soc.env.clocks.pclk2, 16000000u);
	wr(&r, USART1 + 0x08, 16000000u / 57600u); /* BRR */
	wr(&r, USART1 + 0x0C, 1u << 13 | 1u << 3); /* UE, TE */
	assert_true(rd(&r, USART1 + 0x00) & (1u << 7)); /* TXE */
	wr(&r, USART1 + 0x04, 'M');
	assert_int_equal(r.tx.byte, 'M');
	assert_int_equal(r.tx.baud, 57762u); /* 16 MHz / 277 */
	sim_soc_reset(&r.soc, SIM_RESET_IWDG);
	assert_true(rd(&r, rcc + 0x34) & (1u << 29)); /* IWDGRSTF */
	set(&r, rcc + 0x34, 1u << 24);                /* RMVF */
	assert_int_equal(rd(&r, rcc + 0x34) & 0xFE000000u, 0);
	rig_down(&r);
}

/* WB/WL: RCC at 0x58000000, HSION 8 / HSIRDY 10, PLLCFGR R at 31:29. */
static void wb_wl_pll(const char *device, uint32_t n, uint32_t hz)
{
	struct rig r;
	const uint32_t rcc = 0x58000000u;
	rig_up(&r, device);
	assert_int_equal(r.soc.env.clocks.sysclk, 4000000u); /* MSI 4 MHz */
	set(&r, rcc, 1u << 8);
	assert_true(rd(&r, rcc) & (1u << 10));
	wr(&r, rcc + 0x0C, 2u | n << 8 | 1u << 28 | 1u << 29); /* HSI16 x N / 2 */
	set(&r, rcc, 1u << 24);
	assert_true(rd(&r, rcc) & (1u << 25));
	set(&r, rcc + 0x08, 3u);
	assert_int_equal(rd(&r, rcc + 0x08) & 0xCu, 0xCu);
	assert_int_equal(r.soc.env.clocks.sysclk, hz);
	wr(&r, rcc + 0x88, 2u); /* USART1SEL = HSI16 */
	send_new(&r, 16000000u / 115200u);
	assert_int_equal(r.tx.byte, 'L');
	assert_int_equal(r.tx.baud, 115942u); /* 16 MHz / 138 */
	rig_down(&r);
}

static void wb_and_wl_clock_setup_and_usart1(void **state)
{
	(void)state;
	wb_wl_pll("stm32wb55", 8, 64000000u);
	wb_wl_pll("stm32wl55", 6, 48000000u);
}

/* PLLM is 4 bits (7:4) on G4 (RM0440) and L5 (RM0438), 3 bits (6:4) on L4
 * (RM0351), per the SVD register tables: HSI16 / M x N / R with M = 10
 * (field 9) needs the fourth bit; on L4 the same word reads M = 2. */
static void pllm_width_per_family(void **state)
{
	(void)state;
	static const struct { const char *device; uint32_t hz; } parts[] = {
		{"stm32g431", 16000000u / 10 * 80 / 2},
		{"stm32l552", 16000000u / 10 * 80 / 2},
		{"stm32l476rg", 16000000u / 2 * 80 / 2},
	};
	const uint32_t rcc = 0x40021000u;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct rig r;
		rig_up(&r, parts[i].device);
		set(&r, rcc, 1u << 8); /* HSION */
		wr(&r, rcc + 0x0C, 2u | 9u << 4 | 80u << 8 | 1u << 24); /* HSI16, M, N, REN, R /2 */
		set(&r, rcc, 1u << 24);
		set(&r, rcc + 0x08, 3u);
		assert_int_equal(rd(&r, rcc + 0x08) & 0xCu, 0xCu);
		assert_int_equal(r.soc.env.clocks.sysclk, parts[i].hz);
		rig_down(&r);
	}
}

/* The stub's settings (stub/clock.c): HSI16 / 1 x 8 / 2 = 64 MHz on G0
 * (PLLR 31:29) and L4 (PLLR 26:25), and the same on L4 with
 * --faults pll-stuck=1: PLLRDY never follows PLLON, SWS stays on HSI16
 * and so does the clock. */
static void the_stub_s_pll_settings_and_a_pll_that_never_locks(void **state)
{
	(void)state;
	static const struct {
		const char *device;
		uint32_t cfg, sw, sws;
	} parts[] = {
		{"stm32g071rb", 2u | 8u << 8 | 1u << 28 | 1u << 29, 2u, 2u << 3},
		{"stm32l476rg", 2u | 8u << 8 | 1u << 24, 3u, 3u << 2},
	};
	const uint32_t rcc = 0x40021000u;
	for (int stuck = 0; stuck < 2; stuck++)
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			struct rig r;
			memset(&r, 0, sizeof(r));
			const struct stm32_device *dev = stm32_device_find(parts[i].device);
			assert_non_null(dev);
			assert_true(sim_chip_init(&r.chip, dev));
			r.chip.pll_stuck = stuck;
			sim_soc_init(&r.soc, sim_family_info(dev->family), &r.chip, &r.stats, NULL);
			uint32_t sw_mask = parts[i].sw == 2u ? 7u : 3u; /* SWS (read-only) kept */
			set(&r, rcc, 1u << 8); /* HSION */
			wr(&r, rcc + 0x08, (rd(&r, rcc + 0x08) & ~sw_mask) | (parts[i].sw == 2u ? 0u : 1u));
			wr(&r, rcc + 0x0C, parts[i].cfg);
			set(&r, rcc, 1u << 24);
			assert_int_equal(rd(&r, rcc) & (1u << 25), stuck ? 0 : 1u << 25);
			wr(&r, rcc + 0x08, (rd(&r, rcc + 0x08) & ~sw_mask) | parts[i].sw);
			uint32_t sws = rd(&r, rcc + 0x08) & (7u << (parts[i].sw == 2u ? 3 : 2));
			assert_int_equal(sws, stuck ? (parts[i].sw == 2u ? 0u : 1u << 2) : parts[i].sws);
			assert_int_equal(r.soc.env.clocks.sysclk, stuck ? 16000000u : 64000000u);
			assert_int_equal(r.soc.env.clocks.usart_kernel[1], stuck ? 16000000u : 64000000u);
			rig_down(&r);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pllm_width_per_family),
		cmocka_unit_test(l0_msi_at_reset_pll_from_hsi16_and_usart1),
		cmocka_unit_test(l1_msi_at_reset_hsi_switch_and_old_layout_usart1),
		cmocka_unit_test(wb_and_wl_clock_setup_and_usart1),
		cmocka_unit_test(the_stub_s_pll_settings_and_a_pll_that_never_locks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
