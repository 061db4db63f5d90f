/* The USART's transmit timing (TXE and TC follow the frames at the baud
 * BRR gives: RM0008 §27.3.2, RM0433 "Character transmission"), the
 * prescaler (USART_PRESC before BRR) and the 8-deep FIFOs (CR1.FIFOEN:
 * TXFNF/TXFE, RXFNE/RXFF, RQR.RXFRQ) of the USARTs that have them
 * (RM0433 H7, RM0444 G0 USART1), and a byte with no kernel clock staying
 * in TDR until the clock runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chip/chip.h"
#include "cpu/soc.h"

#define PS_PER_US 1000000ull

struct rig {
	struct sim_chip chip;
	struct sim_cpu_stats stats;
	struct sim_cpu_callbacks callbacks;
	struct sim_soc soc;
	unsigned count;
	uint8_t bytes[32];
	uint32_t baud;
};

static void on_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct rig *r = user;
	(void)usart;
	if (r->count < sizeof(r->bytes))
		r->bytes[r->count] = byte;
	r->count++;
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
static void at_ps(struct rig *r, uint64_t t) { r->soc.env.now_ps = t; }

#define TXE (1u << 7)
#define TC  (1u << 6)
#define RXNE (1u << 5)
#define ORE (1u << 3)
#define TXFE (1u << 23)
#define RXFF (1u << 24)

/* F103 USART1 (old layout, no FIFO), BRR 69 at the 8 MHz HSI: 115942
 * baud, an 8N1 frame 10 bits = 86.25 us. */
static void f1_txe_and_tc_follow_the_frames(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32f103xb");
	const uint32_t sr = 0x40013800u, dr = 0x40013804u;
	wr(&r, 0x40013808u, 69);
	wr(&r, 0x4001380Cu, 1u << 13 | 1u << 3); /* UE, TE */
	assert_int_equal(rd(&r, sr) & (TXE | TC), TXE | TC); /* reset: idle */
	const uint64_t half_bit = 500000000000ull / 115942u, frame = 20 * half_bit;
	wr(&r, dr, 'a');
	assert_int_equal(rd(&r, sr) & (TXE | TC), TXE); /* 'a' in the shifter at once */
	wr(&r, dr, 'b');
	assert_int_equal(rd(&r, sr) & (TXE | TC), 0); /* 'b' waits in DR */
	wr(&r, dr, 'c');                            /* DR full: dropped */
	assert_int_equal(r.count, 2);
	assert_memory_equal(r.bytes, "ab", 2);
	struct sim_usart *u = sim_soc_usart(&r.soc, 1);
	assert_int_equal(sim_usart_next_change(u), frame); /* 'b' enters the shifter */
	assert_int_equal(sim_usart_deadline(u), UINT64_MAX); /* no interrupt watches it */
	at_ps(&r, frame - 1);
	assert_int_equal(rd(&r, sr) & TXE, 0);
	at_ps(&r, frame);
	assert_int_equal(rd(&r, sr) & (TXE | TC), TXE); /* 'b' shifting */
	at_ps(&r, 2 * frame - 1);
	assert_int_equal(rd(&r, sr) & TC, 0);
	assert_int_equal(sim_usart_next_change(u), 2 * frame); /* TC */
	at_ps(&r, 2 * frame);
	assert_int_equal(rd(&r, sr) & TC, TC);
	assert_int_equal(sim_usart_next_change(u), UINT64_MAX);
	wr(&r, sr, ~TC); /* rc_w0 */
	assert_int_equal(rd(&r, sr) & TC, 0);
	/* 9-bit word (M: 8 data + even parity) and two stop bits: 12 bits. */
	wr(&r, 0x40013810u, 2u << 12);
	wr(&r, 0x4001380Cu, 1u << 13 | 1u << 12 | 1u << 10 | 1u << 3);
	wr(&r, dr, 'd');
	uint64_t start = r.soc.env.now_ps;
	at_ps(&r, start + 24 * half_bit - 1);
	assert_int_equal(rd(&r, sr) & TC, 0);
	at_ps(&r, start + 24 * half_bit);
	assert_int_equal(rd(&r, sr) & TC, TC);
	down(&r);
}

