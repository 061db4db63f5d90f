/* USART in both register layouts (old: RM0008 §27 SR/DR; new: RM0360 §27,
 * RM0444 ISR/TDR/RDR), and on the parts whose USART has them (RM0433 H7,
 * RM0481 H5, RM0456 U5, RM0438 L5, RM0440 G4, RM0444 G0, RM0434 WB,
 * RM0453 WL, RM0432 L4+: usart_map.c says which instance) the prescaler
 * (PRESC 0x2C divides the kernel clock before BRR) and the 8-deep FIFOs
 * (CR1.FIFOEN).
 *
 * Transmission takes emulated time: a byte written to DR/TDR with UE and
 * TE set waits in TDR (or the TX FIFO) until the shift register is free,
 * then takes one frame (start bit, the word CR1.M gives, the stop bits of
 * CR2.STOP) at the baud BRR gives. TXE (TXFNF) reads 1 while TDR (the
 * FIFO) has room, TC once the last frame has ended. Because the schedule
 * is fixed when the byte is written, the byte goes to the usart_tx
 * callback at once with its baud; the ROM part (src/sim/rom/core.c) puts
 * it on the line one frame after the previous one, which is the time it
 * would leave. A write while TDR is full (FIFO full) is dropped (silicon
 * overwrites the waiting byte; the waiting one has already been handed
 * on here). Without a kernel clock (LSE not fitted, an oscillator off) the
 * shifter does not run: the byte stays in TDR, TXE and TC read 0, and it
 * leaves if the clock comes back before UE is cleared.
 *
 * Received bytes wait in RDR (RXNE; the RX FIFO in FIFO mode, RXFNE, RXFF
 * when full); one more while it is full is lost and sets ORE. A byte the
 * host sent at a rate BRR does not give is sampled by the USART's clock
 * (base/wire.c) and comes with FE or PE as RM0008 §27.6.1 says: RXNE set
 * all the same, the flags cleared like ORE (SR then DR read; ICR on the
 * new layout); in FIFO mode they say what the last byte received had.
 * Word length and parity decide how many data bits of DR/TDR leave (8E1:
 * 8; 7E1: 7). */
#include <string.h>

#include "base/wire.h"
#include "cpu/periph.h"
#include "cpu/usart_map.h"

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
#define N_RQR 0x18u
#define N_ISR 0x1Cu
#define N_ICR 0x20u
#define N_RDR 0x24u
#define N_TDR 0x28u
#define N_PRESC 0x2Cu

#define ST_PE   (1u << 0)
#define ST_FE   (1u << 1)
#define ST_ORE  (1u << 3)
#define ST_RXNE (1u << 5)
#define ST_TC   (1u << 6)
#define ST_TXE  (1u << 7)
#define ISR_TEACK (1u << 21)
#define ISR_REACK (1u << 22)
#define ISR_TXFE  (1u << 23)
#define ISR_RXFF  (1u << 24)
#define CR1_FIFOEN (1u << 29)
#define CR1_TXFEIE (1u << 30)
#define CR1_RXFFIE (1u << 31)
#define RQR_RXFRQ (1u << 3)

struct cr1_bits {
	uint32_t ue, m0, m1, pce, te, re, over8;
};

static struct cr1_bits cr1_bits(enum sim_usart_layout layout)
{
	if (layout == SIM_USART_SR_DR)
		return (struct cr1_bits){1u << 13, 1u << 12, 0, 1u << 10, 1u << 3, 1u << 2, 1u << 15};
	return (struct cr1_bits){1u << 0, 1u << 12, 1u << 28, 1u << 10, 1u << 3, 1u << 2, 1u << 15};
}

uint32_t sim_usart_kernel_hz(const struct sim_usart *u)
{
	const struct sim_clocks *c = &u->env->clocks;
	if (u->kernel_mux)
		return c->usart_kernel[u->index];
	return u->index == 1 ? c->pclk2 : c->pclk1;
}

void sim_usart_reset(struct sim_usart *u, struct sim_soc_env *env, enum sim_usart_layout layout,
		     const struct sim_usart_instance *instance)
{
	memset(u, 0, sizeof(*u));
	u->env = env;
	u->layout = layout;
	u->index = instance->index;
	u->kernel_mux = instance->kernel_mux;
	u->fifo = instance->fifo;
}

