/* Reset and clock control, enough for clock-switching polls to complete
 * and for the USART to know its kernel clock: HSI (and MSI on L4) are
 * ready when on, the PLL is locked when on, SWS follows SW when the chosen
 * source is ready, LSI ready when on; no HSE crystal is fitted, so HSERDY
 * never sets and a switch to HSE never happens. Bit positions: RM0008
 * (F1), RM0360 (F0), RM0090 (F4), RM0444 (G0), RM0351 (L4), RM0434/RM0453
 * (WB/WL, the L4 layout; L5 RM0438 likewise), RM0377 (L0), RM0038 (L1); H7,
 * H5 and U5 (RM0433, RM0481, RM0456) in rcc_h7.c. Reset flags in CSR
 * accumulate across resets until RMVF. */
#include <string.h>

#include "cpu/periph.h"

#define HSI8  8000000u
#define HSI16 16000000u

struct rcc_shape {
	uint32_t cfgr, csr, ccipr; /* byte offsets */
	unsigned sw_bits, sws_shift;
	uint32_t rmvf, flags_mask;
};

static struct rcc_shape shape_of(enum sim_rcc_layout layout)
{
	switch (layout) {
	case SIM_RCC_F1: return (struct rcc_shape){0x04, 0x24, 0x30, 2, 2, 1u << 24, 0xFE000000u};
	case SIM_RCC_F4: return (struct rcc_shape){0x08, 0x74, 0, 2, 2, 1u << 24, 0xFE000000u};
	case SIM_RCC_G0: return (struct rcc_shape){0x08, 0x60, 0x54, 3, 3, 1u << 23, 0xFE000000u};
	case SIM_RCC_L4: return (struct rcc_shape){0x08, 0x94, 0x88, 2, 2, 1u << 23, 0xFF000000u};
	case SIM_RCC_L0: return (struct rcc_shape){0x0C, 0x50, 0x4C, 2, 2, 1u << 23, 0xFF000000u};
	case SIM_RCC_L1: return (struct rcc_shape){0x08, 0x34, 0, 2, 2, 1u << 24, 0xFE000000u};
	case SIM_RCC_H7:
	case SIM_RCC_H5:
	case SIM_RCC_U5:
	case SIM_RCC_NONE: break;
	}
	return (struct rcc_shape){0};
}

static uint32_t *reg(struct sim_rcc *rcc, uint32_t offset)
{
	return &rcc->regs[(offset / 4) % SIM_RCC_WORDS];
}

static bool bit(uint32_t v, unsigned n) { return (v >> n) & 1u; }
static uint32_t field(uint32_t v, unsigned shift, unsigned width)
{
	return (v >> shift) & ((1u << width) - 1u);
}

/* HPRE: 0xxx /1, 1000 /2 ... 1111 /512 (no /32). PPRE: 0xx /1, 100 /2 ... */
static uint32_t ahb_div(uint32_t hpre)
{
	static const uint32_t div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
	return hpre < 8 ? 1 : div[hpre - 8];
}
static uint32_t apb_div(uint32_t ppre) { return ppre < 4 ? 1 : 1u << (ppre - 3); }

static uint32_t msi_hz(const struct sim_rcc *rcc)
{
	static const uint32_t range[12] = {100000,  200000,   400000,   800000,   1000000,  2000000,
					   4000000, 8000000,  16000000, 24000000, 32000000, 48000000};
	uint32_t cr = rcc->regs[0];
	uint32_t r = bit(cr, 3) ? field(cr, 4, 4) : field(rcc->regs[0x94 / 4], 8, 4);
	return r < 12 ? range[r] : 0;
}

/* The PLL output and SYSCLK of each layout, from SWS (what runs). */
static uint32_t sysclk_f1(const struct sim_rcc *rcc)
{
	uint32_t cfgr = rcc->regs[1];
	uint32_t mul = field(cfgr, 18, 4) + 2;
	uint32_t pll = bit(cfgr, 16) ? 0 : HSI8 / 2 * (mul > 16 ? 16 : mul);
	uint32_t sws = field(cfgr, 2, 2);
	return sws == 0 ? HSI8 : sws == 2 ? pll : 0;
}

static uint32_t sysclk_f4(const struct sim_rcc *rcc)
{
	uint32_t pllcfgr = rcc->regs[1];
	uint32_t m = field(pllcfgr, 0, 6), n = field(pllcfgr, 6, 9);
	uint32_t p = 2 * (field(pllcfgr, 16, 2) + 1);
	uint32_t pll = bit(pllcfgr, 22) || m == 0 ? 0 : (uint32_t)((uint64_t)HSI16 / m * n / p);
	uint32_t sws = field(rcc->regs[2], 2, 2);
	return sws == 0 ? HSI16 : sws == 2 ? pll : 0;
}

