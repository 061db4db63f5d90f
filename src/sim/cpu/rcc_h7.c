/* The RCC of the H7 (RM0433 §8, RM0455 §7), H5 (RM0481 §11) and U5 (RM0456
 * §11): the parts whose clock tree has a PLL1 with M/N/P/Q/R dividers and
 * a kernel-clock mux per USART. Register offsets and bit positions are the
 * RMs' register maps as ST's SVD files give them (the generated stm32-data
 * tables, reached by the search tool):
 *  - H7: CR (HSION 0, HSIRDY 2, HSIDIV 4:3, CSION 7, CSIRDY 8, PLL1ON 24,
 *    PLL1RDY 25), CFGR 0x10 (SW 2:0, SWS 5:3: HSI, CSI, HSE, PLL1),
 *    D1CFGR 0x18 (HPRE 3:0, D1PPRE 6:4, D1CPRE 11:8), D2CFGR 0x1C (D2PPRE1
 *    6:4, D2PPRE2 10:8), PLLCKSELR 0x28 (PLLSRC 1:0: HSI, CSI, HSE, none;
 *    DIVMk), PLLCFGR 0x2C (FRACEN, DIVP/Q/R enables), PLLkDIVR (N 8:0,
 *    P 15:9, Q 22:16, R 30:24, each the divider minus 1), D3CFGR 0x20
 *    (D3PPRE 6:4), D2CCIP2R 0x54 (USART234578SEL 2:0, USART16SEL 5:3), RSR 0xD0
 *    (RMVF 16, BORRSTF 21, PINRSTF 22, PORRSTF 23, SFTRSTF 24, IWDG1RSTF
 *    26; the C1_RSR alias at 0x130, where RM0455 has its only RSR);
 *  - H5: CR (HSION 0, HSIRDY 1, HSIDIV 4:3, CSION 8, CSIRDY 9, PLL1ON 24,
 *    PLL1RDY 25), CFGR1 0x1C (SW 2:0, SWS 5:3 as H7), CFGR2 0x20 (HPRE
 *    3:0, PPRE1 6:4, PPRE2 10:8, PPRE3 14:12), PLL1CFGR 0x28 (PLL1SRC 1:0:
 *    none, HSI, CSI, HSE; PLL1M 13:8; PLL1PEN 16), PLL2CFGR/PLL3CFGR
 *    after it, PLL1DIVR 0x34, CCIPR1 0xD8 (USARTnSEL 3 bits each), RSR
 *    0xF4 (RMVF 23, PINRSTF 26, BORRSTF 27,
 *    SFTRSTF 28, IWDGRSTF 29);
 *  - U5: CR (MSISON 0, MSISRDY 2, HSION 8, HSIRDY 10, PLL1ON 24, PLL1RDY
 *    25), ICSCR1 0x08 (MSIRGSEL 23, MSISRANGE 31:28), CFGR1 0x1C (SW 1:0,
 *    SWS 3:2: MSIS, HSI16, HSE, PLL1), CFGR2 0x20 (HPRE, PPRE1, PPRE2 as
 *    H5), CFGR3 0x24 (PPRE3 6:4), PLL1CFGR 0x28 (PLL1SRC 1:0: none, MSIS,
 *    HSI16, HSE; PLL1M 11:8 the divider minus 1; PLL1REN 18), PLL2CFGR and
 *    PLL3CFGR after it, PLL1DIVR 0x34 (R 30:24), CCIPR1 0xE0 (USARTnSEL 2
 *    bits each: PCLK, SYSCLK, HSI16, LSE), CSR 0xF4 (MSISSRANGE
 *    15:12, RMVF 23, OBLRSTF 25, PINRSTF 26, BORRSTF 27, SFTRSTF 28,
 *    IWDGRSTF 29).
 * SYSCLK from PLL1 is its P output on H7/H5, its R output on U5. Emulator
 * choices: the internal oscillators (HSI48 too) are ready as soon as they
 * are on, each PLL locks PLL_LOCK_PS after its PLLkON if its input runs
 * and M is not 0 (the datasheets give tens of microseconds), no HSE or LSE
 * is fitted. The U5 SVD-generated register file confirms the PLL2/PLL3
 * offsets and the 0x01010280 DIVR reset value. An oscillator in use (the
 * system clock, PLL1's input while PLL1 is) stays on, as the RMs say; the
 * H7 reset values of PLLCKSELR (0x02020200) and PLLCFGR (0x01FF0000) are
 * as remembered, not from the SVD tables. */
