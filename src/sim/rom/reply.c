/* The chip's reply queue and the helpers every command uses to answer:
 * ACK/NACK (fault injection may turn an ACK into a NACK), the stage the
 * next bytes belong to, and the busy time of an operation. */
#include <stdlib.h>
#include <string.h>

#include "rom/rom_private.h"

static void emit_as(struct sim_engine *engine, uint8_t byte, enum sim_output_kind kind,
		    bool polled)
{
	if (engine->out_head + engine->out_count == engine->out_capacity) {
		if (engine->out_head) {
			memmove(engine->out, engine->out + engine->out_head,
				engine->out_count * sizeof(*engine->out));
			engine->out_head = 0;
		} else {
			size_t capacity = engine->out_capacity ? engine->out_capacity * 2 : 512;
			struct sim_output *grown = realloc(engine->out, capacity * sizeof(*grown));
			if (!grown)
				return; /* a lost reply byte; the host will time out */
			engine->out = grown;
			engine->out_capacity = capacity;
		}
	}
	uint64_t ready = engine->busy_until_us > engine->now_us ? engine->busy_until_us
								 : engine->now_us;
	engine->out[engine->out_head + engine->out_count++] =
		(struct sim_output){byte, ready, kind, polled};
}

/* A program that prints to a host that does not read must not grow the
 * queue without end: a real UART's bytes are lost then. */
#define PROGRAM_OUTPUT_MAX 65536u

void rom_emit_program(struct sim_engine *engine, uint8_t byte, uint64_t ready_us)
{
	if (engine->out_count >= PROGRAM_OUTPUT_MAX) {
		engine->stats->output_dropped++;
		return;
	}
	emit_as(engine, byte, SIM_OUT_DATA, false);
	if (engine->out_count && ready_us)
		engine->out[engine->out_head + engine->out_count - 1].ready_us = ready_us;
}

void rom_emit(struct sim_engine *engine, uint8_t byte)
{
	emit_as(engine, byte, SIM_OUT_DATA, false);
}

void rom_emit_ack(struct sim_engine *engine)
{
	emit_as(engine, SIM_ACK, SIM_OUT_ACK, false);
}

bool sim_engine_peek_output(const struct sim_engine *engine, struct sim_output *out)
{
	if (!engine->out_count)
		return false;
	*out = engine->out[engine->out_head];
	return true;
}

void sim_engine_drop_output(struct sim_engine *engine)
{
	if (!engine->out_count)
		return;
	engine->out_head++;
	if (--engine->out_count == 0)
		engine->out_head = 0;
}

/* ---- stages and answers ---- */

void rom_expect(struct sim_engine *engine, enum stage stage, size_t length)
{
	engine->stage = stage;
	engine->rx_have = 0;
	engine->rx_need = length;
}

void rom_to_command(struct sim_engine *engine)
{
	rom_expect(engine, STAGE_COMMAND, 0);
}

void rom_nack(struct sim_engine *engine)
{
	emit_as(engine, SIM_NACK, SIM_OUT_NACK, false);
	engine->stats->nacks++;
	rom_to_command(engine);
}

/* The answer at the end of an operation that may take time: with a
 * no-stretch opcode the I2C master polls for it. */
void rom_finish_ack(struct sim_engine *engine)
{
	emit_as(engine, SIM_ACK, SIM_OUT_ACK, engine->no_stretch);
}

void rom_finish_nack(struct sim_engine *engine)
{
	emit_as(engine, SIM_NACK, SIM_OUT_NACK, engine->no_stretch);
	engine->stats->nacks++;
	rom_to_command(engine);
}

/* An ACK that lets the host go on to the next stage; fault injection may
 * turn it into a NACK, which abandons the command. */
bool rom_accept(struct sim_engine *engine)
{
	if (sim_faults_take_nack(engine->faults)) {
		rom_nack(engine);
		return false;
	}
	rom_emit_ack(engine);
	return true;
}

/* The chip works for duration_us: replies wait, the UART is not read. */
void rom_spend(struct sim_engine *engine, uint64_t duration_us)
{
	if (engine->timed)
		engine->busy_until_us = engine->now_us + duration_us;
}
