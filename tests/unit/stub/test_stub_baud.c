/* The rate ladder (src/lib/stub/stub_baud.c) against a fake stub that
 * models the line: a frame arrives only when host and stub run at the same
 * rate, the stub answers BAUD above the rates its clock makes, damages a
 * full-size frame above the rate it keeps up with, and the port refuses
 * some rates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stm32boot/stub.h"
#include "stub/stub_baud.h"

struct fake {
	struct stm32_transport t;
	uint8_t frame[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
	size_t have;
	uint8_t out[8192];
	size_t out_len, out_pos;
	unsigned stub_rate, old_rate;  /* the stub's, and the one it goes back to */
	bool pending;                  /* switched, no good frame yet */
	unsigned host_rate;
	unsigned clock_max;            /* above: BAUD */
	unsigned keeps_up;             /* above: a full-size frame arrives damaged */
	unsigned refused;              /* the port cannot run at it */
	bool lose_confirm_reply;       /* a CONFIRM arrives whole, its reply does not */
	unsigned set_baud_seen[8];
	size_t set_bauds;
};

static void reply(struct fake *f, uint8_t code, uint8_t seq, uint8_t status, const uint8_t *body,
		  size_t length)
{
	if (f->host_rate != f->stub_rate)
		return; /* garbage to the host's receiver */
	uint8_t *o = f->out + f->out_len;
	o[0] = STUB_SOF_REPLY;
	o[1] = code;
	o[2] = seq;
	o[3] = (uint8_t)(length + 1);
	o[4] = (uint8_t)((length + 1) >> 8);
	o[5] = (uint8_t)(0xFF ^ o[0] ^ o[1] ^ o[2] ^ o[3] ^ o[4]);
	o[6] = status;
	if (length)
		memcpy(o + 7, body, length);
	stub_put32(o + 7 + length, stub_crc32(0, o + 1, 6 + length));
	f->out_len += 11 + length;
}

static void hello(struct fake *f, uint8_t seq)
{
	uint8_t b[STUB_HELLO_BYTES] = {0};
	stub_put32(b + STUB_HELLO_MAGIC, STUB_MAGIC);
	b[STUB_HELLO_PROTOCOL] = STUB_PROTOCOL_VERSION;
	b[STUB_HELLO_DRIVER] = STUB_DRIVER_F1;
	b[STUB_HELLO_WINDOW] = 2;
	b[STUB_HELLO_UNIT] = 2;
	b[STUB_HELLO_PAYLOAD] = (uint8_t)STUB_MAX_PAYLOAD;
	b[STUB_HELLO_PAYLOAD + 1] = (uint8_t)(STUB_MAX_PAYLOAD >> 8);
	stub_put32(b + STUB_HELLO_CAPS, STUB_CAP_SET_BAUD);
	stub_put32(b + STUB_HELLO_CLOCK, 32000000u);
	stub_put32(b + STUB_HELLO_BAUD, f->stub_rate);
	reply(f, STUB_CMD_HELLO, seq, STUB_OK, b, sizeof(b));
}

static void run_frame(struct fake *f)
{
	uint8_t code = f->frame[1], seq = f->frame[2];
	size_t length = (size_t)f->frame[3] | (size_t)f->frame[4] << 8;
	if (f->host_rate != f->stub_rate) {
		/* Garbage to the stub; a host back at the old rate finds it
		 * there (the host waits out the stub's 500 ms first). */
		if (!f->pending || f->host_rate != f->old_rate)
			return;
		f->stub_rate = f->old_rate;
		f->pending = false;
	}
	if (code == STUB_CMD_CONFIRM && length == STUB_MAX_PAYLOAD && f->stub_rate > f->keeps_up) {
		reply(f, code, seq, STUB_E_CRC, NULL, 0); /* it overran */
		return;
	}
	f->pending = false;
	if (code == STUB_CMD_CONFIRM && f->lose_confirm_reply) {
		f->lose_confirm_reply = false;
		return;
	}
	if (code == STUB_CMD_HELLO) {
		hello(f, seq);
	} else if (code == STUB_CMD_SET_BAUD) {
		uint32_t rate = stub_get32(f->frame + STUB_HEADER_BYTES);
		f->set_baud_seen[f->set_bauds++ % 8] = rate;
		if (rate > f->clock_max) {
			reply(f, code, seq, STUB_E_BAUD, NULL, 0);
			return;
		}
		uint8_t body[4];
		stub_put32(body, rate);
		reply(f, code, seq, STUB_OK, body, 4);
		f->old_rate = f->stub_rate;
		f->stub_rate = rate;
		f->pending = true;
	} else {
		reply(f, code, seq, STUB_OK, NULL, 0);
	}
}