#include "cpu/periph.h"

#define PLL_LOCK_PS (100ull * 1000000ull) /* 100 µs */
#define CSI_HZ   4000000u
#define HSI16_HZ 16000000u
#define HSI64_HZ 64000000u
#define CR_PLL1ON  (1u << 24)
#define CR_PLL1RDY (1u << 25)
#define NO_BIT 0xFFu

enum { SRC_0, SRC_1, SRC_HSE, SRC_NONE }; /* SW values 0..2; PLL1 is 3 */

struct modern_shape {
	uint32_t cfgr;
	unsigned sw_bits;
	uint8_t sw_on[3], sw_rdy[3];   /* CR bits of the SW 0/1/2 oscillators */
	uint8_t other_on[5], other_rdy[5]; /* oscillators that only report ready */
	uint8_t pllsrc_to_src[4];      /* PLL1SRC value -> SW-numbered source */
	unsigned pllm_bits, pllm_plus;
	uint32_t ccipr;
	uint8_t usart_sel_shift[SIM_CPU_USARTS + 1]; /* by USART number */
	unsigned usart_sel_bits;
	uint32_t rsr, rsr_alias;
	uint32_t rsr_writable; /* bits of RSR/CSR that are not reserved or flags */
	unsigned rmvf;
	uint32_t flags_mask, power_on_flags;
	uint8_t sft, iwdg, obl;
};

static const struct modern_shape h7_shape = {
	.cfgr = 0x10, .sw_bits = 3,
	.sw_on = {0, 7, 16}, .sw_rdy = {2, 8, 17},
	.other_on = {12, NO_BIT, NO_BIT, NO_BIT, NO_BIT}, /* HSI48 */
	.other_rdy = {13, NO_BIT, NO_BIT, NO_BIT, NO_BIT},
	.pllsrc_to_src = {SRC_0, SRC_1, SRC_HSE, SRC_NONE},
	.pllm_bits = 6, .pllm_plus = 0,
	.ccipr = 0x54, .usart_sel_shift = {0, 3, 0, 0}, .usart_sel_bits = 3,
	.rsr = 0xD0, .rsr_alias = 0x130, .rsr_writable = 0, .rmvf = 16, .flags_mask = 0xFFFE0000u,
	/* POR, pin, BOR and both domains' resets at power-on */
	.power_on_flags = 1u << 23 | 1u << 22 | 1u << 21 | 1u << 20 | 1u << 19,
	.sft = 24, .iwdg = 26, .obl = NO_BIT,
};

static const struct modern_shape h5_shape = {
	.cfgr = 0x1C, .sw_bits = 3,
	.sw_on = {0, 8, 16}, .sw_rdy = {1, 9, 17},
	.other_on = {12, NO_BIT, NO_BIT, NO_BIT, NO_BIT}, /* HSI48 */
	.other_rdy = {13, NO_BIT, NO_BIT, NO_BIT, NO_BIT},
	.pllsrc_to_src = {SRC_NONE, SRC_0, SRC_1, SRC_HSE},
	.pllm_bits = 6, .pllm_plus = 0,
	.ccipr = 0xD8, .usart_sel_shift = {0, 0, 3, 6}, .usart_sel_bits = 3,
	.rsr = 0xF4, .rsr_alias = 0, .rsr_writable = 0, .rmvf = 23, .flags_mask = 0xFF000000u,
	.power_on_flags = 1u << 27 | 1u << 26,
	.sft = 28, .iwdg = 29, .obl = NO_BIT,
};

static const struct modern_shape u5_shape = {
	.cfgr = 0x1C, .sw_bits = 2,
	.sw_on = {0, 8, 16}, .sw_rdy = {2, 10, 17},
	.other_on = {4, 12, 14, NO_BIT, NO_BIT}, .other_rdy = {5, 13, 15, NO_BIT, NO_BIT},
	.pllsrc_to_src = {SRC_NONE, SRC_0, SRC_1, SRC_HSE},
	.pllm_bits = 4, .pllm_plus = 1,
	.ccipr = 0xE0, .usart_sel_shift = {0, 0, 2, 4}, .usart_sel_bits = 2,
	.rsr = 0xF4, .rsr_alias = 0, .rsr_writable = 0xFF00u, /* MSIKSRANGE, MSISSRANGE */
	.rmvf = 23, .flags_mask = 0xFF000000u, .power_on_flags = 1u << 27 | 1u << 26,
	.sft = 28, .iwdg = 29, .obl = 25,
};

