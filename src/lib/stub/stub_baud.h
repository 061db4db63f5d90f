/* The stub's rate (docs/stub-protocol.md "Switching the rate"): after the
 * first HELLO, SET_BAUD to the fastest rate that works, both sides switch
 * to it in 8N1, a full-size CONFIRM frame at the new rate proves it; a
 * switch that is not confirmed goes back to the old rate (the stub does by
 * itself after 500 ms) and tries the next. Knows the session and the
 * transport, nothing of images or the target table. */
#ifndef STM32_STUB_BAUD_H
#define STM32_STUB_BAUD_H

#include <stdbool.h>

#include "stm32boot/error.h"
#include "stm32boot/transport.h"
#include "stub/stub_session.h"

/* The rates tried, fastest first (issue 14). */
#define STUB_BAUD_LADDER {2000000u, 1000000u, 460800u, 230400u, 115200u}

struct stub_baud {
	struct stm32_uart_config start; /* the ROM's, which the stub starts at (8E1) */
	struct stm32_uart_config now;   /* what both sides run at */
	unsigned wanted;                /* stm32_stub_options.baud */
	uint32_t chip;                  /* STUB_CHIP_*: the clock the ladder counts on */
	char why_last[256];             /* why the last rate tried did not work */
};

/* start: the link's rate at Go, 8E1; chip: STUB_CHIP_*. */
void stub_baud_init(struct stub_baud *b, uint32_t chip, unsigned start_baud, unsigned wanted);

/* Switch as b->wanted says: the ladder (0), none (STM32_STUB_BAUD_KEEP or
 * the start rate) or that rate only, refused with a one-line reason when
 * the stub, its clock or the port cannot make it (STM32_E_UNSUPPORTED, the
 * stub then still runs at the old rate). Updates s->hello.baud. */
enum stm32_status stub_baud_switch(struct stub_baud *b, struct stub_session *s,
				   struct stm32_error *err);

/* Back to the start settings on the host side (for a stub that fell back
 * after silence, or the ROM after a chip reset). */
enum stm32_status stub_baud_to_start(struct stub_baud *b, struct stm32_transport *t,
				     struct stm32_error *err);

/* The USART clock the stub sets up on a chip of kind (STUB_CHIP_*), as
 * stub/clock.c does when the PLL locks; 0 for an unknown kind. */
unsigned stub_baud_clock_hz(uint32_t chip);

/* Whether the stub on chip makes baud from clock_hz within 2 % (its own
 * rule, stub/chip.c: OVER8 below 16 clocks a bit, except on F1). */
bool stub_baud_makes(uint32_t chip, unsigned clock_hz, unsigned baud);

/* The rate a stub on chip would end up at on a port that makes every rate:
 * for estimates. */
unsigned stub_baud_planned(uint32_t chip, unsigned start_baud, unsigned wanted);
/* The same for a stub whose clock is clock_hz (STUB_PARAM_HSI_ONLY parts). */
unsigned stub_baud_planned_at(uint32_t chip, unsigned clock_hz, unsigned start_baud,
			      unsigned wanted);

/* Before loading: the reason an explicit rate cannot be made by the stub's
 * clock or by the port t (STM32_E_UNSUPPORTED), else STM32_OK. */
enum stm32_status stub_baud_precheck(const struct stub_baud *b, uint32_t chip,
				     struct stm32_transport *t, struct stm32_error *err);

#endif