static enum stm32_status fake_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				    struct stm32_error *err)
{
	(void)err;
	struct fake *f = t->impl;
	for (size_t i = 0; i < length; i++) {
		f->frame[f->have++] = data[i];
		if (f->have >= STUB_HEADER_BYTES &&
		    f->have == STUB_FRAME_OVERHEAD + ((size_t)f->frame[3] | (size_t)f->frame[4] << 8)) {
			run_frame(f);
			f->have = 0;
		}
	}
	return STM32_OK;
}

static enum stm32_status fake_read(struct stm32_transport *t, uint8_t *data, size_t length,
				   unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	struct fake *f = t->impl;
	size_t n = f->out_len - f->out_pos < length ? f->out_len - f->out_pos : length;
	memcpy(data, f->out + f->out_pos, n);
	f->out_pos += n;
	*got = n;
	if (f->out_pos == f->out_len)
		f->out_pos = f->out_len = 0;
	return n < length ? stm32_error_set(err, STM32_E_TIMEOUT, "nothing more") : STM32_OK;
}

static enum stm32_status fake_drain(struct stm32_transport *t, struct stm32_error *err)
{
	(void)err;
	struct fake *f = t->impl;
	f->out_pos = f->out_len = 0;
	return STM32_OK;
}

static enum stm32_status fake_reconfigure(struct stm32_transport *t,
					  const struct stm32_uart_config *cfg, struct stm32_error *err)
{
	struct fake *f = t->impl;
	if (cfg->baud == f->refused)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the port cannot run at %u baud",
				       cfg->baud);
	f->host_rate = cfg->baud;
	t->baud = cfg->baud;
	return STM32_OK;
}

static const struct stm32_transport_ops fake_ops = {
	.name = "fake", .write = fake_write, .read = fake_read, .drain = fake_drain,
	.reconfigure = fake_reconfigure,
};
static const struct stm32_transport_ops fixed_ops = {
	.name = "socket", .write = fake_write, .read = fake_read, .drain = fake_drain,
};

struct rig {
	struct fake f;
	struct stub_session s;
	struct stub_baud b;
};

static struct rig *rig_new(unsigned wanted, unsigned clock_max, unsigned keeps_up, unsigned refused)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->f.t = (struct stm32_transport){.ops = &fake_ops, .kind = STM32_LINK_UART, .baud = 115200,
					  .impl = &r->f};
	r->f.stub_rate = r->f.host_rate = 115200;
	r->f.clock_max = clock_max;
	r->f.keeps_up = keeps_up;
	r->f.refused = refused;
	stub_session_init(&r->s, &r->f.t);
	r->s.frame_timeout_ms = 5;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_session_resync(&r->s, 1, 5, &err), STM32_OK);
	stub_baud_init(&r->b, STUB_CHIP_F1, 115200, wanted);
	return r;
}

