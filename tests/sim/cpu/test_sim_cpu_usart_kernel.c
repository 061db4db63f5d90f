/* The kernel-clock selection of USART2 and USART3 in every RCC layout
 * that has one (F0/F3 CFGR3, F7 DCKCFGR2, G0/L0/L4/G4/WL CCIPR, H7
 * D2CCIP2R, H5/U5 CCIPR1): a program that picks HSI16 (HSI, hsi_ker),
 * SYSCLK or CSI for the USART and sets BRR for that clock sends a byte at
 * the rate the host reads intact, a BRR computed for PCLK under the other
 * clock is garbage on the line, LSE (not fitted) sends nothing, and a part
 * whose RCC has no field for that USART keeps it on its bus clock
 * whatever is written there. Field positions: src/sim/cpu/rcc.c and
 * rcc_h7.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/wire.h"
#include "chip/chip.h"
#include "cpu/soc.h"

#define MHZ 1000000u
#define HOST_BAUD 115200u
#define USART2 0x40004400u
#define USART3 0x40004800u

struct rig {
	struct sim_chip chip;
	struct sim_cpu_stats stats;
	struct sim_cpu_callbacks callbacks;
	struct sim_soc soc;
	unsigned count, usart;
	uint8_t byte;
	uint32_t baud;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct rig *r = user;
	r->count++;
	r->usart = usart;
	r->byte = byte;
	r->baud = baud;
}

static void up(struct rig *r, const char *device)
{
	memset(r, 0, sizeof(*r));
	const struct stm32_device *dev = stm32_device_find(device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r->chip, dev));
	r->callbacks = (struct sim_cpu_callbacks){.usart_tx = on_tx, .user = r};
	sim_soc_init(&r->soc, sim_family_info(dev->family), &r->chip, &r->stats, &r->callbacks);
}

static void down(struct rig *r) { sim_chip_free(&r->chip); }
static void wr(struct rig *r, uint32_t a, uint32_t v) { sim_mmio_write(&r->soc.bus, a, 4, v, 0); }
static uint32_t rd(struct rig *r, uint32_t a) { return sim_mmio_read(&r->soc.bus, a, 4, 0); }
static void set(struct rig *r, uint32_t a, uint32_t bits) { wr(r, a, rd(r, a) | bits); }

/* A program polling ISR.TXE (bit 7) before it writes TDR; time passes
 * while it waits (the byte before leaves at its baud). */
static void wait_txe(struct rig *r, uint32_t usart)
{
	for (int i = 0; i < 100000 && !(rd(r, usart + 0x1C) & (1u << 7)); i++)
		r->soc.env.now_ps += 1000000u; /* 1 us */
}

/* New layout: BRR 0x0C, CR1 UE 0 + TE 3, TDR 0x28. True when a byte left. */
static bool send(struct rig *r, uint32_t usart, uint32_t clock_hz, uint8_t byte)
{
	wait_txe(r, usart);
	unsigned before = r->count;
	wr(r, usart + 0x0C, (clock_hz + HOST_BAUD / 2) / HOST_BAUD);
	wr(r, usart + 0x00, 1u | 1u << 3);
	wr(r, usart + 0x28, byte);
	return r->count != before;
}

/* What a host at 115200 reads of the last byte sent. */
static bool host_reads_intact(const struct rig *r)
{
	bool framing_error;
	uint8_t got = sim_uart_resample(r->byte, r->baud, HOST_BAUD, &framing_error);
	return got == r->byte && !framing_error;
}

static void expect_clean(struct rig *r, uint32_t usart, uint32_t clock_hz, unsigned index)
{
	assert_true(send(r, usart, clock_hz, 0x5A));
	assert_int_equal(r->usart, index);
	uint32_t brr = (clock_hz + HOST_BAUD / 2) / HOST_BAUD;
	assert_int_equal(r->baud, (clock_hz + brr / 2) / brr);
	assert_true(host_reads_intact(r));
}

static void expect_garbled(struct rig *r, uint32_t usart, uint32_t wrong_clock_hz)
{
	assert_true(send(r, usart, wrong_clock_hz, 0x5A));
	assert_false(host_reads_intact(r));
}

