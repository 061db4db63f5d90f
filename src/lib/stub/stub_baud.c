/* Rate switching with the running stub (docs/stub-protocol.md). One try:
 *   1. the port is asked to run at the rate and put back (so a rate the
 *      port cannot make is known before the stub moves);
 *   2. SET_BAUD at the old rate: the stub answers there, BAUD when its
 *      clock cannot make the rate within 2 %;
 *   3. the host drains and switches; one CONFIRM frame of full size at the
 *      new rate: its reply proves that frames as large as a write's arrive
 *      whole (a stub that cannot keep up with the bytes damages it);
 *      then a HELLO, whose answer gives the stub's clock and rate now;
 *   4. no good reply: no second frame (any good frame would confirm the
 *      rate on the stub's side); back to the old rate, wait out the stub's
 *      500 ms, HELLO again there;
 *   5. no answer there either: the CONFIRM did arrive whole and only its
 *      reply was lost, so the stub kept the new rate: HELLO at that rate. */
#include "stub/stub_baud.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "stm32boot/stub.h"

#define CONFIRM_WINDOW_MS 500u  /* the stub's wait for a good frame (stub.c) */
#define FALLBACK_MARGIN_MS 150u /* beyond it, before the host talks at the old rate */
/* The reply's wait beyond the frame's wire time: the wire time plus this
 * stays inside the stub's window at every rate of the ladder (90 ms of
 * wire at 115200), with room for a stub whose clock runs late (the
 * emulator's core). */
#define CONFIRM_REPLY_MS 300u
#define SWITCH_SETTLE_MS 25u /* after the host's switch, before the CONFIRM (an ASan-built emulator is slow) */
/* HELLOs at the old rate after a failed switch: the first one normally
 * finds the stub; more for a stub whose 500 ms run late (an emulated core
 * slower than the wall clock). */
#define RESYNC_ATTEMPTS 25u
#define RESYNC_WAIT_MS 400u

void stub_baud_init(struct stub_baud *b, uint32_t chip, unsigned start_baud, unsigned wanted)
{
	memset(b, 0, sizeof(*b));
	b->chip = chip;
	b->start = (struct stm32_uart_config){start_baud, 8, 'e', 1};
	b->now = b->start;
	b->wanted = wanted;
}

static bool keeps_rate(const struct stub_baud *b)
{
	return b->wanted == STM32_STUB_BAUD_KEEP || (b->wanted && b->wanted == b->start.baud);
}

unsigned stub_baud_clock_hz(uint32_t chip)
{
	switch (chip) {
	/* The PLL the stub raises to (stub/clock.c) */
	case STUB_CHIP_F0: return 48000000u; /* HSI/2 x 12 */
	case STUB_CHIP_F1: case STUB_CHIP_F3: return 64000000u; /* HSI/2 x 16 */
	case STUB_CHIP_F2: case STUB_CHIP_F4: case STUB_CHIP_F7: return 64000000u; /* HSI16/16 x 256/4 */
	case STUB_CHIP_G0: case STUB_CHIP_G4: case STUB_CHIP_L4:
	case STUB_CHIP_WB: return 64000000u; /* HSI16 x 8 / 2 */
	case STUB_CHIP_WL: return 48000000u; /* HSI16 x 6 / 2: its maximum */
	case STUB_CHIP_L0: case STUB_CHIP_L1: return 32000000u; /* HSI16 x 4 / 2 */
	case STUB_CHIP_H7: return 64000000u; /* HSI at reset, no PLL (stub/chip_h7.h) */
	default: return 0;
	}
}

bool stub_baud_makes(uint32_t chip, unsigned clock_hz, unsigned baud)
{
	if (!baud || !clock_hz)
		return false;
	uint64_t div = ((uint64_t)clock_hz + baud / 2) / baud, scale = 1;
	if (div < 16) {
		if (chip == STUB_CHIP_F1)
			return false;
		div = (2ull * clock_hz + baud / 2) / baud;
		scale = 2;
		if (div < 16)
			return false;
	}
	uint64_t actual = scale * clock_hz / div;
	uint64_t off = actual > baud ? actual - baud : baud - actual;
	return off * 50u <= baud;
}

/* The ladder offers only rates that leave the stub's clock 32 cycles a
 * bit (stub/chip.c raises the clock to get them where it can: WL and
 * L0/L1 stop at 1 Mbaud): below, a stub on HSI16 (G0/G4/L4/WB/WL, L0/L1
 * at 1 Mbaud, before they had a PLL) took the CONFIRM but then overran
 * its one-byte receiver while it worked, on the emulator hundreds of
 * times in a 64 KiB write (24 s instead of 2.4 at 460800), and so did the
 * F4 at 2 Mbaud on HSI16. An explicit --stub-baud still may ask for such
 * a rate. */