static unsigned switch_ok(struct rig *r)
{
	struct stm32_error err;
	stm32_error_clear(&err);
	enum stm32_status st = stub_baud_switch(&r->b, &r->s, &err);
	if (st != STM32_OK)
		fail_msg("switch: %s", err.message);
	assert_int_equal(r->f.host_rate, r->f.stub_rate);
	assert_int_equal(r->b.now.baud, r->f.stub_rate);
	assert_int_equal(r->s.hello.baud, r->f.stub_rate);
	return r->f.stub_rate;
}

static void the_first_rate_that_works_is_2_mbaud(void **state)
{
	(void)state;
	struct rig *r = rig_new(0, 4000000, 4000000, 0);
	assert_int_equal(switch_ok(r), 2000000);
	assert_int_equal(r->b.now.parity, 'n');
	assert_int_equal(r->f.set_bauds, 1);
	free(r);
}

static void a_rate_the_stub_cannot_make_is_skipped(void **state)
{
	(void)state;
	struct rig *r = rig_new(0, 1000000, 4000000, 0);
	assert_int_equal(switch_ok(r), 1000000);
	assert_int_equal(r->f.set_bauds, 2);
	assert_int_equal(r->f.set_baud_seen[0], 2000000);
	free(r);
}

static void a_rate_the_port_refuses_is_skipped_before_the_stub_moves(void **state)
{
	(void)state;
	struct rig *r = rig_new(0, 4000000, 4000000, 2000000);
	assert_int_equal(switch_ok(r), 1000000);
	assert_int_equal(r->f.set_bauds, 1);
	assert_int_equal(r->f.set_baud_seen[0], 1000000);
	free(r);
}

/* The stub overruns the full-size CONFIRM at 2 M: both go back to 115200
 * (8E1), HELLO there, and 1 M is confirmed. */
static void a_damaged_confirm_goes_back_and_tries_the_next(void **state)
{
	(void)state;
	struct rig *r = rig_new(0, 4000000, 1000000, 0);
	assert_int_equal(switch_ok(r), 1000000);
	assert_int_equal(r->f.set_bauds, 2);
	free(r);
}

/* The stub took the CONFIRM and keeps the new rate; the host, which never
 * saw the reply, finds nobody at the old rate and meets it at the new. */
static void a_lost_confirm_reply_finds_the_stub_at_the_new_rate(void **state)
{
	(void)state;
	struct rig *r = rig_new(0, 2000000, 2000000, 0);
	r->f.lose_confirm_reply = true;
	assert_int_equal(switch_ok(r), 2000000);
	assert_false(r->f.lose_confirm_reply); /* the fault did happen */
	free(r);
}

static void an_explicit_rate_is_that_one_or_refused(void **state)
{
	(void)state;
	struct rig *r = rig_new(460800, 4000000, 4000000, 0);
	assert_int_equal(switch_ok(r), 460800);
	free(r);
	r = rig_new(2000000, 1000000, 4000000, 0);
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stub_baud_switch(&r->b, &r->s, &err), STM32_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "--stub-baud 2000000"));
	assert_int_equal(r->f.stub_rate, 115200);
	assert_int_equal(r->f.host_rate, 115200);
	free(r);
	r = rig_new(STM32_STUB_BAUD_KEEP, 4000000, 4000000, 0);
	assert_int_equal(switch_ok(r), 115200);
	assert_int_equal(r->b.now.parity, 'e');
	assert_int_equal(r->f.set_bauds, 0);
	free(r);
}

static void a_port_that_cannot_switch_keeps_the_start_rate(void **state)
{
	(void)state;
	struct rig *r = rig_new(0, 4000000, 4000000, 0);
	r->f.t.ops = &fixed_ops;
	assert_int_equal(switch_ok(r), 115200);
	assert_int_equal(r->f.set_bauds, 0);
	free(r);
}