static const struct modern_shape *shape(const struct sim_rcc *rcc)
{
	switch (rcc->layout) {
	case SIM_RCC_H7: return &h7_shape;
	case SIM_RCC_H5: return &h5_shape;
	case SIM_RCC_U5: return &u5_shape;
	default: return NULL;
	}
}

bool sim_rcc_is_modern(const struct sim_rcc *rcc) { return shape(rcc) != NULL; }

static uint32_t *reg(struct sim_rcc *rcc, uint32_t offset)
{
	return &rcc->regs[(offset / 4) % SIM_RCC_WORDS];
}
static uint32_t get(const struct sim_rcc *rcc, uint32_t offset)
{
	return rcc->regs[(offset / 4) % SIM_RCC_WORDS];
}
static uint32_t field(uint32_t v, unsigned shift, unsigned width)
{
	return (v >> shift) & ((1u << width) - 1u);
}
static bool bit(uint32_t v, unsigned n) { return n < 32 && ((v >> n) & 1u); }

/* HPRE/D1CPRE: 0xxx /1, 1000 /2 ... 1111 /512 (no /32); PPRE: 0xx /1, 100 /2 ... */
static uint32_t ahb_div(uint32_t pre)
{
	static const uint32_t div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
	return pre < 8 ? 1 : div[pre - 8];
}
static uint32_t apb_div(uint32_t ppre) { return ppre < 4 ? 1 : 1u << (ppre - 3); }

/* U5 MSIS: MSIRGSEL picks ICSCR1.MSISRANGE, else CSR.MSISSRANGE (RM0456). */
static uint32_t msis_hz(const struct sim_rcc *rcc)
{
	static const uint32_t range[16] = {48000000, 24000000, 16000000, 12000000, 4000000, 2000000,
					   1330000,  1000000,  3072000,  1536000,  1024000, 768000,
					   400000,   200000,   133000,   100000};
	uint32_t icscr1 = get(rcc, 0x08);
	return range[bit(icscr1, 23) ? field(icscr1, 28, 4) : field(get(rcc, 0xF4), 12, 4)];
}

/* The frequency of a SW-numbered source (not PLL1), 0 when it is not running. */
static uint32_t source_hz(const struct sim_rcc *rcc, unsigned src)
{
	const struct modern_shape *s = shape(rcc);
	uint32_t cr = get(rcc, 0);
	if (src >= SRC_HSE || !bit(cr, s->sw_rdy[src]))
		return 0;
	if (rcc->layout == SIM_RCC_U5)
		return src == SRC_0 ? msis_hz(rcc) : HSI16_HZ;
	return src == SRC_0 ? HSI64_HZ >> field(cr, 3, 2) : CSI_HZ;
}

/* Where PLLk (1..3) is configured. H7 (RM0433): one source for the
 * three in PLLCKSELR.PLLSRC, DIVMk there at 4 + 8(k-1), the output
 * enables DIVPkEN/DIVQkEN/DIVRkEN in PLLCFGR at 16 + 3(k-1), PLLkFRACEN
 * at 4(k-1), PLLkDIVR at 0x30 + 8(k-1) with PLLkFRACR after it. H5
 * (RM0481) and U5 (RM0456): PLLkCFGR at 0x28 + 4(k-1) with the source
 * (1:0), FRACEN (4), M (13:8; U5 11:8 holding M - 1) and the P/Q/R enables
 * (16-18), PLLkDIVR at 0x34 + 8(k-1). A DIVR holds N - 1 (8:0), P - 1
 * (15:9), Q - 1 (22:16), R - 1 (30:24); FRACN is FRACR 15:3. */
struct pll_regs {
	uint32_t src_reg, m_reg, en_reg, divr;
	unsigned m_shift, en_shift, fracen_bit;
};