/* TXEIE: the line rises when the waiting byte moves into the shifter,
 * and the core is told when that is. */
static void txe_interrupt_when_the_shifter_takes_the_byte(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32f103xb");
	struct sim_usart *u = sim_soc_usart(&r.soc, 1);
	wr(&r, 0x40013808u, 69);
	wr(&r, 0x4001380Cu, 1u << 13 | 1u << 3);
	wr(&r, 0x40013804u, 'a');
	wr(&r, 0x40013804u, 'b');
	wr(&r, 0x4001380Cu, 1u << 13 | 1u << 7 | 1u << 3); /* TXEIE */
	assert_false(sim_usart_irq(u));
	uint64_t when = sim_usart_deadline(u);
	assert_true(when > 0 && when < UINT64_MAX);
	assert_int_equal(sim_soc_deadline(&r.soc), when);
	at_ps(&r, when);
	assert_true(sim_usart_irq(u));
	down(&r);
}

#define H7_USART1 0x40011000u

/* H743 USART1 (RM0433): FIFOEN gives 8 places behind the shifter. */
static void h7_tx_and_rx_fifos(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32h743zi");
	const uint32_t isr = H7_USART1 + 0x1C, tdr = H7_USART1 + 0x28;
	wr(&r, H7_USART1 + 0x0C, 556); /* 64 MHz / 115200 */
	wr(&r, H7_USART1, 1u << 29 | 1u << 3 | 1u << 2 | 1u); /* FIFOEN, TE, RE, UE */
	assert_int_equal(rd(&r, H7_USART1) & (1u << 29), 1u << 29);
	assert_int_equal(rd(&r, isr) & (TXE | TXFE | TC), TXE | TXFE | TC);
	for (int i = 0; i < 9; i++) {
		assert_true(rd(&r, isr) & TXE); /* TXFNF */
		wr(&r, tdr, (uint32_t)('0' + i));
	}
	assert_int_equal(rd(&r, isr) & (TXE | TXFE | TC), 0); /* FIFO full */
	wr(&r, tdr, 'X');                                   /* dropped */
	assert_int_equal(r.count, 9);
	assert_memory_equal(r.bytes, "012345678", 9);
	at_ps(&r, 1000 * PS_PER_US); /* 9 frames are 781 us */
	assert_int_equal(rd(&r, isr) & (TXE | TXFE | TC), TXE | TXFE | TC);
	/* RX: eight bytes fill the FIFO (RXFF), a ninth overruns. */
	struct sim_usart *u = sim_soc_usart(&r.soc, 1);
	for (int i = 0; i < 8; i++)
		sim_usart_receive(u, (uint8_t)('a' + i));
	assert_int_equal(rd(&r, isr) & (RXNE | RXFF | ORE), RXNE | RXFF);
	sim_usart_receive(u, 'z');
	assert_true(rd(&r, isr) & ORE);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rd(&r, H7_USART1 + 0x24), 'a' + i);
	assert_int_equal(rd(&r, isr) & (RXNE | RXFF), 0);
	sim_usart_receive(u, 'p');
	sim_usart_receive(u, 'q');
	wr(&r, H7_USART1 + 0x18, 1u << 3); /* RQR.RXFRQ */
	assert_int_equal(rd(&r, isr) & RXNE, 0);
	/* Without FIFOEN: one byte waits, RDR holds one. */
	wr(&r, H7_USART1, 1u << 3 | 1u << 2 | 1u);
	uint64_t now = r.soc.env.now_ps;
	wr(&r, tdr, 'A');
	wr(&r, tdr, 'B');
	assert_int_equal(rd(&r, isr) & TXE, 0);
	wr(&r, tdr, 'C');
	assert_int_equal(r.count, 11);
	sim_usart_receive(u, 'r');
	sim_usart_receive(u, 's');
	assert_true(rd(&r, isr) & ORE);
	assert_int_equal(rd(&r, H7_USART1 + 0x24), 'r');
	at_ps(&r, now + 200 * PS_PER_US);
	assert_true(rd(&r, isr) & TC);
	down(&r);
}