static bool fifo_mode(const struct sim_usart *u) { return u->fifo && (u->cr1 & CR1_FIFOEN); }

/* PRESC: /1, /2, /4, /6, /8, /10, /12, /16, /32, /64, /128, /256 (and
 * /256 for the values above), RM0433 USART_PRESC. */
static uint32_t presc_div(const struct sim_usart *u)
{
	static const uint16_t div[16] = {1, 2, 4, 6, 8, 10, 12, 16, 32, 64, 128, 256, 256, 256, 256, 256};
	return u->fifo ? div[u->presc & 0xFu] : 1;
}

uint32_t sim_usart_baud(const struct sim_usart *u, uint32_t kernel_hz)
{
	kernel_hz /= presc_div(u);
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

static unsigned word_bits(const struct sim_usart *u)
{
	struct cr1_bits b = cr1_bits(u->layout);
	return (u->cr1 & b.m1) ? 7 : (u->cr1 & b.m0) ? 9 : 8;
}

static unsigned data_bits(const struct sim_usart *u)
{
	return word_bits(u) - ((u->cr1 & cr1_bits(u->layout).pce) ? 1 : 0);
}

/* One frame on the line: start bit, the word, CR2.STOP (13:12: 1, 0.5, 2,
 * 1.5 stop bits), in picoseconds; 0 when BRR gives no rate. */
static uint64_t frame_ps(const struct sim_usart *u, uint32_t baud)
{
	static const unsigned stop_halves[4] = {2, 1, 4, 3};
	unsigned halves = 2u * (1u + word_bits(u)) + stop_halves[(u->cr2 >> 12) & 3u];
	return baud ? (uint64_t)halves * (SIM_PS_PER_S / 2u / baud) : 0;
}

/* The parity of an 8-bit frame with parity (8E1, 8O1: PS is CR1 bit 9 in
 * both layouts), else 'n' (the sampler models 8 data bits only). */
static char rx_parity(const struct sim_usart *u)
{
	if (!(u->cr1 & cr1_bits(u->layout).pce) || data_bits(u) != 8)
		return 'n';
	return (u->cr1 & 1u << 9) ? 'o' : 'e';
}

/* How many written bytes have not reached the shift register by now. */
static unsigned tx_waiting(const struct sim_usart *u)
{
	if (u->tx_unclocked)
		return 1;
	unsigned n = 0;
	for (unsigned i = 0; i < SIM_USART_FIFO; i++)
		n += u->tx_start_ps[i] > u->env->now_ps;
	return n;
}

static unsigned tx_room(const struct sim_usart *u) { return fifo_mode(u) ? SIM_USART_FIFO : 1u; }

static bool tx_complete(const struct sim_usart *u)
{
	return !u->tx_unclocked && !u->tc_cleared && u->env->now_ps >= u->tx_end_ps;
}

/* The byte enters the shifter when the frame before it ends. */
static void shift_out(struct sim_usart *u, uint8_t byte, uint32_t baud)
{
	uint64_t now = u->env->now_ps;
	uint64_t start = u->tx_end_ps > now ? u->tx_end_ps : now;
	u->tx_start_ps[u->tx_next] = start;
	u->tx_next = (u->tx_next + 1u) % SIM_USART_FIFO;
	u->tx_end_ps = start + frame_ps(u, baud);
	u->tc_cleared = false;
	u->env->stats->usart_tx_bytes++;
	u->env->stats->usart_tx[u->index]++;
	const struct sim_cpu_callbacks *cb = u->env->callbacks;
	if (cb && cb->usart_tx)
		cb->usart_tx(cb->user, u->index, byte, baud);
}

/* A byte held for want of a kernel clock leaves once there is one. */
static void retry_unclocked(struct sim_usart *u)
{
	if (!u->tx_unclocked || sim_usart_kernel_hz(u) == 0)
		return;
	u->tx_unclocked = false;
	shift_out(u, u->tx_held, sim_usart_baud(u, sim_usart_kernel_hz(u)));
}

static void transmit(struct sim_usart *u, uint32_t value)
{
	if (!enabled(u, cr1_bits(u->layout).te))
		return; /* nothing leaves the pin */
	retry_unclocked(u);
	if (tx_waiting(u) >= tx_room(u))
		return; /* TDR (the TX FIFO) full: dropped */
	unsigned bits = data_bits(u);
	uint8_t byte = (uint8_t)(bits >= 8 ? value : value & ((1u << bits) - 1u));
	uint32_t kernel_hz = sim_usart_kernel_hz(u);
	if (kernel_hz == 0) {
		u->tx_unclocked = true; /* the shifter never runs */
		u->tx_held = byte;
		return;
	}
	shift_out(u, byte, sim_usart_baud(u, kernel_hz)); /* baud 0: BRR below 16, unreadable */
}

static unsigned rx_room(const struct sim_usart *u) { return fifo_mode(u) ? SIM_USART_FIFO : 1u; }

void sim_usart_receive(struct sim_usart *u, uint8_t byte)
{
	if (!enabled(u, cr1_bits(u->layout).re))
		return;
	if (u->rx_count >= rx_room(u)) {
		u->ore = true;
		u->env->stats->usart_rx_overruns++;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % SIM_USART_FIFO] = byte;
	u->rx_count++;
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
	bool overrun = u->rx_count >= rx_room(u);
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
	uint32_t s = (tx_waiting(u) < tx_room(u) ? ST_TXE : 0) | (tx_complete(u) ? ST_TC : 0) |
		     (u->rx_count ? ST_RXNE : 0) | (u->ore ? ST_ORE : 0) | (u->fe ? ST_FE : 0) |
		     (u->pe ? ST_PE : 0);
	if (u->layout == SIM_USART_ISR_TDR) {
		struct cr1_bits b = cr1_bits(u->layout);
		if (u->cr1 & b.ue) {
			s |= (u->cr1 & b.te) ? ISR_TEACK : 0;
			s |= (u->cr1 & b.re) ? ISR_REACK : 0;
		}
		if (u->fifo) {
			s |= tx_waiting(u) == 0 ? ISR_TXFE : 0;
			s |= fifo_mode(u) && u->rx_count == SIM_USART_FIFO ? ISR_RXFF : 0;
		}
	}
	return s;
}

static uint32_t take_rdr(struct sim_usart *u)
{
	if (u->layout == SIM_USART_SR_DR)
		u->ore = u->fe = u->pe = false; /* cleared by the SR-then-DR read sequence */
	if (!u->rx_count)
		return u->rx[u->rx_head]; /* RDR keeps the last byte */
	uint8_t byte = u->rx[u->rx_head];
	if (--u->rx_count)
		u->rx_head = (u->rx_head + 1u) % SIM_USART_FIFO;
	return byte;
}

uint32_t sim_usart_read(void *ctx, uint32_t offset)
{
	struct sim_usart *u = ctx;
	retry_unclocked(u);
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
	case N_PRESC: return u->fifo ? u->presc : 0;
	}
	return 0;
}