static struct pll_regs pll_regs(const struct sim_rcc *rcc, unsigned k)
{
	unsigned i = k - 1;
	if (rcc->layout == SIM_RCC_H7)
		return (struct pll_regs){0x28, 0x28, 0x2C, 0x30 + 8 * i, 4 + 8 * i, 16 + 3 * i, 4 * i};
	uint32_t cfgr = 0x28 + 4 * i;
	return (struct pll_regs){cfgr, cfgr, cfgr, 0x34 + 8 * i, 8, 16, 4};
}

static unsigned pll_source(const struct sim_rcc *rcc, unsigned k)
{
	return shape(rcc)->pllsrc_to_src[field(get(rcc, pll_regs(rcc, k).src_reg), 0, 2)];
}

static uint32_t pll_m(const struct sim_rcc *rcc, unsigned k)
{
	const struct modern_shape *s = shape(rcc);
	struct pll_regs r = pll_regs(rcc, k);
	uint32_t m = field(get(rcc, r.m_reg), r.m_shift, s->pllm_bits);
	return m == 0 && s->pllm_plus == 0 ? 0 : m + s->pllm_plus; /* H7/H5: 0 disables */
}

static bool pll_input_runs(const struct sim_rcc *rcc, unsigned k)
{
	unsigned src = pll_source(rcc, k);
	return src != SRC_NONE && source_hz(rcc, src) != 0 && pll_m(rcc, k) != 0;
}

static bool pll_locked(const struct sim_rcc *rcc, unsigned k)
{
	return bit(get(rcc, 0), 25 + 2 * (k - 1)) && pll_input_runs(rcc, k);
}

/* VCO = input / M x (N + FRACN / 8192), FRACN counting while FRACEN is set. */
static uint64_t pll_vco_hz(const struct sim_rcc *rcc, unsigned k)
{
	struct pll_regs r = pll_regs(rcc, k);
	uint32_t n = field(get(rcc, r.divr), 0, 9) + 1u;
	uint32_t frac = bit(get(rcc, r.en_reg), r.fracen_bit) ? field(get(rcc, r.divr + 4), 3, 13) : 0;
	uint64_t in = source_hz(rcc, pll_source(rcc, k));
	return in * ((uint64_t)n * 8192u + frac) / ((uint64_t)pll_m(rcc, k) * 8192u);
}

/* pllk_p/q/r_ck: the VCO divided by the output's divider, while PLLk is
 * locked and that output enabled; else no clock. */
static uint32_t pll_output_hz(const struct sim_rcc *rcc, unsigned k, char output)
{
	unsigned o = output == 'p' ? 0 : output == 'q' ? 1 : 2;
	struct pll_regs r = pll_regs(rcc, k);
	if (!pll_locked(rcc, k) || !bit(get(rcc, r.en_reg), r.en_shift + o))
		return 0;
	static const unsigned div_shift[3] = {9, 16, 24};
	return (uint32_t)(pll_vco_hz(rcc, k) / (field(get(rcc, r.divr), div_shift[o], 7) + 1u));
}

/* SYSCLK from PLL1 is its P output on H7/H5, its R output on U5. */
static uint32_t pll1_hz(const struct sim_rcc *rcc)
{
	return pll_output_hz(rcc, 1, rcc->layout == SIM_RCC_U5 ? 'r' : 'p');
}

static bool sw_source_ready(const struct sim_rcc *rcc, unsigned sw)
{
	const struct modern_shape *s = shape(rcc);
	uint32_t cr = get(rcc, 0);
	return sw < 3 ? bit(cr, s->sw_rdy[sw]) : sw == 3 && bit(cr, 25);
}

static unsigned sws(const struct sim_rcc *rcc)
{
	const struct modern_shape *s = shape(rcc);
	return field(get(rcc, s->cfgr), s->sw_bits, s->sw_bits);
}

/* An oscillator the system clock uses, directly or through PLL1, cannot
 * be switched off (each RM's CR bit descriptions). */
static void keep_in_use_on(struct sim_rcc *rcc)
{
	const struct modern_shape *s = shape(rcc);
	uint32_t *cr = reg(rcc, 0);
	unsigned used = sws(rcc);
	if (used == 3) {
		*cr |= CR_PLL1ON;
		used = pll_source(rcc, 1);
	}
	if (used < SRC_HSE)
		*cr |= 1u << s->sw_on[used];
}

