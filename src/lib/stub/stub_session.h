/* A conversation with a running stub: sequence numbers, one request and
 * its reply, the streamed read, and getting back in
 * step (HELLO). Knows nothing of images, loading or the target table. */
#ifndef STM32_STUB_SESSION_H
#define STM32_STUB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"
#include "stm32boot/transport.h"
#include "stub/stub_wire.h"

struct stub_hello {
	unsigned protocol, driver, window, program_unit, max_payload, version;
	uint32_t caps, clock_hz, baud;
	uint32_t secure_start; /* STUB_HELLO_SECURE: flash from here is refused; 0: none */
};

struct stub_session {
	struct stm32_transport *t;
	uint8_t seq;            /* the next request's */
	struct stub_hello hello;
	unsigned frame_timeout_ms; /* a reply's wait beyond the flash work it waits for */
	unsigned retries;       /* resends of one frame before giving up */
	uint8_t rx[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
	uint8_t tx[STUB_FRAME_OVERHEAD + STUB_MAX_PAYLOAD];
};

void stub_session_init(struct stub_session *s, struct stm32_transport *t);

/* Parse a HELLO reply body; STM32_E_PROTOCOL when it is not one of ours. */
enum stm32_status stub_hello_parse(const uint8_t *body, size_t length, struct stub_hello *out,
				   struct stm32_error *err);

/* Data bytes per WRITE frame for a stub that announced h: 1024, or the
 * power of two (at least STUB_MIN_WRITE_CHUNK) its largest payload takes. */
unsigned stub_hello_chunk(const struct stub_hello *h);

/* Wait for the HELLO the stub sends on its own when it starts. */
enum stm32_status stub_session_await_announce(struct stub_session *s, unsigned timeout_ms,
					      struct stm32_error *err);
/* Drain, then HELLO until answered (attempts of timeout_ms): the sequence
 * numbers start again from there. */
enum stm32_status stub_session_resync(struct stub_session *s, unsigned attempts,
				      unsigned timeout_ms, struct stm32_error *err);

/* One request and its reply (same code and seq): a reply saying the frame
 * arrived damaged, or none at all, sends it again (s->retries times).
 * *reply is valid until the next call; its status is the caller's to read. */
enum stm32_status stub_session_call(struct stub_session *s, uint8_t code, const uint8_t *payload,
				    size_t length, unsigned work_ms, struct stub_reply *reply,
				    struct stm32_error *err);

/* The error for a reply status other than STUB_OK, naming what was asked. */
enum stm32_status stub_status_error(const struct stub_reply *reply, const char *what,
				    uint32_t address, struct stm32_error *err);

/* length bytes at address, streamed, each frame acknowledged. */
enum stm32_status stub_session_read(struct stub_session *s, uint32_t address, uint8_t *data,
				    size_t length, struct stm32_error *err);

#endif