static uint32_t sysclk_g0(const struct sim_rcc *rcc)
{
	uint32_t pllcfgr = rcc->regs[3];
	uint32_t m = field(pllcfgr, 4, 3) + 1, n = field(pllcfgr, 8, 7), r = field(pllcfgr, 29, 3) + 1;
	uint32_t pll = field(pllcfgr, 0, 2) == 2 ? (uint32_t)((uint64_t)HSI16 / m * n / r) : 0;
	uint32_t sws = field(rcc->regs[2], 3, 3);
	uint32_t hsisys = HSI16 >> field(rcc->regs[0], 11, 3);
	return sws == 0 ? hsisys : sws == 2 ? pll : sws == 3 ? 32000u : 0;
}

static uint32_t sysclk_l4(const struct sim_rcc *rcc)
{
	uint32_t pllcfgr = rcc->regs[3];
	uint32_t m = field(pllcfgr, 4, rcc->pllm_wide ? 4 : 3) + 1, n = field(pllcfgr, 8, 7);
	uint32_t r = rcc->pllr_wb ? field(pllcfgr, 29, 3) + 1 : 2 * (field(pllcfgr, 25, 2) + 1);
	uint32_t src = field(pllcfgr, 0, 2);
	uint32_t in = src == 1 ? msi_hz(rcc) : src == 2 ? HSI16 : 0;
	uint32_t pll = (uint32_t)((uint64_t)in / m * n / r);
	uint32_t sws = field(rcc->regs[2], 2, 2);
	return sws == 0 ? msi_hz(rcc) : sws == 1 ? HSI16 : sws == 3 ? pll : 0;
}

/* L0/L1: MSI range in ICSCR[15:13] (65.536 kHz << range), SW 0 MSI,
 * 1 HSI16, 3 PLL (PLLMUL 21:18, PLLDIV 23:22 of CFGR, PLLSRC 16 = HSI16). */
static uint32_t sysclk_l0(const struct sim_rcc *rcc, uint32_t cfgr)
{
	static const uint32_t mul[9] = {3, 4, 6, 8, 12, 16, 24, 32, 48};
	uint32_t range = field(rcc->regs[1], 13, 3);
	uint32_t msi = range < 7 ? 65536u << range : 0;
	uint32_t m = field(cfgr, 18, 4), d = field(cfgr, 22, 2);
	uint32_t pll = bit(cfgr, 16) || m > 8 || d == 0 ? 0 : HSI16 / (d + 1) * mul[m];
	uint32_t sws = field(cfgr, 2, 2);
	return sws == 0 ? msi : sws == 1 ? HSI16 : sws == 3 ? pll : 0;
}

/* The kernel-clock mux of USARTn (1..3): F0/F3 CFGR3 (USART1SW 1:0,
 * USART2SW 17:16, USART3SW 19:18: PCLK, SYSCLK, LSE, HSI; RM0091, RM0316),
 * F7 DCKCFGR2 at 0x90 (USARTnSEL at 2(n-1): APB, SYSCLK, HSI, LSE;
 * RM0385), G0 CCIPR 0x54, L4/G4/L5/WB/WL CCIPR 0x88 and L0 CCIPR 0x4C
 * (USARTnSEL at 2(n-1): PCLK, SYSCLK, HSI16, LSE; RM0444, RM0351, RM0440,
 * RM0438, RM0434, RM0453, RM0377). F1, F2/F4 and L1 have none: the field
 * offsets read 0, the bus clock. Whether the part has the field at all is
 * the USART's business (usart_map.c); HSI16 is taken as running when
 * selected (an emulator choice: the RMs let a kernel-clock request start
 * it), LSE is not fitted. */
struct usart_mux {
	uint32_t reg;
	uint8_t shift[SIM_CPU_USARTS + 1];
	bool lse_at_2; /* F0/F3 order: PCLK, SYSCLK, LSE, HSI */
};

static struct usart_mux usart_mux_of(const struct sim_rcc *rcc)
{
	switch (rcc->layout) {
	case SIM_RCC_F1: return (struct usart_mux){0x30, {0, 0, 16, 18}, true};
	case SIM_RCC_F4: return (struct usart_mux){rcc->f7_dckcfgr2 ? 0x90 : 0, {0, 0, 2, 4}, false};
	case SIM_RCC_G0: return (struct usart_mux){0x54, {0, 0, 2, 4}, false};
	case SIM_RCC_L4: return (struct usart_mux){0x88, {0, 0, 2, 4}, false};
	case SIM_RCC_L0: return (struct usart_mux){0x4C, {0, 0, 2, 4}, false};
	default: return (struct usart_mux){0};
	}
}