/* PRESC (0x2C) divides the kernel clock before BRR on H7; the F0 USART
 * has no PRESC (reads 0, divides nothing) and no FIFOEN. */
static void presc_divides_the_kernel_clock_where_it_exists(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32h743zi");
	wr(&r, H7_USART1 + 0x2C, 1); /* /2: 32 MHz */
	assert_int_equal(rd(&r, H7_USART1 + 0x2C), 1);
	wr(&r, H7_USART1 + 0x0C, 278);
	wr(&r, H7_USART1, 1u << 3 | 1u);
	wr(&r, H7_USART1 + 0x28, 'p');
	assert_int_equal(r.baud, 115108u); /* 32 MHz / 278 */
	wr(&r, H7_USART1 + 0x2C, 7); /* /16: 4 MHz */
	r.soc.env.now_ps += 1000 * PS_PER_US;
	wr(&r, H7_USART1 + 0x0C, 35);
	wr(&r, H7_USART1 + 0x28, 'q');
	assert_int_equal(r.baud, 114286u);
	down(&r);
	up(&r, "stm32f07x");
	const uint32_t usart1 = 0x40013800u;
	wr(&r, usart1 + 0x2C, 1);
	assert_int_equal(rd(&r, usart1 + 0x2C), 0);
	wr(&r, usart1 + 0x0C, 69); /* 8 MHz HSI */
	wr(&r, usart1, 1u << 29 | 1u << 3 | 1u);
	assert_int_equal(rd(&r, usart1) & (1u << 29), 0);
	wr(&r, usart1 + 0x28, 'f');
	assert_int_equal(r.baud, 115942u);
	down(&r);
}

/* G03x (RM0444): USART1 is the full USART (FIFO), USART2 the basic one. */
static void g0_fifo_on_usart1_only(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32g03x");
	wr(&r, 0x40013800u, 1u << 29);
	assert_int_equal(rd(&r, 0x40013800u) & (1u << 29), 1u << 29);
	wr(&r, 0x40004400u, 1u << 29);
	assert_int_equal(rd(&r, 0x40004400u) & (1u << 29), 0);
	down(&r);
}

/* H743 USART2 on csi_ker with CSI off: the byte stays in TDR (TXE, TC 0)
 * and leaves once CSION gives the clock. */
static void a_byte_without_kernel_clock_waits_for_it(void **state)
{
	(void)state;
	struct rig r;
	up(&r, "stm32h743zi");
	const uint32_t usart2 = 0x40004400u;
	wr(&r, 0x58024400u + 0x54, 4u); /* USART234578SEL = csi_ker */
	wr(&r, usart2 + 0x0C, 35);       /* 4 MHz / 115200 */
	wr(&r, usart2, 1u << 3 | 1u);
	wr(&r, usart2 + 0x28, 'k');
	assert_int_equal(r.count, 0);
	assert_int_equal(rd(&r, usart2 + 0x1C) & (TXE | TC), 0);
	r.soc.env.now_ps += 10000 * PS_PER_US;
	assert_int_equal(rd(&r, usart2 + 0x1C) & (TXE | TC), 0);
	wr(&r, 0x58024400u, rd(&r, 0x58024400u) | 1u << 7); /* CSION */
	assert_true(rd(&r, usart2 + 0x1C) & TXE);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.bytes[0], 'k');
	assert_int_equal(r.baud, 114286u);
	down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(f1_txe_and_tc_follow_the_frames),
		cmocka_unit_test(txe_interrupt_when_the_shifter_takes_the_byte),
		cmocka_unit_test(h7_tx_and_rx_fifos),
		cmocka_unit_test(presc_divides_the_kernel_clock_where_it_exists),
		cmocka_unit_test(g0_fifo_on_usart1_only),
		cmocka_unit_test(a_byte_without_kernel_clock_waits_for_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
