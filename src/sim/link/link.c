/* Fault injection and byte counting between the pty and the engine. */
#include "link/link.h"

static void deliver_to_engine(void *context, uint8_t byte, uint64_t at_us)
{
	sim_engine_receive(context, byte, at_us);
}

bool sim_link_from_host(struct sim_link *link, uint8_t byte, uint64_t at_us)
{
	return sim_link_from_host_via(link, byte, at_us, deliver_to_engine, link->engine);
}

bool sim_link_from_host_via(struct sim_link *link, uint8_t byte, uint64_t at_us,
			    sim_link_deliver_fn *deliver, void *context)
{
	link->engine->stats->bytes_in++;
	struct sim_rx_fault fault = sim_faults_on_rx(link->faults, &byte);
	if (fault.stall_ms) {
		uint64_t until = at_us + (uint64_t)fault.stall_ms * 1000u;
		if (until > link->stall_until_us)
			link->stall_until_us = until;
	}
	if (!fault.drop)
		deliver(context, byte, at_us);
	if (fault.reset_chip)
		sim_engine_system_reset(link->engine);
	return fault.hang_up;
}

bool sim_link_next_due(const struct sim_link *link, struct sim_output *next, uint64_t *due_us)
{
	if (!sim_engine_peek_output(link->engine, next))
		return false;
	*due_us = next->ready_us > link->stall_until_us ? next->ready_us : link->stall_until_us;
	return true;
}

bool sim_link_to_host(struct sim_link *link, uint64_t now_us, uint64_t not_before_us,
		      uint8_t *byte, bool *send, uint64_t *wait_until_us)
{
	struct sim_output next;
	*wait_until_us = 0;
	if (!sim_engine_peek_output(link->engine, &next))
		return false;
	uint64_t due = next.ready_us;
	if (due < not_before_us)
		due = not_before_us;
	if (due < link->stall_until_us)
		due = link->stall_until_us;
	if (due > now_us) {
		*wait_until_us = due;
		return false;
	}
	sim_engine_drop_output(link->engine);
	*wait_until_us = due; /* when it went out on the wire */
	*byte = next.byte;
	*send = sim_faults_on_tx(link->faults, byte);
	if (*send)
		link->engine->stats->bytes_out++;
	return true;
}