static void usart_kernels(const struct sim_rcc *rcc, struct sim_clocks *c)
{
	struct usart_mux mux = usart_mux_of(rcc);
	uint32_t hsi = rcc->layout == SIM_RCC_F1 ? HSI8 : HSI16;
	for (unsigned n = 1; n <= SIM_CPU_USARTS; n++) {
		uint32_t bus = n == 1 ? c->pclk2 : c->pclk1;
		uint32_t sel = mux.reg ? field(rcc->regs[mux.reg / 4], mux.shift[n], 2) : 0;
		uint32_t hz[4] = {bus, c->sysclk, mux.lse_at_2 ? 0 : hsi, mux.lse_at_2 ? hsi : 0};
		c->usart_kernel[n] = hz[sel];
	}
}

static void update_clocks(struct sim_rcc *rcc)
{
	struct sim_clocks c = {0};
	uint32_t cfgr = rcc->regs[shape_of(rcc->layout).cfgr / 4];
	switch (rcc->layout) {
	case SIM_RCC_F1:
		c.sysclk = sysclk_f1(rcc);
		c.hclk = c.sysclk / ahb_div(field(cfgr, 4, 4));
		c.pclk1 = c.hclk / apb_div(field(cfgr, 8, 3));
		c.pclk2 = rcc->single_apb ? c.pclk1 : c.hclk / apb_div(field(cfgr, 11, 3));
		break;
	case SIM_RCC_F4:
		c.sysclk = sysclk_f4(rcc);
		c.hclk = c.sysclk / ahb_div(field(cfgr, 4, 4));
		c.pclk1 = c.hclk / apb_div(field(cfgr, 10, 3));
		c.pclk2 = c.hclk / apb_div(field(cfgr, 13, 3));
		break;
	case SIM_RCC_G0:
		c.sysclk = sysclk_g0(rcc);
		c.hclk = c.sysclk / ahb_div(field(cfgr, 8, 4));
		c.pclk1 = c.pclk2 = c.hclk / apb_div(field(cfgr, 12, 3));
		break;
	case SIM_RCC_L0:
	case SIM_RCC_L1:
		c.sysclk = sysclk_l0(rcc, cfgr);
		c.hclk = c.sysclk / ahb_div(field(cfgr, 4, 4));
		c.pclk1 = c.hclk / apb_div(field(cfgr, 8, 3));
		c.pclk2 = c.hclk / apb_div(field(cfgr, 11, 3));
		break;
	case SIM_RCC_L4:
		c.sysclk = sysclk_l4(rcc);
		c.hclk = c.sysclk / ahb_div(field(cfgr, 4, 4));
		c.pclk1 = c.hclk / apb_div(field(cfgr, 8, 3));
		c.pclk2 = c.hclk / apb_div(field(cfgr, 11, 3));
		break;
	case SIM_RCC_H7:
	case SIM_RCC_H5:
	case SIM_RCC_U5: /* rcc_h7.c */
	case SIM_RCC_NONE:
		return;
	}
	usart_kernels(rcc, &c);
	rcc->env->clocks = c;
}

