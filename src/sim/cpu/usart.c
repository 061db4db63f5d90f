/* USART in both register layouts (old: RM0008 §27 SR/DR; new: RM0360 §27,
 * RM0444 ISR/TDR/RDR). Transmission takes no emulated time: a byte
 * written to DR/TDR with UE and TE set goes to the usart_tx callback at
 * once, with the baud BRR gives at the kernel clock, so TXE and TC read 1
 * whenever the program looks. Received bytes wait in RDR (RXNE); a second
 * one before RDR is read is lost and sets ORE. A byte the host sent at a
 * rate BRR does not give is sampled by the USART's clock (base/wire.c)
 * and comes with FE or PE as RM0008 §27.6.1 says: RXNE set all the same,
 * the flags cleared like ORE (SR then DR read; ICR on the new layout).
 * Word length and parity decide how many data bits of DR/TDR leave (8E1:
 * 8; 7E1: 7). */
#include <string.h>

#include "base/wire.h"
#include "cpu/periph.h"

/* Old layout offsets */
#define O_SR  0x00u
#define O_DR  0x04u
#define O_BRR 0x08u
#define O_CR1 0x0Cu
#define O_CR2 0x10u
#define O_CR3 0x14u
#define O_GTPR 0x18u
/* New layout offsets */
#define N_CR1 0x00u
#define N_CR2 0x04u
#define N_CR3 0x08u
#define N_BRR 0x0Cu
#define N_GTPR 0x10u
#define N_ISR 0x1Cu
#define N_ICR 0x20u
#define N_RDR 0x24u
#define N_TDR 0x28u

#define ST_PE   (1u << 0)
#define ST_FE   (1u << 1)
#define ST_ORE  (1u << 3)
#define ST_RXNE (1u << 5)
#define ST_TC   (1u << 6)
#define ST_TXE  (1u << 7)
#define ISR_TEACK (1u << 21)
#define ISR_REACK (1u << 22)

struct cr1_bits {
	uint32_t ue, m0, m1, pce, te, re, over8;
};

static struct cr1_bits cr1_bits(enum sim_usart_layout layout)
{
	if (layout == SIM_USART_SR_DR)
		return (struct cr1_bits){1u << 13, 1u << 12, 0, 1u << 10, 1u << 3, 1u << 2, 1u << 15};
	return (struct cr1_bits){1u << 0, 1u << 12, 1u << 28, 1u << 10, 1u << 3, 1u << 2, 1u << 15};
}

/* USART1's kernel clock is the RCC's selection (PCLK2 by default); USART2
 * and USART3 sit on APB1 and are given PCLK1 (their CCIPR selections on
 * G0/L4/G4 are not modelled). */
uint32_t sim_usart_kernel_hz(const struct sim_usart *u)
{
	return u->index == 1 ? u->env->clocks.usart1_kernel : u->env->clocks.pclk1;
}

void sim_usart_reset(struct sim_usart *u, struct sim_soc_env *env, enum sim_usart_layout layout,
		     unsigned index)
{
	memset(u, 0, sizeof(*u));
	u->env = env;
	u->layout = layout;
	u->index = index;
	u->tc = true;
}

uint32_t sim_usart_baud(const struct sim_usart *u, uint32_t kernel_hz)
{
	uint32_t brr = u->brr & 0xFFFFu;
	if (u->cr1 & cr1_bits(u->layout).over8) {
		uint32_t div = (brr & 0xFFF0u) | (brr & 7u) << 1;
		return div >= 16 ? (uint32_t)((2ull * kernel_hz + div / 2) / div) : 0;
	}
	return brr >= 16 ? (kernel_hz + brr / 2) / brr : 0;
}

static bool enabled(const struct sim_usart *u, uint32_t which)
{
	struct cr1_bits b = cr1_bits(u->layout);
	return (u->cr1 & b.ue) && (u->cr1 & which);
}

static unsigned data_bits(const struct sim_usart *u)
{
	struct cr1_bits b = cr1_bits(u->layout);
	unsigned frame = (u->cr1 & b.m1) ? 7 : (u->cr1 & b.m0) ? 9 : 8;
	return frame - ((u->cr1 & b.pce) ? 1 : 0);
}

/* The parity of an 8-bit frame with parity (8E1, 8O1: PS is CR1 bit 9 in
 * both layouts), else 'n' (the sampler models 8 data bits only). */
static char rx_parity(const struct sim_usart *u)
{
	if (!(u->cr1 & cr1_bits(u->layout).pce) || data_bits(u) != 8)
		return 'n';
	return (u->cr1 & 1u << 9) ? 'o' : 'e';
}

static void transmit(struct sim_usart *u, uint32_t value)
{
	if (!enabled(u, cr1_bits(u->layout).te))
		return; /* nothing leaves the pin */
	unsigned bits = data_bits(u);
	uint8_t byte = (uint8_t)(bits >= 8 ? value : value & ((1u << bits) - 1u));
	u->tc = true;
	u->env->stats->usart_tx_bytes++;
	u->env->stats->usart_tx[u->index]++;
	const struct sim_cpu_callbacks *cb = u->env->callbacks;
	if (cb && cb->usart_tx)
		cb->usart_tx(cb->user, u->index, byte, sim_usart_baud(u, sim_usart_kernel_hz(u)));
}

void sim_usart_receive(struct sim_usart *u, uint8_t byte)
{
	if (!enabled(u, cr1_bits(u->layout).re))
		return;
	if (u->rxne) {
		u->ore = true;
		u->env->stats->usart_rx_overruns++;
		return;
	}
	u->rdr = byte;
	u->rxne = true;
	u->fe = u->pe = false;
	u->env->stats->usart_rx_bytes++;
	u->env->stats->usart_rx[u->index]++;
}

