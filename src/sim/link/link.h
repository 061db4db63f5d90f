/* The serial wire between host and chip, where faults are injected and
 * bytes counted. */
#ifndef STM32SIM_LINK_H
#define STM32SIM_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "rom/engine.h"
#include "base/faults.h"

struct sim_link {
	struct sim_engine *engine;
	struct sim_faults *faults;
	uint64_t stall_until_us; /* output held back until then */
};

/* A byte from the host. Returns true when a hangup fault fired. */
bool sim_link_from_host(struct sim_link *link, uint8_t byte, uint64_t at_us);

/* Where a byte from the host goes once it survived the faults: the engine
 * on UART, the bus framing layer on I2C and SPI. */
typedef void sim_link_deliver_fn(void *context, uint8_t byte, uint64_t at_us);
bool sim_link_from_host_via(struct sim_link *link, uint8_t byte, uint64_t at_us,
			    sim_link_deliver_fn *deliver, void *context);
/* When the engine's next reply byte may leave (its ready time, or later
 * while a stall fault holds output back); false if none is queued. */
bool sim_link_next_due(const struct sim_link *link, struct sim_output *next, uint64_t *due_us);
/* The next reply byte, if one is ready by now_us (not_before_us is the
 * earliest the line can carry it). *wait_until_us tells when to ask again
 * (0 = nothing queued). Returns false when nothing is to be sent now; a
 * byte lost by a fault is consumed and *send set to false. */
bool sim_link_to_host(struct sim_link *link, uint64_t now_us, uint64_t not_before_us,
		      uint8_t *byte, bool *send, uint64_t *wait_until_us);

#endif