static void update_ready_flags(struct sim_rcc *rcc)
{
	const struct modern_shape *s = shape(rcc);
	uint32_t *cr = reg(rcc, 0);
	for (unsigned i = 0; i < 3; i++)
		*cr = (*cr & ~(1u << s->sw_rdy[i])) |
		      (uint32_t)(i != SRC_HSE && bit(*cr, s->sw_on[i])) << s->sw_rdy[i];
	for (unsigned i = 0; i < 5 && s->other_on[i] != NO_BIT; i++)
		*cr = (*cr & ~(1u << s->other_rdy[i])) | (uint32_t)bit(*cr, s->other_on[i]) << s->other_rdy[i];
	if (rcc->layout != SIM_RCC_U5)
		*cr |= 1u << 5; /* HSIDIVF: a new HSIDIV takes effect at once */
	for (unsigned k = 1; k <= SIM_RCC_PLLS; k++) {
		uint32_t on = CR_PLL1ON << 2 * (k - 1), rdy = CR_PLL1RDY << 2 * (k - 1);
		if (!(*cr & on))
			rcc->pll_lock_ps[k - 1] = UINT64_MAX;
		bool locked = (*cr & on) && rcc->env->now_ps >= rcc->pll_lock_ps[k - 1] &&
			      pll_input_runs(rcc, k);
		*cr = (*cr & ~rdy) | (locked ? rdy : 0);
	}
}

/* USARTn's kernel clock: H7 D2CCIP2R (USART16SEL 5:3 for USART1,
 * USART234578SEL 2:0 for USART2/3) and H5 CCIPR1 (USART1SEL 2:0, USART2SEL
 * 5:3, USART3SEL 8:6) pick rcc_pclk (PCLK2 for USART1, PCLK1 for the
 * others), pll2_q_ck, pll3_q_ck, hsi_ker_ck, csi_ker_ck or LSE (not
 * fitted), the other values no clock (RM0433, RM0481); U5 CCIPR1
 * (USARTnSEL at 2(n-1)) PCLK, SYSCLK, HSI16 or LSE (RM0456). */
static uint32_t usart_kernel(const struct sim_rcc *rcc, const struct sim_clocks *c, unsigned n)
{
	const struct modern_shape *s = shape(rcc);
	uint32_t sel = field(get(rcc, s->ccipr), s->usart_sel_shift[n], s->usart_sel_bits);
	uint32_t bus = n == 1 ? c->pclk2 : c->pclk1;
	if (rcc->layout == SIM_RCC_U5)
		return sel == 0 ? bus : sel == 1 ? c->sysclk : sel == 2 ? source_hz(rcc, SRC_1) : 0;
	switch (sel) {
	case 0: return bus;
	case 1: return pll_output_hz(rcc, 2, 'q');
	case 2: return pll_output_hz(rcc, 3, 'q');
	case 3: return source_hz(rcc, SRC_0);
	case 4: return source_hz(rcc, SRC_1);
	}
	return 0;
}

static void update_clocks(struct sim_rcc *rcc)
{
	unsigned now = sws(rcc);
	struct sim_clocks c = {0};
	c.sysclk = now == 3 ? pll1_hz(rcc) : source_hz(rcc, now);
	if (rcc->layout == SIM_RCC_H7) {
		/* sys_ck / D1CPRE runs the core; HPRE then gives the AHB clock
		 * the APB prescalers divide. */
		uint32_t d1 = get(rcc, 0x18), d2 = get(rcc, 0x1C);
		uint32_t core = c.sysclk / ahb_div(field(d1, 8, 4));
		uint32_t ahb = core / ahb_div(field(d1, 0, 4));
		c.hclk = core;
		c.pclk1 = ahb / apb_div(field(d2, 4, 3));
		c.pclk2 = ahb / apb_div(field(d2, 8, 3));
		c.pclk3 = ahb / apb_div(field(d1, 4, 3));           /* D1PPRE */
		c.pclk4 = ahb / apb_div(field(get(rcc, 0x20), 4, 3)); /* D3CFGR.D3PPRE */
	} else {
		uint32_t cfgr2 = get(rcc, 0x20);
		c.hclk = c.sysclk / ahb_div(field(cfgr2, 0, 4));
		c.pclk1 = c.hclk / apb_div(field(cfgr2, 4, 3));
		c.pclk2 = c.hclk / apb_div(field(cfgr2, 8, 3));
		/* PPRE3: H5 CFGR2 14:12, U5 CFGR3 (0x24) 6:4 */
		uint32_t ppre3 = rcc->layout == SIM_RCC_H5 ? field(cfgr2, 12, 3) : field(get(rcc, 0x24), 4, 3);
		c.pclk3 = c.hclk / apb_div(ppre3);
	}
	for (unsigned n = 1; n <= SIM_CPU_USARTS; n++)
		c.usart_kernel[n] = usart_kernel(rcc, &c, n);
	rcc->env->clocks = c;
}