void sim_usart_receive_at(struct sim_usart *u, uint8_t byte, uint32_t host_baud)
{
	if (!enabled(u, cr1_bits(u->layout).re))
		return;
	uint32_t own = sim_usart_baud(u, sim_usart_kernel_hz(u));
	struct sim_uart_sample got = sim_uart_sample_frame(byte, rx_parity(u), host_baud, own);
	bool overrun = u->rxne;
	sim_usart_receive(u, got.byte);
	if (overrun)
		return;
	u->fe = got.framing_error;
	u->pe = got.parity_error;
	if (got.byte != byte || got.framing_error || got.parity_error)
		u->env->stats->usart_rx_errors++;
}

static uint32_t status(const struct sim_usart *u)
{
	uint32_t s = ST_TXE | (u->tc ? ST_TC : 0) | (u->rxne ? ST_RXNE : 0) | (u->ore ? ST_ORE : 0) |
		     (u->fe ? ST_FE : 0) | (u->pe ? ST_PE : 0);
	if (u->layout == SIM_USART_ISR_TDR) {
		struct cr1_bits b = cr1_bits(u->layout);
		if (u->cr1 & b.ue) {
			s |= (u->cr1 & b.te) ? ISR_TEACK : 0;
			s |= (u->cr1 & b.re) ? ISR_REACK : 0;
		}
	}
	return s;
}

static uint32_t take_rdr(struct sim_usart *u)
{
	u->rxne = false;
	if (u->layout == SIM_USART_SR_DR)
		u->ore = u->fe = u->pe = false; /* cleared by the SR-then-DR read sequence */
	return u->rdr;
}

uint32_t sim_usart_read(void *ctx, uint32_t offset)
{
	struct sim_usart *u = ctx;
	if (u->layout == SIM_USART_SR_DR) {
		switch (offset) {
		case O_SR: return status(u);
		case O_DR: return take_rdr(u);
		case O_BRR: return u->brr;
		case O_CR1: return u->cr1;
		case O_CR2: return u->cr2;
		case O_CR3: return u->cr3;
		case O_GTPR: return u->gtpr;
		}
		return 0;
	}
	switch (offset) {
	case N_CR1: return u->cr1;
	case N_CR2: return u->cr2;
	case N_CR3: return u->cr3;
	case N_BRR: return u->brr;
	case N_GTPR: return u->gtpr;
	case N_ISR: return status(u);
	case N_RDR: return take_rdr(u);
	}
	return 0;
}

static void write_old(struct sim_usart *u, uint32_t offset, uint32_t value, uint32_t mask)
{
	switch (offset) {
	case O_SR: /* rc_w0: writing 0 clears TC and RXNE */
		if ((mask & ST_TC) && !(value & ST_TC))
			u->tc = false;
		if ((mask & ST_RXNE) && !(value & ST_RXNE))
			u->rxne = false;
		break;
	case O_DR: transmit(u, value & mask); break;
	case O_BRR: u->brr = sim_merge(u->brr, value, mask) & 0xFFFFu; break;
	case O_CR1: u->cr1 = sim_merge(u->cr1, value, mask); break;
	case O_CR2: u->cr2 = sim_merge(u->cr2, value, mask); break;
	case O_CR3: u->cr3 = sim_merge(u->cr3, value, mask); break;
	case O_GTPR: u->gtpr = sim_merge(u->gtpr, value, mask); break;
	default: break;
	}
}

static void write_new(struct sim_usart *u, uint32_t offset, uint32_t value, uint32_t mask)
{
	switch (offset) {
	case N_CR1: u->cr1 = sim_merge(u->cr1, value, mask); break;
	case N_CR2: u->cr2 = sim_merge(u->cr2, value, mask); break;
	case N_CR3: u->cr3 = sim_merge(u->cr3, value, mask); break;
	case N_BRR: u->brr = sim_merge(u->brr, value, mask) & 0xFFFFu; break;
	case N_GTPR: u->gtpr = sim_merge(u->gtpr, value, mask); break;
	case N_ICR:
		if (value & mask & ST_ORE)
			u->ore = false;
		if (value & mask & ST_FE)
			u->fe = false;
		if (value & mask & ST_PE)
			u->pe = false;
		if (value & mask & ST_TC)
			u->tc = false;
		break;
	case N_TDR: transmit(u, value & mask); break;
	default: break;
	}
}

void sim_usart_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_usart *u = ctx;
	if (u->layout == SIM_USART_SR_DR)
		write_old(u, offset, value, mask);
	else
		write_new(u, offset, value, mask);
}

void sim_usart_rom_handoff(struct sim_usart *u, uint32_t kernel_hz, uint32_t baud)
{
	struct cr1_bits b = cr1_bits(u->layout);
	u->brr = baud ? (kernel_hz + baud / 2) / baud : 0;
	u->cr1 = b.ue | b.m0 | b.pce | b.te | b.re; /* 8 data bits + even parity */
}

/* The USART's interrupt line (RM0008 §27.4: RXNEIE covers RXNE and ORE,
 * TXEIE TXE, TCIE TC; the bits sit at CR1 5/7/6 in both layouts). TXE is
 * always set here (transmission takes no time), so TXEIE alone keeps the
 * line high until the program clears it, as on silicon with nothing to
 * send. */
bool sim_usart_irq(const struct sim_usart *u)
{
	const uint32_t rxneie = 1u << 5, tcie = 1u << 6, txeie = 1u << 7;
	return ((u->cr1 & rxneie) && (u->rxne || u->ore)) || (u->cr1 & txeie) ||
	       ((u->cr1 & tcie) && u->tc);
}

uint64_t sim_usart_next_event(const struct sim_usart *u)
{
	(void)u;
	return UINT64_MAX;
}