/* G071 (RM0444): CCIPR 0x54, USART2SEL 3:2; after the ROM's 24 MHz PLL. */
static void g0_usart2_hsi16_sysclk_lse(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32g071rb");
	const uint32_t ccipr = 0x40021054u;
	sim_rcc_rom_handoff(&r.soc.rcc, 24 * MHZ);
	assert_int_equal(r.soc.env.clocks.pclk1, 24 * MHZ);
	expect_clean(&r, USART2, 24 * MHZ, 2); /* PCLK at reset */
	wr(&r, ccipr, 2u << 2);                /* HSI16 */
	expect_clean(&r, USART2, 16 * MHZ, 2);
	expect_garbled(&r, USART2, 24 * MHZ);
	wr(&r, ccipr, 1u << 2); /* SYSCLK */
	expect_clean(&r, USART2, 24 * MHZ, 2);
	wr(&r, ccipr, 3u << 2); /* LSE: not fitted */
	assert_false(send(&r, USART2, 32768, 'x'));
	/* USART3SEL is G0B1's only: the G071's USART3 stays on PCLK. */
	wr(&r, ccipr, 2u << 4);
	expect_clean(&r, USART3, 24 * MHZ, 3);
	down(&r);
}

static void g0b1_usart3_hsi16_and_g03x_usart2_on_pclk(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32g0b1");
	wr(&r, 0x40021054u, 1u << 4); /* USART3SEL = SYSCLK (HSISYS 16 MHz) */
	sim_rcc_rom_handoff(&r.soc.rcc, 60 * MHZ);
	expect_clean(&r, USART3, 60 * MHZ, 3);
	wr(&r, 0x40021054u, 2u << 4); /* HSI16 */
	expect_clean(&r, USART3, 16 * MHZ, 3);
	down(&r);
	up(&r, "stm32g03x");
	sim_rcc_rom_handoff(&r.soc.rcc, 24 * MHZ);
	wr(&r, 0x40021054u, 2u << 2); /* no USART2SEL on G03x (RM0444) */
	expect_clean(&r, USART2, 24 * MHZ, 2);
	down(&r);
}

/* F303xC (RM0316): CFGR3 0x30, USART2SW 17:16: PCLK, SYSCLK, LSE, HSI. */
static void f3_usart2_hsi_lse_and_f334_without_the_field(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32f303xc");
	const uint32_t cfgr3 = 0x40021030u;
	sim_rcc_rom_handoff(&r.soc.rcc, 48 * MHZ);
	expect_clean(&r, USART2, 48 * MHZ, 2);
	wr(&r, cfgr3, 3u << 16); /* HSI 8 MHz */
	expect_clean(&r, USART2, 8 * MHZ, 2);
	expect_garbled(&r, USART2, 48 * MHZ);
	wr(&r, cfgr3, 2u << 16); /* LSE */
	assert_false(send(&r, USART2, 32768, 'x'));
	down(&r);
	up(&r, "stm32f303x8"); /* F3x4: USART2 has no field */
	sim_rcc_rom_handoff(&r.soc.rcc, 48 * MHZ);
	wr(&r, 0x40021030u, 3u << 16);
	expect_clean(&r, USART2, 48 * MHZ, 2);
	down(&r);
}

/* F07x (RM0091): CFGR3 USART2SW = SYSCLK after the ROM's 48 MHz. */
static void f0_usart2_sysclk(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32f07x");
	wr(&r, 0x40021030u, 1u << 16);
	assert_int_equal(sim_usart_kernel_hz(sim_soc_usart(&r.soc, 2)), 8 * MHZ);
	sim_rcc_rom_handoff(&r.soc.rcc, 48 * MHZ);
	expect_clean(&r, USART2, 48 * MHZ, 2);
	down(&r);
}

/* F74x (RM0385): DCKCFGR2 0x90, USART3SEL 5:4 = HSI (16 MHz). */
static void f7_usart3_hsi(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32f74x");
	sim_rcc_rom_handoff(&r.soc.rcc, 60 * MHZ);
	expect_clean(&r, USART3, 60 * MHZ, 3);
	wr(&r, 0x40023890u, 2u << 4);
	expect_clean(&r, USART3, 16 * MHZ, 3);
	down(&r);
}