void sim_rcc_modern_settle(struct sim_rcc *rcc)
{
	const struct modern_shape *s = shape(rcc);
	keep_in_use_on(rcc);
	update_ready_flags(rcc);
	uint32_t *cfgr = reg(rcc, s->cfgr);
	unsigned sw = field(*cfgr, 0, s->sw_bits);
	if (sw <= 3 && sw != sws(rcc) && sw_source_ready(rcc, sw)) {
		uint32_t m = ((1u << s->sw_bits) - 1u) << s->sw_bits;
		*cfgr = (*cfgr & ~m) | sw << s->sw_bits;
	}
	update_clocks(rcc);
}

void sim_rcc_modern_load_reset(struct sim_rcc *rcc)
{
	const struct modern_shape *s = shape(rcc);
	uint32_t flags = get(rcc, s->rsr) & s->flags_mask;
	for (unsigned i = 0; i < SIM_RCC_WORDS; i++)
		rcc->regs[i] = 0;
	for (unsigned k = 0; k < SIM_RCC_PLLS; k++)
		rcc->pll_lock_ps[k] = UINT64_MAX;
	switch (rcc->layout) {
	case SIM_RCC_H7:
		*reg(rcc, 0) = 0x25u; /* HSION, HSIRDY, HSIDIVF: HSI 64 MHz */
		*reg(rcc, 0x28) = 0x02020200u;
		*reg(rcc, 0x2C) = 0x01FF0000u;
		*reg(rcc, 0x30) = *reg(rcc, 0x38) = *reg(rcc, 0x40) = 0x01010280u;
		break;
	case SIM_RCC_H5:
		*reg(rcc, 0) = 0x2Bu; /* HSION, HSIRDY, HSIDIV /2, HSIDIVF: 32 MHz */
		*reg(rcc, 0x34) = *reg(rcc, 0x3C) = *reg(rcc, 0x44) = 0x01010280u;
		break;
	case SIM_RCC_U5:
		*reg(rcc, 0) = 0x35u; /* MSISON, MSISRDY, MSIKON, MSIKRDY */
		*reg(rcc, 0x08) = 0x44000000u; /* MSISRANGE, MSIKRANGE 4 MHz */
		*reg(rcc, 0x34) = *reg(rcc, 0x3C) = *reg(rcc, 0x44) = 0x01010280u;
		*reg(rcc, 0xF4) = 0x4400u;     /* MSISSRANGE, MSIKSRANGE 4 MHz */
		break;
	default: return;
	}
	*reg(rcc, s->rsr) |= flags;
}

void sim_rcc_modern_power_on_flags(struct sim_rcc *rcc)
{
	*reg(rcc, shape(rcc)->rsr) |= shape(rcc)->power_on_flags;
}

void sim_rcc_modern_reset_flag(struct sim_rcc *rcc, enum sim_reset_cause cause)
{
	const struct modern_shape *s = shape(rcc);
	unsigned flag = cause == SIM_RESET_SYSRESETREQ ? s->sft :
			cause == SIM_RESET_IWDG ? s->iwdg :
			cause == SIM_RESET_OBL_LAUNCH ? s->obl : NO_BIT;
	if (flag != NO_BIT)
		*reg(rcc, s->rsr) |= 1u << flag;
}

static uint32_t canonical(const struct modern_shape *s, uint32_t offset)
{
	return s->rsr_alias && offset == s->rsr_alias ? s->rsr : offset;
}

uint32_t sim_rcc_modern_read(struct sim_rcc *rcc, uint32_t offset)
{
	sim_rcc_modern_settle(rcc); /* a PLL may have locked since */
	return get(rcc, canonical(shape(rcc), offset));
}