/* Ready flags follow their enables; SWS follows SW when that source runs. */
static void settle(struct sim_rcc *rcc)
{
	if (sim_rcc_is_modern(rcc)) {
		sim_rcc_modern_settle(rcc);
		return;
	}
	struct rcc_shape s = shape_of(rcc->layout);
	uint32_t *cr = reg(rcc, 0), *cfgr = reg(rcc, s.cfgr), *csr = reg(rcc, s.csr);
	bool new_cr = rcc->layout == SIM_RCC_G0 || rcc->layout == SIM_RCC_L4;
	bool l0l1 = rcc->layout == SIM_RCC_L0 || rcc->layout == SIM_RCC_L1;
	unsigned hsion = new_cr ? 8 : 0, hsirdy = new_cr ? 10 : rcc->layout == SIM_RCC_L0 ? 2 : 1;
	*cr = (*cr & ~(1u << hsirdy | 1u << 17 | 1u << 25)) | (uint32_t)bit(*cr, hsion) << hsirdy |
	      (uint32_t)(bit(*cr, 24) && !rcc->pll_stuck) << 25;
	if (rcc->layout == SIM_RCC_L4)
		*cr = (*cr & ~2u) | (uint32_t)bit(*cr, 0) << 1; /* MSIRDY */
	if (l0l1)
		*cr = (*cr & ~(1u << 9)) | (uint32_t)bit(*cr, 8) << 9; /* MSIRDY */
	*csr = (*csr & ~2u) | (uint32_t)bit(*csr, 0) << 1;   /* LSIRDY */

	uint32_t sw = field(*cfgr, 0, s.sw_bits);
	bool ready;
	if (rcc->layout == SIM_RCC_L4)
		ready = sw == 0 ? bit(*cr, 1) : sw == 1 ? bit(*cr, 10) : sw == 3 ? bit(*cr, 25) : false;
	else if (l0l1)
		ready = sw == 0 ? bit(*cr, 9) : sw == 1 ? bit(*cr, hsirdy) : sw == 3 ? bit(*cr, 25) : false;
	else if (rcc->layout == SIM_RCC_G0)
		ready = sw == 0 ? bit(*cr, 10) : sw == 2 ? bit(*cr, 25) : sw == 3 ? bit(*csr, 1) : false;
	else
		ready = sw == 0 ? bit(*cr, 1) : sw == 2 ? bit(*cr, 25) : false;
	if (ready) {
		uint32_t m = ((1u << s.sw_bits) - 1u) << s.sws_shift;
		*cfgr = (*cfgr & ~m) | sw << s.sws_shift;
	}
	update_clocks(rcc);
}

static void load_reset_values(struct sim_rcc *rcc)
{
	if (sim_rcc_is_modern(rcc)) {
		sim_rcc_modern_load_reset(rcc);
		return;
	}
	uint32_t flags = rcc->regs[shape_of(rcc->layout).csr / 4] & shape_of(rcc->layout).flags_mask;
	memset(rcc->regs, 0, sizeof(rcc->regs));
	switch (rcc->layout) {
	case SIM_RCC_F1: rcc->regs[0] = 0x83u; rcc->regs[0x14 / 4] = 0x14u; break;
	case SIM_RCC_F4: rcc->regs[0] = 0x83u; rcc->regs[1] = 0x24003010u; break;
	case SIM_RCC_G0: rcc->regs[0] = 0x500u; rcc->regs[3] = 0x1000u; break;
	case SIM_RCC_L4:
		if (rcc->no_msi) {
			rcc->regs[0] = 0x500u;
			rcc->regs[2] = 0x5u; /* SW = SWS = HSI16 */
		} else {
			rcc->regs[0] = 0x63u;
			rcc->regs[0x94 / 4] = 6u << 8; /* MSISRANGE 4 MHz */
		}
		rcc->regs[3] = 0x1000u;
		break;
	case SIM_RCC_L0:
	case SIM_RCC_L1: /* MSI on at 2.097 MHz (range 5) */
		rcc->regs[0] = 0x300u;
		rcc->regs[1] = 5u << 13;
		break;
	case SIM_RCC_H7:
	case SIM_RCC_H5:
	case SIM_RCC_U5:
	case SIM_RCC_NONE: break;
	}
	rcc->regs[shape_of(rcc->layout).csr / 4] |= flags;
}

void sim_rcc_power_on(struct sim_rcc *rcc, struct sim_soc_env *env, const struct sim_family_info *info)
{
	memset(rcc, 0, sizeof(*rcc));
	rcc->env = env;
	rcc->layout = info->rcc;
	rcc->single_apb = strcmp(info->family, "F0") == 0;
	rcc->no_msi = strcmp(info->family, "G4") == 0;
	rcc->pllr_wb = strcmp(info->family, "WB") == 0 || strcmp(info->family, "WL") == 0;
	rcc->pllm_wide = strcmp(info->family, "G4") == 0 || strcmp(info->family, "L5") == 0;
	rcc->f7_dckcfgr2 = strcmp(info->family, "F7") == 0;
	if (rcc->layout == SIM_RCC_NONE) {
		env->clocks = (struct sim_clocks){.sysclk = HSI16, .hclk = HSI16, .pclk1 = HSI16, .pclk2 = HSI16,
						   .usart_kernel = {0, HSI16, HSI16, HSI16}};
		return;
	}
	load_reset_values(rcc);
	/* Power-on and pin reset flags (PORRSTF/BORRSTF, PINRSTF). */
	if (sim_rcc_is_modern(rcc))
		sim_rcc_modern_power_on_flags(rcc);
	else if (shape_of(rcc->layout).csr)
		rcc->regs[shape_of(rcc->layout).csr / 4] |= 3u << 26;
	settle(rcc);
}