static bool on_ladder(uint32_t chip, unsigned rate)
{
	/* L1 at 32 MHz still overruns at 1 Mbaud on the emulator while it
	 * programs (5 to 15 a 64 KiB write, 1.5 to 6.6 s against 1.5 s at
	 * 460800; L0 at 32 MHz none): docs/stub-protocol.md. */
	if (chip == STUB_CHIP_L1 && rate > 460800u)
		return false;
	return (uint64_t)stub_baud_clock_hz(chip) >= 32ull * rate;
}

unsigned stub_baud_planned(uint32_t chip, unsigned start_baud, unsigned wanted)
{
	return stub_baud_planned_at(chip, stub_baud_clock_hz(chip), start_baud, wanted);
}

unsigned stub_baud_planned_at(uint32_t chip, unsigned clock_hz, unsigned start_baud,
			      unsigned wanted)
{
	if (wanted == STM32_STUB_BAUD_KEEP || wanted == start_baud)
		return start_baud;
	if (wanted)
		return wanted;
	static const unsigned ladder[] = STUB_BAUD_LADDER;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (ladder[i] >= start_baud && stub_baud_makes(chip, clock_hz, ladder[i]) &&
		    on_ladder(chip, ladder[i]) && (uint64_t)clock_hz >= 32ull * ladder[i])
			return ladder[i];
	return start_baud;
}

enum stm32_status stub_baud_precheck(const struct stub_baud *b, uint32_t chip,
				     struct stm32_transport *t, struct stm32_error *err)
{
	if (!b->wanted || keeps_rate(b))
		return STM32_OK;
	unsigned clock = stub_baud_clock_hz(chip);
	if (!stub_baud_makes(chip, clock, b->wanted))
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "--stub-baud %u: the stub's %u MHz clock cannot make %u baud "
				       "within 2 %%%s", b->wanted, clock / 1000000u, b->wanted,
				       chip == STUB_CHIP_F1 ? " (the F1 USART divides by 16 at least)" : "");
	if (!t->ops->reconfigure)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "--stub-baud %u: a %s link cannot change its rate once open",
				       b->wanted, t->ops->name);
	struct stm32_uart_config to = {b->wanted, 8, 'n', 1};
	struct stm32_error perr;
	stm32_error_clear(&perr);
	enum stm32_status st = stm32_transport_reconfigure(t, &to, &perr);
	if (st == STM32_OK)
		st = stm32_transport_reconfigure(t, &b->now, &perr);
	if (st != STM32_OK)
		return stm32_error_set(err, st == STM32_E_INVALID ? STM32_E_UNSUPPORTED : st,
				       "--stub-baud %u: %s", b->wanted, perr.message);
	return STM32_OK;
}

static enum stm32_status port_can(struct stub_baud *b, struct stm32_transport *t, unsigned baud,
				  struct stm32_error *err)
{
	struct stm32_uart_config to = {baud, 8, 'n', 1};
	enum stm32_status st = stm32_transport_reconfigure(t, &to, err);
	if (st != STM32_OK)
		return st;
	return stm32_transport_reconfigure(t, &b->now, err);
}

static void filler(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 37u + 0xA5u); /* every byte value, SOFs among them */
}

/* 3: one CONFIRM, no resend, of the largest payload the stub announced
 * (the small image's frames are shorter). True when answered OK. */
static bool confirmed(struct stub_session *s, unsigned baud)
{
	uint8_t payload[STUB_MAX_PAYLOAD];
	size_t length = s->hello.max_payload < sizeof(payload) ? s->hello.max_payload : sizeof(payload);
	filler(payload, length);
	unsigned saved_retries = s->retries, saved_timeout = s->frame_timeout_ms;
	s->retries = 0;
	s->frame_timeout_ms = CONFIRM_REPLY_MS + (unsigned)((length + 64u) * 10u * 1000u / baud);
	struct stub_reply reply;
	struct stm32_error scratch;
	stm32_error_clear(&scratch);
	enum stm32_status st =
		stub_session_call(s, STUB_CMD_CONFIRM, payload, length, 0, &reply, &scratch);
	s->retries = saved_retries;
	s->frame_timeout_ms = saved_timeout;
	return st == STM32_OK && reply.status == STUB_OK;
}

/* 4: the stub goes back by itself; meet it at the old rate. */
static enum stm32_status back_to_old(struct stub_baud *b, struct stub_session *s,
				     uint64_t switched_at, struct stm32_error *err)
{
	enum stm32_status st = stm32_transport_reconfigure(s->t, &b->now, err);
	if (st != STM32_OK)
		return st;
	uint64_t ready = switched_at + CONFIRM_WINDOW_MS + FALLBACK_MARGIN_MS;
	uint64_t now = core_monotonic_ms();
	if (now < ready)
		core_sleep_ms((unsigned)(ready - now));
	return stub_session_resync(s, RESYNC_ATTEMPTS, RESYNC_WAIT_MS, err);
}

#define KEPT_RATE_ATTEMPTS 3u

/* 5: true when the stub answers at the new rate, which it keeps only after
 * a good frame, and the only frame sent there was the full-size CONFIRM. */