/* TC written 0 (old SR) or TCCF (ICR): cleared until the next frame ends. */
static void clear_tc(struct sim_usart *u)
{
	if (u->env->now_ps >= u->tx_end_ps)
		u->tc_cleared = true;
}

static void write_cr1(struct sim_usart *u, uint32_t value, uint32_t mask)
{
	uint32_t cr1 = sim_merge(u->cr1, value, mask);
	uint32_t ue = cr1_bits(u->layout).ue;
	if (!u->fifo)
		cr1 &= ~(CR1_FIFOEN | CR1_TXFEIE | CR1_RXFFIE);
	if ((u->cr1 & ue) && !(cr1 & ue)) {
		/* UE cleared: the USART stops, what waits is lost (RM0433). */
		u->tx_unclocked = false;
		for (unsigned i = 0; i < SIM_USART_FIFO; i++)
			if (u->tx_start_ps[i] > u->env->now_ps)
				u->tx_start_ps[i] = u->env->now_ps;
		u->rx_count = 0;
	}
	u->cr1 = cr1;
}

static void write_old(struct sim_usart *u, uint32_t offset, uint32_t value, uint32_t mask)
{
	switch (offset) {
	case O_SR: /* rc_w0: writing 0 clears TC and RXNE */
		if ((mask & ST_TC) && !(value & ST_TC))
			clear_tc(u);
		if ((mask & ST_RXNE) && !(value & ST_RXNE))
			u->rx_count = 0;
		break;
	case O_DR: transmit(u, value & mask); break;
	case O_BRR: u->brr = sim_merge(u->brr, value, mask) & 0xFFFFu; break;
	case O_CR1: write_cr1(u, value, mask); break;
	case O_CR2: u->cr2 = sim_merge(u->cr2, value, mask); break;
	case O_CR3: u->cr3 = sim_merge(u->cr3, value, mask); break;
	case O_GTPR: u->gtpr = sim_merge(u->gtpr, value, mask); break;
	default: break;
	}
}