void sim_rcc_reset(struct sim_rcc *rcc, enum sim_reset_cause cause)
{
	if (rcc->layout == SIM_RCC_NONE)
		return;
	load_reset_values(rcc);
	if (sim_rcc_is_modern(rcc)) {
		sim_rcc_modern_reset_flag(rcc, cause);
		settle(rcc);
		return;
	}
	if (!shape_of(rcc->layout).csr) {
		settle(rcc);
		return;
	}
	uint32_t *csr = reg(rcc, shape_of(rcc->layout).csr);
	if (cause == SIM_RESET_SYSRESETREQ)
		*csr |= 1u << 28; /* SFTRSTF */
	else if (cause == SIM_RESET_IWDG)
		*csr |= 1u << 29; /* IWDGRSTF */
	else if (cause == SIM_RESET_OBL_LAUNCH && rcc->layout != SIM_RCC_F4 &&
		 rcc->layout != SIM_RCC_L1)
		*csr |= 1u << 25; /* OBLRSTF */
	settle(rcc);
}

void sim_rcc_rom_handoff(struct sim_rcc *rcc, uint32_t sysclk_hz)
{
	if (rcc->rom_sysclk_hz)
		sysclk_hz = rcc->rom_sysclk_hz;
	if (sim_rcc_is_modern(rcc)) {
		sim_rcc_modern_rom_handoff(rcc, sysclk_hz);
		return;
	}
	uint32_t mhz = sysclk_hz / 1000000u;
	if (mhz == 0)
		return; /* the ROM's clock is not known: it keeps the reset clock */
	switch (rcc->layout) {
	case SIM_RCC_F1: /* HSI/2 x (sysclk / 4 MHz) */
		rcc->regs[1] = ((mhz / 4 - 2) & 0xFu) << 18 | 2u;
		rcc->regs[0] |= 1u << 24;
		break;
	case SIM_RCC_F4: /* HSI / 16 x N / 8 */
		rcc->regs[1] = 16u | (mhz * 8) << 6 | 3u << 16;
		rcc->regs[0] |= 1u << 24;
		rcc->regs[2] = 2u;
		break;
	case SIM_RCC_G0: /* HSI16 / 1 x N / 8 */
		rcc->regs[3] = 2u | (mhz / 2) << 8 | 1u << 28 | 7u << 29;
		rcc->regs[0] |= 1u << 24;
		rcc->regs[2] = 2u;
		break;
	case SIM_RCC_L4: /* HSI16 / 1 x N / 8 */
		rcc->regs[0] |= 1u << 8 | 1u << 24;
		rcc->regs[3] = 2u | (mhz / 2) << 8 |
			       (rcc->pllr_wb ? 1u << 28 | 7u << 29 : 1u << 24 | 3u << 25);
		rcc->regs[2] = 3u;
		break;
	case SIM_RCC_L0: /* HSI16 x 4 / 2 = 32 MHz */
		rcc->regs[0] |= 1u << 0 | 1u << 24;
		rcc->regs[3] = 1u << 18 | 1u << 22 | 3u;
		break;
	case SIM_RCC_L1: /* HSI16 itself */
		rcc->regs[0] |= 1u << 0;
		rcc->regs[2] = 1u;
		break;
	case SIM_RCC_H7: /* rcc_h7.c */
	case SIM_RCC_H5:
	case SIM_RCC_U5:
	case SIM_RCC_NONE: return;
	}
	settle(rcc);
}

uint32_t sim_rcc_read(void *ctx, uint32_t offset)
{
	struct sim_rcc *rcc = ctx;
	return sim_rcc_is_modern(rcc) ? sim_rcc_modern_read(rcc, offset) : *reg(rcc, offset);
}

void sim_rcc_catch_up(struct sim_rcc *rcc)
{
	if (sim_rcc_is_modern(rcc))
		sim_rcc_modern_settle(rcc);
}

void sim_rcc_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_rcc *rcc = ctx;
	if (sim_rcc_is_modern(rcc)) {
		sim_rcc_modern_write(rcc, offset, value, mask);
		return;
	}
	struct rcc_shape s = shape_of(rcc->layout);
	uint32_t *r = reg(rcc, offset);
	if (offset == s.csr) {
		/* Reset flags are read-only; RMVF clears them. */
		uint32_t keep = *r & s.flags_mask;
		*r = (sim_merge(*r, value, mask) & ~s.flags_mask & ~s.rmvf) | keep;
		if (value & mask & s.rmvf)
			*r &= ~s.flags_mask;
	} else {
		*r = sim_merge(*r, value, mask);
	}
	settle(rcc);
}
