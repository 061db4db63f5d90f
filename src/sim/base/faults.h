/* Seeded fault injection on the serial link and in the chip's answers.
 *
 * SPEC is a comma-separated list of KEY=VALUE:
 *   corrupt-in=P   flip one bit of a byte from the host, probability P per byte
 *   corrupt-out=P  flip one bit of a byte to the host
 *   drop-in=P      lose a byte from the host
 *   drop-out=P     lose a byte to the host
 *   nack=P         answer NACK instead of an ACK that accepts a command stage
 *   stall=P:MS     after a byte from the host, hold all output back MS ms
 *   reset-after=N  reset the chip once, right after the N-th byte from the host
 *   hangup-after=N close the pty once, right after the N-th byte from the host
 * Items are separated by ',' or ';' (a "sim:" port name splits at commas,
 * so there write e.g. faults=drop-in=1e-4;nack=0.01).
 * Each kind draws from its own PRNG stream derived from the seed, so the same
 * seed, spec and host bytes give the same faults however the bytes are
 * grouped in time. */
#ifndef STM32SIM_FAULTS_H
#define STM32SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/stats.h"

struct sim_fault_spec {
	double corrupt_in, corrupt_out, drop_in, drop_out, nack, stall;
	uint32_t stall_ms;
	uint64_t reset_after, hangup_after; /* 0 = never */
	bool pll_stuck; /* the core's RCC: a PLL switched on never locks */
};

enum sim_fault_stream { SIM_STREAM_IN, SIM_STREAM_OUT, SIM_STREAM_NACK, SIM_STREAM_COUNT };

struct sim_faults {
	struct sim_fault_spec spec;
	uint64_t rng[SIM_STREAM_COUNT];
	uint64_t bytes_from_host;
	struct sim_fault_counts *counts;
};

/* What happened to one byte from the host. */
struct sim_rx_fault {
	bool drop;
	bool reset_chip;
	bool hang_up;
	uint32_t stall_ms;
};

/* Returns false and writes a one-line reason into why on a bad spec. */
bool sim_faults_parse(const char *text, struct sim_fault_spec *spec, char *why, size_t why_size);
void sim_faults_init(struct sim_faults *faults, const struct sim_fault_spec *spec,
		     uint64_t seed, struct sim_fault_counts *counts);
struct sim_rx_fault sim_faults_on_rx(struct sim_faults *faults, uint8_t *byte);
/* False when the byte is lost on the way to the host. */
bool sim_faults_on_tx(struct sim_faults *faults, uint8_t *byte);
/* True when this ACK is to be replaced by a NACK. faults may be NULL. */
bool sim_faults_take_nack(struct sim_faults *faults);

#endif