static void write_new(struct sim_usart *u, uint32_t offset, uint32_t value, uint32_t mask)
{
	switch (offset) {
	case N_CR1: write_cr1(u, value, mask); break;
	case N_CR2: u->cr2 = sim_merge(u->cr2, value, mask); break;
	case N_CR3: u->cr3 = sim_merge(u->cr3, value, mask); break;
	case N_BRR: u->brr = sim_merge(u->brr, value, mask) & 0xFFFFu; break;
	case N_GTPR: u->gtpr = sim_merge(u->gtpr, value, mask); break;
	case N_RQR:
		if (value & mask & RQR_RXFRQ)
			u->rx_count = 0; /* RXFRQ: RDR / the RX FIFO emptied */
		break;
	case N_ICR:
		if (value & mask & ST_ORE)
			u->ore = false;
		if (value & mask & ST_FE)
			u->fe = false;
		if (value & mask & ST_PE)
			u->pe = false;
		if (value & mask & ST_TC)
			clear_tc(u);
		break;
	case N_TDR: transmit(u, value & mask); break;
	case N_PRESC:
		if (u->fifo)
			u->presc = sim_merge(u->presc, value, mask) & 0xFu;
		break;
	default: break;
	}
}

void sim_usart_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_usart *u = ctx;
	retry_unclocked(u);
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
 * TXEIE TXE, TCIE TC; the bits sit at CR1 5/7/6 in both layouts; in FIFO
 * mode RXFNEIE/TXFNFIE are the same bits, TXFEIE 30 and RXFFIE 31 add
 * TXFE and RXFF, RM0433). */
bool sim_usart_irq(const struct sim_usart *u)
{
	const uint32_t rxneie = 1u << 5, tcie = 1u << 6, txeie = 1u << 7;
	uint32_t s = status(u);
	return ((u->cr1 & rxneie) && (s & (ST_RXNE | ST_ORE))) || ((u->cr1 & txeie) && (s & ST_TXE)) ||
	       ((u->cr1 & tcie) && (s & ST_TC)) || ((u->cr1 & CR1_TXFEIE) && (s & ISR_TXFE)) ||
	       ((u->cr1 & CR1_RXFFIE) && (s & ISR_RXFF));
}

/* When TXE (a byte moving into the shifter) or TC next change by
 * themselves; UINT64_MAX when nothing is on its way. A program polling
 * them sees nothing new before then. */
uint64_t sim_usart_next_change(const struct sim_usart *u)
{
	uint64_t now = u->env->now_ps, first = UINT64_MAX;
	for (unsigned i = 0; i < SIM_USART_FIFO; i++)
		if (u->tx_start_ps[i] > now && u->tx_start_ps[i] < first)
			first = u->tx_start_ps[i];
	if (u->tx_end_ps > now && u->tx_end_ps < first)
		first = u->tx_end_ps;
	return first;
}

/* The same while an interrupt enable watches TXE or TC: the line may rise
 * then. */
uint64_t sim_usart_deadline(const struct sim_usart *u)
{
	const uint32_t tcie = 1u << 6, txeie = 1u << 7;
	return (u->cr1 & (txeie | tcie | CR1_TXFEIE)) ? sim_usart_next_change(u) : UINT64_MAX;
}

