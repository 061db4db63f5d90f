/* The stub's requests in flight across the back end's entries: WRITE
 * frames and the ERASE DEFERRED frames placed ahead of them, up to the
 * stub's window unanswered, so that one write entry's frames follow the
 * last one's without waiting for its replies (docs/stub-protocol.md,
 * "Overlap"). Also the host's record of the units whose erase the stub
 * holds back, so they can be held back again after the chip reset.
 *
 * The frames in flight are copies: an entry may return before its frames
 * are answered. A frame sent twice is harmless by the protocol: WRITE
 * skips the cells that already hold their value, ERASE DEFERRED erases a
 * unit only while it is still held back. */
#ifndef STM32_STUB_PIPE_H
#define STM32_STUB_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "stub/stub_session.h"

struct stub_pending {
	uint8_t code;
	uint8_t seq;
	uint16_t length;
	unsigned work_ms;  /* the stub's flash work for it, for the reply's wait */
	uint32_t address;  /* for error messages */
	long unit;         /* ERASE DEFERRED of this unit; -1 write, -2 all units */
	uint8_t payload[STUB_MAX_PAYLOAD];
};

struct stub_pipe {
	struct stub_pending frames[STUB_MAX_WINDOW]; /* ring, oldest at head */
	unsigned head, count;
	unsigned failures;    /* lost or damaged replies in a row */
	size_t unit_count;
	uint8_t *held;        /* units the stub holds back, not yet answered as erased */
	uint8_t *asked;       /* of those, units whose ERASE DEFERRED is in flight */
	size_t held_count;
};

/* False when out of memory. */
bool stub_pipe_init(struct stub_pipe *p, size_t unit_count);
void stub_pipe_free(struct stub_pipe *p);

/* Send one frame, first waiting for replies until the window has room. */
enum stm32_status stub_pipe_push(struct stub_pipe *p, struct stub_session *s, uint8_t code,
				 const uint8_t *payload, size_t length, unsigned work_ms,
				 uint32_t address, long unit, struct stm32_error *err);

/* Wait for every reply. */
enum stm32_status stub_pipe_drain(struct stub_pipe *p, struct stub_session *s,
				  struct stm32_error *err);

/* The units of an ERASE DEFER the stub accepted. */
void stub_pipe_hold(struct stub_pipe *p, const uint32_t *units, size_t count);
/* Whether that unit is held back and no ERASE DEFERRED for it is in flight
 * yet (then one must go ahead of a write into it); marks it asked. */
bool stub_pipe_ask(struct stub_pipe *p, long unit);

/* After the stub was resynchronised (new sequence numbers) or loaded
 * again: with reloaded (it was loaded again, or may have fallen back after
 * a silence: either forgets what it held back) hold the units back again,
 * which is harmless where it still holds them, then send what was in
 * flight once more. */
enum stm32_status stub_pipe_restart(struct stub_pipe *p, struct stub_session *s, bool reloaded,
				    struct stm32_error *err);

#endif
