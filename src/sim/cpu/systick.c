/* SysTick (ARMv7-M B3.3): a 24-bit down counter at HCLK (CLKSOURCE = 1) or
 * HCLK/8, reloaded from LOAD on the tick after it reads 0, COUNTFLAG set
 * when it counts from 1 to 0 (not when it starts at 0, as after a VAL
 * write) and cleared by reading CTRL or writing VAL. The counter is computed from emulated time when
 * read, not ticked; with TICKINT each count to 0 sets pend, which the
 * exception model takes (ARMv7-M B3.3.1). */
#include <string.h>

#include "cpu/periph.h"

#define ST_CTRL  0x0u
#define ST_LOAD  0x4u
#define ST_VAL   0x8u
#define ST_CALIB 0xCu
#define CTRL_ENABLE    (1u << 0)
#define CTRL_TICKINT   (1u << 1)
#define CTRL_CLKSOURCE (1u << 2)
#define CTRL_COUNTFLAG (1u << 16)
#define MASK_24 0x00FFFFFFu

void sim_systick_reset(struct sim_systick *st, struct sim_soc_env *env)
{
	memset(st, 0, sizeof(*st));
	st->env = env;
	st->ctrl = CTRL_CLKSOURCE;
}

static uint64_t tick_ps(const struct sim_systick *st)
{
	uint32_t hz = st->env->clocks.hclk;
	if (!(st->ctrl & CTRL_CLKSOURCE))
		hz /= 8;
	return sim_ps_of_cycles(1, hz ? hz : 1);
}

/* The counter went from 1 to 0: COUNTFLAG, and the exception with TICKINT. */
static void counted_to_zero(struct sim_systick *st)
{
	st->ctrl |= CTRL_COUNTFLAG;
	if (st->ctrl & CTRL_TICKINT)
		st->pend = true;
}

/* Bring val up to the present. */
static void catch_up(struct sim_systick *st)
{
	uint64_t now = st->env->now_ps;
	if (!(st->ctrl & CTRL_ENABLE)) {
		st->epoch_ps = now;
		return;
	}
	uint64_t period = tick_ps(st);
	uint64_t ticks = (now - st->epoch_ps) / period;
	if (ticks == 0)
		return;
	st->epoch_ps += ticks * period;
	if (ticks < st->val) {
		st->val -= (uint32_t)ticks;
		return;
	}
	uint64_t rest = ticks - st->val;
	if (st->val > 0)
		counted_to_zero(st);
	if (rest == 0 || st->load == 0) {
		st->val = 0;
		return;
	}
	/* From 0 the next tick loads RELOAD (no COUNTFLAG: it did not count
	 * to 0), then RELOAD ticks more reach 0 again; each period is
	 * RELOAD + 1 ticks. */
	rest -= 1;
	if (rest >= st->load)
		counted_to_zero(st);
	st->val = st->load - (uint32_t)(rest % ((uint64_t)st->load + 1));
}

uint32_t sim_systick_read(void *ctx, uint32_t offset)
{
	struct sim_systick *st = ctx;
	catch_up(st);
	switch (offset) {
	case ST_CTRL: {
		uint32_t v = st->ctrl;
		st->ctrl &= ~CTRL_COUNTFLAG;
		return v;
	}
	case ST_LOAD: return st->load;
	case ST_VAL: return st->val;
	case ST_CALIB: return 1u << 31; /* NOREF: no reference clock */
	}
	return 0;
}

void sim_systick_write(void *ctx, uint32_t offset, uint32_t value, uint32_t mask)
{
	struct sim_systick *st = ctx;
	catch_up(st);
	switch (offset) {
	case ST_CTRL: {
		bool was_on = st->ctrl & CTRL_ENABLE;
		st->ctrl = (sim_merge(st->ctrl, value, mask) & 0x7u) | (st->ctrl & CTRL_COUNTFLAG);
		if (!was_on && (st->ctrl & CTRL_ENABLE))
			st->epoch_ps = st->env->now_ps;
		break;
	}
	case ST_LOAD: st->load = sim_merge(st->load, value, mask) & MASK_24; break;
	case ST_VAL: /* any write clears the counter and COUNTFLAG */
		st->val = 0;
		st->ctrl &= ~CTRL_COUNTFLAG;
		st->epoch_ps = st->env->now_ps;
		break;
	default: break;
	}
}

void sim_systick_catch_up(struct sim_systick *st)
{
	catch_up(st);
}

/* The first count to 0 after the last catch-up (maybe already past). */
static uint64_t first_zero(const struct sim_systick *st)
{
	uint64_t period = tick_ps(st);
	if (st->val > 0)
		return st->epoch_ps + st->val * period;
	if (st->load == 0)
		return UINT64_MAX; /* a RELOAD of 0 stops the counter at 0 */
	/* From 0: one tick loads RELOAD, RELOAD more reach 0. */
	return st->epoch_ps + ((uint64_t)st->load + 1) * period;
}

uint64_t sim_systick_deadline(const struct sim_systick *st)
{
	const uint32_t on = CTRL_ENABLE | CTRL_TICKINT;
	if ((st->ctrl & on) != on)
		return UINT64_MAX;
	return first_zero(st);
}

uint64_t sim_systick_next_event(const struct sim_systick *st)
{
	if (!(st->ctrl & CTRL_ENABLE))
		return UINT64_MAX;
	uint64_t first = first_zero(st), now = st->env->now_ps;
	if (first > now)
		return first;
	if (st->load == 0)
		return UINT64_MAX; /* it reached 0 and stays there */
	/* Nobody read the counter since it passed 0: the count to 0 after now. */
	uint64_t cycle = ((uint64_t)st->load + 1) * tick_ps(st);
	return first + ((now - first) / cycle + 1) * cycle;
}