static void the_estimate_uses_the_rate_the_clock_makes(void **state)
{
	(void)state;
	assert_int_equal(stub_baud_planned(STUB_CHIP_F1, 115200, 0), 2000000);
	assert_int_equal(stub_baud_planned(STUB_CHIP_F1, 115200, STM32_STUB_BAUD_KEEP), 115200);
	assert_int_equal(stub_baud_planned(STUB_CHIP_F1, 115200, 460800), 460800);
	assert_true(stub_baud_makes(STUB_CHIP_F1, 32000000, 2000000));
	assert_false(stub_baud_makes(STUB_CHIP_F1, 32000000, 3000000)); /* BRR < 16, no OVER8 */
	assert_true(stub_baud_makes(STUB_CHIP_F4, 16000000, 2000000));  /* OVER8 */
	assert_false(stub_baud_makes(STUB_CHIP_F4, 16000000, 3000000)); /* 32 MHz / 3 M < 16 */
	/* the clocks the stub raises to (stub/clock.c) */
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_F1), 64000000);
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_F4), 64000000);
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_F0), 48000000);
	assert_false(stub_baud_makes(STUB_CHIP_F1, 64000000, 5000000));
	/* the HSI16 parts' PLLs: 64 MHz, WL's 48 MHz maximum, L0/L1 32 MHz */
	static const uint32_t at64[] = {STUB_CHIP_G0, STUB_CHIP_G4, STUB_CHIP_L4, STUB_CHIP_WB};
	for (size_t i = 0; i < sizeof(at64) / sizeof(at64[0]); i++) {
		assert_int_equal(stub_baud_clock_hz(at64[i]), 64000000);
		assert_int_equal(stub_baud_planned(at64[i], 115200, 0), 2000000);
	}
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_WL), 48000000);
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_L0), 32000000);
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_L1), 32000000);
	/* the ladder keeps 32 clocks a bit: WL and L0 stop at 1 Mbaud; L1,
	 * which overruns there on the emulator, at 460800 */
	assert_int_equal(stub_baud_planned(STUB_CHIP_F4, 115200, 0), 2000000);
	assert_int_equal(stub_baud_planned(STUB_CHIP_WL, 115200, 0), 1000000);
	assert_int_equal(stub_baud_planned(STUB_CHIP_L0, 115200, 0), 1000000);
	assert_int_equal(stub_baud_planned(STUB_CHIP_L1, 115200, 0), 460800);
	assert_int_equal(stub_baud_planned(STUB_CHIP_L1, 115200, 1000000), 1000000); /* asked for */
	assert_true(stub_baud_makes(STUB_CHIP_L0, 32000000, 2000000)); /* OVER8, off the ladder */
	assert_int_equal(stub_baud_planned(STUB_CHIP_L1, 115200, 2000000), 2000000); /* asked for */
	/* H7: HSI's 64 MHz with no PLL, exactly 32 clocks a bit at 2 Mbaud;
	 * 4 Mbaud needs OVER8 (64 MHz / 4 M = 16) and is not on the ladder. */
	assert_int_equal(stub_baud_clock_hz(STUB_CHIP_H7), 64000000);
	assert_int_equal(stub_baud_planned(STUB_CHIP_H7, 115200, 0), 2000000);
	assert_true(stub_baud_makes(STUB_CHIP_H7, 64000000, 4000000));
	assert_false(stub_baud_makes(STUB_CHIP_H7, 64000000, 10000000)); /* 128 MHz / 10 M < 16 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_first_rate_that_works_is_2_mbaud),
		cmocka_unit_test(a_rate_the_stub_cannot_make_is_skipped),
		cmocka_unit_test(a_rate_the_port_refuses_is_skipped_before_the_stub_moves),
		cmocka_unit_test(a_damaged_confirm_goes_back_and_tries_the_next),
		cmocka_unit_test(a_lost_confirm_reply_finds_the_stub_at_the_new_rate),
		cmocka_unit_test(an_explicit_rate_is_that_one_or_refused),
		cmocka_unit_test(a_port_that_cannot_switch_keeps_the_start_rate),
		cmocka_unit_test(the_estimate_uses_the_rate_the_clock_makes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
