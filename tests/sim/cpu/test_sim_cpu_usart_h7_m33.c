/* RCC in its reset state and USART1 on H7, H5, L5 and U5: a hand-assembled
 * Thumb program in RAM enables the GPIOA and USART1 clocks (they read
 * back), sets BRR for 115200 baud at the reset clock (H743 HSI 64 MHz,
 * H563 HSI / 2 = 32 MHz, L552 and U575 MSI 4 MHz, all prescalers /1) and
 * writes one byte to TDR; the byte arrives through usart_tx with the baud
 * BRR gives at that clock. Offsets: RM0433 (RCC 0x58024400, AHB4ENR 0xE0,
 * APB2ENR 0xF0 bit 4, USART1 0x40011000), RM0481 (RCC 0x44020C00, AHB2ENR
 * 0x8C, APB2ENR 0xA4 bit 14), RM0438 (RCC 0x40021000, AHB2ENR 0x4C,
 * APB2ENR 0x60 bit 14), RM0456 (RCC 0x46020C00, AHB2ENR1 0x8C, APB2ENR 0xA4
 * bit 14); USART1 at 0x40013800 (non-secure) on the M33 parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/cpu.h"

#define T_MOVS(rd, imm) (uint16_t)(0x2000u | (rd) << 8 | (imm))
#define T_STR(rt, rn, w) (uint16_t)(0x6000u | (w) << 6 | (rn) << 3 | (rt)) /* [rn, #4w] */
#define T_LDR(rt, rn, w) (uint16_t)(0x6800u | (w) << 6 | (rn) << 3 | (rt))
#define T_B_SELF 0xE7FEu
#define T_ORRS(rdn, rm) (uint16_t)(0x4300u | (rm) << 3 | (rdn))
#define T_ANDS(rdn, rm) (uint16_t)(0x4000u | (rm) << 3 | (rdn))
#define T_TST(rn, rm) (uint16_t)(0x4200u | (rm) << 3 | (rn))
#define T_CMP(rn, imm) (uint16_t)(0x2800u | (rn) << 8 | (imm))
/* B<cond> back to instruction index `to` from index `from`. */
#define T_BCOND(cond, from, to) (uint16_t)(0xD000u | (cond) << 8 | (((to) - (from) - 2) & 0xFFu))
#define COND_EQ 0u
#define COND_NE 1u

#define MAIN 0x200u
#define DATA 0x400u

struct part {
	const char *device;
	uint32_t rcc, gpio_enr, apb2enr, usart1_en, usart1;
	uint32_t brr, baud; /* baud = (clock + brr / 2) / brr */
	uint32_t rcc_cr;    /* CR's reset value: the reset clock on and ready */
};

struct rig {
	struct sim_chip chip;
	struct sim_cpu *cpu;
	uint32_t base;
	unsigned tx_count, tx_usart;
	uint8_t tx_byte;
	uint32_t tx_baud;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct rig *r = user;
	r->tx_count++;
	r->tx_usart = usart;
	r->tx_byte = byte;
	r->tx_baud = baud;
}