static bool kept_new_rate(struct stub_baud *b, struct stub_session *s,
			  const struct stm32_uart_config *to)
{
	struct stm32_error scratch;
	stm32_error_clear(&scratch);
	if (stm32_transport_reconfigure(s->t, to, &scratch) != STM32_OK)
		return false;
	if (stub_session_resync(s, KEPT_RATE_ATTEMPTS, RESYNC_WAIT_MS, &scratch) == STM32_OK)
		return true;
	stm32_error_clear(&scratch);
	(void)stm32_transport_reconfigure(s->t, &b->now, &scratch);
	return false;
}

/* One rate: STM32_OK switched; STM32_E_UNSUPPORTED not made (b->why_last
 * says why; both sides at the old rate); anything else lost the stub. */
static enum stm32_status try_rate(struct stub_baud *b, struct stub_session *s, unsigned baud,
				  struct stm32_error *err)
{
	struct stm32_error perr;
	stm32_error_clear(&perr);
	enum stm32_status st = port_can(b, s->t, baud, &perr);
	if (st == STM32_E_UNSUPPORTED || st == STM32_E_INVALID) {
		snprintf(b->why_last, sizeof(b->why_last), "%s", perr.message);
		return STM32_E_UNSUPPORTED;
	}
	if (st != STM32_OK)
		return stm32_error_set(err, st, "%s", perr.message);
	uint8_t payload[4];
	stub_put32(payload, baud);
	struct stub_reply reply;
	if ((st = stub_session_call(s, STUB_CMD_SET_BAUD, payload, 4, 0, &reply, err)) != STM32_OK)
		return st;
	if (reply.status == STUB_E_BAUD) {
		snprintf(b->why_last, sizeof(b->why_last),
			 "the stub cannot make %u baud from its clock within 2 %%", baud);
		return STM32_E_UNSUPPORTED;
	}
	if (reply.status != STUB_OK)
		return stub_status_error(&reply, "a rate change", 0, err);
	uint64_t switched_at = core_monotonic_ms();
	struct stm32_uart_config to = {baud, 8, 'n', 1};
	if ((st = stm32_transport_reconfigure(s->t, &to, err)) != STM32_OK)
		return st;
	/* The stub switches once its reply's last bit has left (TC). A host
	 * can hear that reply sooner: the emulator hands a byte over as the
	 * program writes it. A CONFIRM sent at once would then meet the old
	 * rate; a USB adapter's latency is longer than this anyway. */
	core_sleep_ms(SWITCH_SETTLE_MS);
	if (confirmed(s, baud)) {
		b->now = to;
		/* Its HELLO at the new rate says the clock it raised to. */
		return stub_session_resync(s, RESYNC_ATTEMPTS, RESYNC_WAIT_MS, err);
	}
	snprintf(b->why_last, sizeof(b->why_last),
		 "no good reply to a full-size frame at %u baud (the line or the stub's reception "
		 "did not keep up)", baud);
	st = back_to_old(b, s, switched_at, err);
	if (st != STM32_OK && st != STM32_E_IO && kept_new_rate(b, s, &to)) {
		stm32_error_clear(err);
		b->now = to;
		return STM32_OK;
	}
	if (st != STM32_OK && st != STM32_E_IO)
		stm32_error_set(err, st, "the stub did not answer at %u baud again after a failed "
				"switch to %u baud", b->now.baud, baud);
	return st == STM32_OK ? STM32_E_UNSUPPORTED : st;
}

enum stm32_status stub_baud_switch(struct stub_baud *b, struct stub_session *s,
				   struct stm32_error *err)
{
	if (keeps_rate(b))
		return STM32_OK;
	bool explicit = b->wanted != 0;
	if (!(s->hello.caps & STUB_CAP_SET_BAUD) || !s->t->ops->reconfigure) {
		if (!explicit)
			return STM32_OK; /* stays at the start rate */
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "--stub-baud %u: %s", b->wanted,
				       s->t->ops->reconfigure
					       ? "this stub cannot change its rate"
					       : "the port cannot change its rate once open");
	}
	if (explicit) {
		enum stm32_status st = try_rate(b, s, b->wanted, err);
		if (st == STM32_E_UNSUPPORTED)
			stm32_error_set(err, st, "--stub-baud %u: %s", b->wanted, b->why_last);
		return st;
	}
	static const unsigned ladder[] = STUB_BAUD_LADDER;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		if (ladder[i] < b->start.baud)
			break; /* slower than the ROM: no gain */
		if (!on_ladder(b->chip, ladder[i]))
			continue;
		enum stm32_status st = try_rate(b, s, ladder[i], err);
		if (st != STM32_E_UNSUPPORTED)
			return st;
	}
	stm32_error_clear(err);
	return STM32_OK; /* none worked: the start rate */
}

enum stm32_status stub_baud_to_start(struct stub_baud *b, struct stm32_transport *t,
				     struct stm32_error *err)
{
	if (b->now.baud == b->start.baud && b->now.parity == b->start.parity)
		return STM32_OK;
	enum stm32_status st = stm32_transport_reconfigure(t, &b->start, err);
	if (st == STM32_OK)
		b->now = b->start;
	return st;
}
