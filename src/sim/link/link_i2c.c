/* I2C transactions to and from the command engine. */
#include <string.h>

#include "link/link_i2c.h"

void sim_i2c_init(struct sim_i2c *i2c, struct sim_link *link, uint8_t address)
{
	memset(i2c, 0, sizeof(*i2c));
	i2c->link = link;
	i2c->address = address;
}

uint64_t sim_i2c_transaction_bits(size_t length)
{
	return 9u * ((uint64_t)length + 1u) + 2u;
}

uint64_t sim_i2c_bits_us(const struct sim_i2c *i2c, uint64_t bits)
{
	return i2c->clock_hz ? bits * 1000000u / i2c->clock_hz : 0;
}

/* Only the running bootloader drives its I2C peripheral. */
static bool acknowledges(const struct sim_i2c *i2c, uint8_t address)
{
	return address == i2c->address && i2c->link->engine->run == SIM_RUN_BOOTLOADER;
}

/* The chip holds SCL low while it is busy: a frame is taken in only when
 * the running operation has finished. */
static void deliver_when_free(void *context, uint8_t byte, uint64_t at_us)
{
	struct sim_engine *engine = context;
	if (at_us < engine->busy_until_us)
		at_us = engine->busy_until_us;
	sim_engine_receive(engine, byte, at_us);
}

static void discard_queued(struct sim_i2c *i2c)
{
	struct sim_engine *engine = i2c->link->engine;
	struct sim_output ignored;
	while (sim_engine_peek_output(engine, &ignored)) {
		sim_engine_drop_output(engine);
		engine->stats->output_dropped++;
	}
	i2c->busy_shown = false;
}

enum sim_bus_status sim_i2c_write(struct sim_i2c *i2c, uint8_t address, const uint8_t *data,
				  size_t length, uint64_t now_us)
{
	if (!acknowledges(i2c, address))
		return SIM_BUS_NO_DEVICE;
	discard_queued(i2c);
	struct sim_engine *engine = i2c->link->engine;
	for (size_t i = 0; i < length && !i2c->hung_up; i++) {
		/* START, the address byte, then bytes 0..i, each with its ACK */
		uint64_t bits = 1u + 9u * ((uint64_t)i + 2u);
		uint64_t at_us = now_us + sim_i2c_bits_us(i2c, bits);
		if (sim_link_from_host_via(i2c->link, data[i], at_us, deliver_when_free, engine))
			i2c->hung_up = true;
	}
	return SIM_BUS_DONE;
}

static void fill(uint8_t *data, size_t length, uint8_t value)
{
	memset(data, value, length);
}

/* Takes queued reply bytes; past the end of the queue the master reads the
 * idle bus. A byte lost by a drop-out fault lets the next one move up. */
static void take_reply(struct sim_i2c *i2c, uint8_t *data, size_t length, uint64_t now_us)
{
	size_t have = 0;
	while (have < length) {
		uint8_t byte;
		bool send;
		uint64_t sent_at;
		if (!sim_link_to_host(i2c->link, now_us, 0, &byte, &send, &sent_at))
			break;
		i2c->busy_shown = false;
		if (send)
			data[have++] = byte;
	}
	fill(data + have, length - have, SIM_I2C_IDLE);
}

bool sim_i2c_read(struct sim_i2c *i2c, uint8_t address, uint8_t *data, size_t length,
		  uint64_t now_us, enum sim_bus_status *status, uint64_t *stretch_until_us)
{
	*status = SIM_BUS_DONE;
	if (!acknowledges(i2c, address)) {
		*status = SIM_BUS_NO_DEVICE;
		return true;
	}
	struct sim_output next;
	uint64_t due;
	if (sim_link_next_due(i2c->link, &next, &due)) {
		/* A no-stretch operation answers BUSY while it runs, and at least
		 * once even when it took no time, so that polling is exercised. */
		if (next.polled && (due > now_us || !i2c->busy_shown)) {
			i2c->busy_shown = true;
			fill(data, length, SIM_I2C_BUSY);
			return true;
		}
		if (due > now_us) {
			*stretch_until_us = due;
			return false;
		}
	}
	take_reply(i2c, data, length, now_us);
	return true;
}