static uint8_t *at(struct rig *r, uint32_t offset)
{
	return r->chip.ram + (r->base - SIM_RAM_BASE) + offset;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Code with "LDR rt, =literal" resolved against a pool after it. */
struct routine {
	uint16_t code[64];
	size_t n;
	uint32_t lit[16];
	size_t nlit, lit_at[16];
};

static void emit(struct routine *t, uint16_t insn) { t->code[t->n++] = insn; }

static void ldr_lit(struct routine *t, unsigned rt, uint32_t value)
{
	t->lit_at[t->nlit] = t->n;
	t->lit[t->nlit++] = value;
	emit(t, (uint16_t)(0x4800u | rt << 8));
}

/* imm8 = (pool entry - Align(PC + 4, 4)) / 4 (ARMv7-M A7.7.43). */
static void place(struct rig *r, struct routine *t, uint32_t offset)
{
	uint32_t addr = r->base + offset;
	uint32_t pool = (addr + 2u * (uint32_t)t->n + 3u) & ~3u;
	for (size_t i = 0; i < t->nlit; i++) {
		uint32_t pc = addr + 2u * (uint32_t)t->lit_at[i];
		t->code[t->lit_at[i]] |= (uint16_t)((pool + 4u * (uint32_t)i - ((pc + 4u) & ~3u)) / 4u);
		put32(at(r, pool - r->base + 4u * (uint32_t)i), t->lit[i]);
	}
	for (size_t i = 0; i < t->n; i++) {
		at(r, offset)[2 * i] = (uint8_t)t->code[i];
		at(r, offset)[2 * i + 1] = (uint8_t)(t->code[i] >> 8);
	}
}

static void program(struct rig *r, const struct part *p)
{
	struct routine m = {0};
	ldr_lit(&m, 3, r->base + DATA);
	ldr_lit(&m, 0, p->rcc + p->gpio_enr);
	emit(&m, T_MOVS(1, 1)); /* GPIOAEN */
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_LDR(2, 0, 0));
	emit(&m, T_STR(2, 3, 0)); /* DATA: the GPIO enable read back */
	ldr_lit(&m, 0, p->rcc + p->apb2enr);
	ldr_lit(&m, 1, p->usart1_en);
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_LDR(2, 0, 0));
	emit(&m, T_STR(2, 3, 1)); /* DATA + 4: APB2ENR read back */
	ldr_lit(&m, 0, p->rcc);
	emit(&m, T_LDR(2, 0, 0));
	emit(&m, T_STR(2, 3, 2)); /* DATA + 8: RCC_CR */
	ldr_lit(&m, 0, p->usart1);
	ldr_lit(&m, 1, p->brr);
	emit(&m, T_STR(1, 0, 3));  /* BRR 0x0C */
	emit(&m, T_MOVS(1, 9));    /* CR1: UE | TE */
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_MOVS(1, 'K'));
	emit(&m, T_STR(1, 0, 10)); /* TDR 0x28 */
	emit(&m, T_B_SELF);
	place(r, &m, MAIN);
	put32(at(r, 0), r->chip.dev->ram_end & ~7u);
	put32(at(r, 4), (r->base + MAIN) | 1u);
}