void sim_rcc_modern_write(struct sim_rcc *rcc, uint32_t offset, uint32_t value, uint32_t mask)
{
	const struct modern_shape *s = shape(rcc);
	offset = canonical(s, offset);
	uint32_t *r = reg(rcc, offset);
	uint32_t old = *r;
	if (offset == s->rsr) {
		/* Reset flags are read-only; RMVF clears them. */
		uint32_t keep = *r & s->flags_mask;
		*r = (sim_merge(*r, value, mask) & s->rsr_writable) | keep;
		if (value & mask & (1u << s->rmvf))
			*r &= ~s->flags_mask;
	} else if (offset == s->cfgr) {
		uint32_t sws_mask = ((1u << s->sw_bits) - 1u) << s->sw_bits; /* read-only */
		*r = (sim_merge(*r, value, mask) & ~sws_mask) | (old & sws_mask);
	} else {
		*r = sim_merge(*r, value, mask);
		for (unsigned k = 1; offset == 0 && k <= SIM_RCC_PLLS; k++) {
			uint32_t on = CR_PLL1ON << 2 * (k - 1);
			if (!(old & on) && (*r & on))
				rcc->pll_lock_ps[k - 1] = rcc->env->now_ps + PLL_LOCK_PS;
		}
	}
	sim_rcc_modern_settle(rcc);
}

/* The ROM's clock at Go (AN2606 as /work/shared/stm32/stub.md §1 has it:
 * H74x/H7A3 64 MHz HSI without PLL, H72x 66 MHz and H563 200 MHz from a
 * PLL on HSI; the U5 ROM's clock is not in that transcription, so U5 keeps
 * its reset clock). AN2606 gives the frequency, not the dividers: PLL1
 * here runs from HSI as it is (H7 64 MHz, H5 HSI / 2 = 32 MHz) through M
 * to 2 MHz, P the smallest even divider putting the VCO at 192 MHz or
 * more, N to match; bus prescalers stay /1, and PLL1 is locked, as the
 * ROM waited for it (an emulator choice). */
void sim_rcc_modern_rom_handoff(struct sim_rcc *rcc, uint32_t sysclk_hz)
{
	const uint32_t ref_hz = 2000000u;
	uint32_t hsi = source_hz(rcc, SRC_0);
	if (rcc->layout == SIM_RCC_U5 || sysclk_hz == 0 || sysclk_hz == hsi || hsi % ref_hz ||
	    sysclk_hz % (ref_hz / 2))
		return;
	uint32_t p = 2;
	while ((uint64_t)sysclk_hz * p < 192000000u)
		p += 2;
	uint32_t n = (uint32_t)((uint64_t)sysclk_hz * p / ref_hz), m = hsi / ref_hz;
	struct pll_regs r = pll_regs(rcc, 1);
	uint32_t *src = reg(rcc, r.src_reg), *mreg = reg(rcc, r.m_reg), *divr = reg(rcc, r.divr);
	*src &= ~3u; /* HSI: PLLSRC 0 on H7, 1 on H5 */
	*src |= rcc->layout == SIM_RCC_H5 ? 1u : 0u;
	*mreg = (*mreg & ~(0x3Fu << r.m_shift)) | m << r.m_shift;
	*divr = (*divr & ~0xFFFFu) | (n - 1u) | (p - 1u) << 9;
	*reg(rcc, r.en_reg) |= 1u << r.en_shift; /* the P output */
	*reg(rcc, 0) |= CR_PLL1ON;
	rcc->pll_lock_ps[0] = rcc->env->now_ps;
	update_ready_flags(rcc);
	const struct modern_shape *s = shape(rcc);
	uint32_t *cfgr = reg(rcc, s->cfgr);
	uint32_t sw_mask = (1u << s->sw_bits) - 1u;
	*cfgr = (*cfgr & ~(sw_mask | sw_mask << s->sw_bits)) | 3u | 3u << s->sw_bits;
	sim_rcc_modern_settle(rcc);
}

uint64_t sim_rcc_deadline(const struct sim_rcc *rcc)
{
	uint64_t first = UINT64_MAX;
	for (unsigned k = 0; shape(rcc) && k < SIM_RCC_PLLS; k++)
		if (rcc->pll_lock_ps[k] > rcc->env->now_ps && rcc->pll_lock_ps[k] < first)
			first = rcc->pll_lock_ps[k];
	return first;
}