/* L476 (RM0351), L031 (RM0377), WL55 (RM0453): CCIPR USARTnSEL. */
static void l4_l0_wl_usart2_usart3(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32l476rg");
	wr(&r, 0x40021088u, 2u << 4); /* USART3SEL = HSI16 */
	expect_clean(&r, USART3, 16 * MHZ, 3);
	wr(&r, 0x40021088u, 1u << 2); /* USART2SEL = SYSCLK: MSI 4 MHz */
	expect_clean(&r, USART2, 4 * MHZ, 2);
	expect_clean(&r, USART3, 4 * MHZ, 3); /* back on PCLK1 */
	down(&r);
	up(&r, "stm32l031");
	wr(&r, 0x4002104Cu, 2u << 2); /* USART2SEL = HSI16 */
	expect_clean(&r, USART2, 16 * MHZ, 2);
	wr(&r, 0x4002104Cu, 3u << 2); /* LSE */
	assert_false(send(&r, USART2, 32768, 'x'));
	down(&r);
	up(&r, "stm32wl55");
	sim_rcc_rom_handoff(&r.soc.rcc, 48 * MHZ);
	wr(&r, 0x58000088u, 2u << 2); /* USART2SEL = HSI16 */
	expect_clean(&r, USART2, 16 * MHZ, 2);
	down(&r);
}

/* H743 (RM0433): D2CCIP2R 0x54, USART234578SEL 2:0: hsi_ker (64 MHz),
 * csi_ker (off, then 4 MHz), LSE; USART1 keeps PCLK2. */
static void h7_usart234578sel(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32h743zi");
	const uint32_t rcc = 0x58024400u;
	wr(&r, rcc + 0x1C, 4u << 4); /* D2PPRE1 /2: PCLK1 32 MHz */
	expect_clean(&r, USART2, 32 * MHZ, 2);
	wr(&r, rcc + 0x54, 3u); /* hsi_ker */
	expect_clean(&r, USART2, 64 * MHZ, 2);
	expect_clean(&r, USART3, 64 * MHZ, 3);
	assert_int_equal(sim_usart_kernel_hz(sim_soc_usart(&r.soc, 1)), 64 * MHZ); /* PCLK2 */
	wr(&r, rcc + 0x54, 4u); /* csi_ker: CSI off, no clock */
	assert_false(send(&r, USART2, 4 * MHZ, 'x'));
	set(&r, rcc, 1u << 7); /* CSION */
	expect_clean(&r, USART2, 4 * MHZ, 2);
	wr(&r, rcc + 0x54, 5u); /* LSE */
	assert_false(send(&r, USART3, 32768, 'x'));
	down(&r);
}

/* H563 (RM0481): CCIPR1 0xD8, USART3SEL 8:6 = hsi_ker (HSI / 2 at reset). */
static void h5_usart3_hsi_ker(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32h563zi");
	wr(&r, 0x44020C00u + 0xD8, 3u << 6);
	expect_clean(&r, USART3, 32 * MHZ, 3);
	wr(&r, 0x44020C00u + 0x20, 4u << 4); /* PPRE1 /2 */
	expect_clean(&r, USART2, 16 * MHZ, 2);
	expect_clean(&r, USART3, 32 * MHZ, 3); /* hsi_ker is not on APB1 */
	down(&r);
}

/* U575 (RM0456): CCIPR1 0xE0, USART2SEL 3:2: HSI16 once on, SYSCLK. */
static void u5_usart2_hsi16_sysclk(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32u575");
	const uint32_t rcc = 0x46020C00u;
	wr(&r, rcc + 0xE0, 2u << 2);
	assert_false(send(&r, USART2, 16 * MHZ, 'x')); /* HSI16 off */
	set(&r, rcc, 1u << 8);                          /* HSION */
	expect_clean(&r, USART2, 16 * MHZ, 2);
	wr(&r, rcc + 0xE0, 1u << 2); /* SYSCLK: MSIS 4 MHz */
	expect_clean(&r, USART2, 4 * MHZ, 2);
	down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(g0_usart2_hsi16_sysclk_lse),
		cmocka_unit_test(g0b1_usart3_hsi16_and_g03x_usart2_on_pclk),
		cmocka_unit_test(f3_usart2_hsi_lse_and_f334_without_the_field),
		cmocka_unit_test(f0_usart2_sysclk),
		cmocka_unit_test(f7_usart3_hsi),
		cmocka_unit_test(l4_l0_wl_usart2_usart3),
		cmocka_unit_test(h7_usart234578sel),
		cmocka_unit_test(h5_usart3_hsi_ker),
		cmocka_unit_test(u5_usart2_hsi16_sysclk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