static void run_part(const struct part *p)
{
	struct rig r;
	memset(&r, 0, sizeof(r));
	const struct stm32_device *dev = stm32_device_find(p->device);
	assert_non_null(dev);
	assert_true(sim_chip_init(&r.chip, dev));
	struct sim_cpu_callbacks cb = {.usart_tx = on_tx, .user = &r};
	char err[128];
	r.cpu = sim_cpu_new(&r.chip, &cb, err, sizeof(err));
	if (!r.cpu)
		fail_msg("%s: %s", p->device, err);
	r.base = dev->ram_start;
	program(&r, p);
	sim_cpu_memory_changed(r.cpu, r.base, 0x800);
	assert_true(sim_cpu_go(r.cpu, r.base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 2000);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(get32(at(&r, DATA)), 1);
	assert_int_equal(get32(at(&r, DATA + 4)), p->usart1_en);
	assert_int_equal(get32(at(&r, DATA + 8)), p->rcc_cr);
	assert_int_equal(r.tx_count, 1);
	assert_int_equal(r.tx_usart, 1);
	assert_int_equal(r.tx_byte, 'K');
	assert_int_equal(r.tx_baud, p->baud);
	const struct sim_cpu_stats *st = sim_cpu_stats(r.cpu);
	assert_int_equal(st->usart_tx[1], 1);
	assert_int_equal(st->unmodelled_accesses, 0); /* RCC and USART1 both answered */
	sim_cpu_free(r.cpu);
	sim_chip_free(&r.chip);
}

static void h743_hsi_64mhz(void **state)
{
	(void)state;
	run_part(&(struct part){"stm32h743zi", 0x58024400u, 0xE0, 0xF0, 1u << 4, 0x40011000u, 556,
				115108u, 0x25u});
}

static void h563_hsi_div2_32mhz(void **state)
{
	(void)state;
	run_part(&(struct part){"stm32h563zi", 0x44020C00u, 0x8C, 0xA4, 1u << 14, 0x40013800u, 278,
				115108u, 0x2Bu});
}

static void l552_msi_4mhz(void **state)
{
	(void)state;
	run_part(&(struct part){"stm32l552", 0x40021000u, 0x4C, 0x60, 1u << 14, 0x40013800u, 35,
				114286u, 0x63u});
}

static void u575_msis_4mhz(void **state)
{
	(void)state;
	run_part(&(struct part){"stm32u575", 0x46020C00u, 0x8C, 0xA4, 1u << 14, 0x40013800u, 35,
				114286u, 0x35u});
}

/* H743 (RM0433): the program runs PLL1 from HSI (64 MHz / DIVM1 4 x DIVN1
 * 50 / DIVP1 2 = 400 MHz), waits for PLL1RDY, sets HPRE /2 and D2PPRE2 /2
 * (APB2 100 MHz), switches SW to PLL1 and waits for SWS, then sets BRR for
 * 115200 baud at 100 MHz (868) and sends one byte: it leaves at the baud
 * the RM's clock tree gives, after the PLL's lock time. */
static void h743_program_switches_to_pll1_then_sets_brr(void **state)
{
	(void)state;
	struct rig r;
	memset(&r, 0, sizeof(r));
	const struct stm32_device *dev = stm32_device_find("stm32h743zi");
	assert_non_null(dev);
	assert_true(sim_chip_init(&r.chip, dev));
	struct sim_cpu_callbacks cb = {.usart_tx = on_tx, .user = &r};
	char err[128];
	r.cpu = sim_cpu_new(&r.chip, &cb, err, sizeof(err));
	if (!r.cpu)
		fail_msg("%s", err);
	r.base = dev->ram_start;
	struct routine m = {0};
	ldr_lit(&m, 0, 0x58024400u);
	ldr_lit(&m, 1, 4u << 4);
	emit(&m, T_STR(1, 0, 10)); /* PLLCKSELR 0x28: HSI, DIVM1 4 */
	ldr_lit(&m, 1, 49u | 1u << 9 | 1u << 16 | 1u << 24);
	emit(&m, T_STR(1, 0, 12)); /* PLL1DIVR 0x30 */
	ldr_lit(&m, 1, 1u << 24);
	emit(&m, T_LDR(2, 0, 0));
	emit(&m, T_ORRS(2, 1));
	emit(&m, T_STR(2, 0, 0)); /* CR |= PLL1ON */
	ldr_lit(&m, 1, 1u << 25);
	size_t wait_rdy = m.n;
	emit(&m, T_LDR(2, 0, 0));
	emit(&m, T_TST(2, 1));
	emit(&m, T_BCOND(COND_EQ, m.n, wait_rdy)); /* until PLL1RDY */
	emit(&m, T_MOVS(1, 8));
	emit(&m, T_STR(1, 0, 6)); /* D1CFGR 0x18: HPRE /2 */
	ldr_lit(&m, 1, 4u << 8);
	emit(&m, T_STR(1, 0, 7)); /* D2CFGR 0x1C: D2PPRE2 /2 */
	emit(&m, T_MOVS(1, 3));
	emit(&m, T_STR(1, 0, 4)); /* CFGR 0x10: SW = PLL1 */
	emit(&m, T_MOVS(1, 0x38));
	size_t wait_sws = m.n;
	emit(&m, T_LDR(2, 0, 4));
	emit(&m, T_ANDS(2, 1));
	emit(&m, T_CMP(2, 0x18));
	emit(&m, T_BCOND(COND_NE, m.n, wait_sws)); /* until SWS = PLL1 */
	ldr_lit(&m, 0, 0x40011000u);
	ldr_lit(&m, 1, 868);
	emit(&m, T_STR(1, 0, 3)); /* BRR */
	emit(&m, T_MOVS(1, 9));   /* CR1: UE | TE */
	emit(&m, T_STR(1, 0, 0));
	emit(&m, T_MOVS(1, 'P'));
	emit(&m, T_STR(1, 0, 10)); /* TDR */
	emit(&m, T_B_SELF);
	place(&r, &m, MAIN);
	put32(at(&r, 0), r.chip.dev->ram_end & ~7u);
	put32(at(&r, 4), (r.base + MAIN) | 1u);
	sim_cpu_memory_changed(r.cpu, r.base, 0x800);
	assert_true(sim_cpu_go(r.cpu, r.base, NULL));
	struct sim_cpu_stop_info s = sim_cpu_run(r.cpu, 20000);
	assert_int_equal(s.reason, SIM_CPU_STOP_BUDGET);
	assert_int_equal(r.tx_count, 1);
	assert_int_equal(r.tx_byte, 'P');
	assert_int_equal(r.tx_baud, 115207u); /* 100 MHz / 868 */
	/* The wait took the lock time: 100 µs of polling at 64 MHz. */
	assert_true(sim_cpu_time_ns(r.cpu) >= 100000u);
	sim_cpu_free(r.cpu);
	sim_chip_free(&r.chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(h743_hsi_64mhz),
		cmocka_unit_test(h563_hsi_div2_32mhz),
		cmocka_unit_test(l552_msi_4mhz),
		cmocka_unit_test(u575_msis_4mhz),
		cmocka_unit_test(h743_program_switches_to_pll1_then_sets_brr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
