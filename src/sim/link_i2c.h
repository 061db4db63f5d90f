/* The chip as an I2C slave (AN4221): each bus transaction (START ... STOP)
 * becomes bytes for the command engine or bytes taken from its replies.
 * Byte faults and counters apply as on UART (link.c). */
#ifndef STM32SIM_LINK_I2C_H
#define STM32SIM_LINK_I2C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"

#define SIM_I2C_BUSY 0x76u
#define SIM_I2C_IDLE 0xFFu /* SDA left high: what a master reads from a silent slave */

/* Status codes of the bus socket (docs/architecture.md). */
enum sim_bus_status {
	SIM_BUS_DONE = 0,
	SIM_BUS_NO_DEVICE = 1,
	SIM_BUS_BAD_REQUEST = 2,
};

struct sim_i2c {
	struct sim_link *link;
	uint8_t address;  /* 7-bit */
	bool busy_shown;  /* the polled reply at the head was answered BUSY once */
	bool hung_up;     /* a hangup fault fired */
};

void sim_i2c_init(struct sim_i2c *i2c, struct sim_link *link, uint8_t address);

/* A write transaction: its bytes go to the chip. A write discards what the
 * chip still had queued: it is listening for a new frame now. */
enum sim_bus_status sim_i2c_write(struct sim_i2c *i2c, uint8_t address, const uint8_t *data,
				  size_t length, uint64_t now_us);

/* A read transaction of length bytes. When the reply is not ready and the
 * command stretches the clock, returns false and sets *stretch_until_us:
 * ask again then. Otherwise returns true with *status (and data when 0). */
bool sim_i2c_read(struct sim_i2c *i2c, uint8_t address, uint8_t *data, size_t length,
		  uint64_t now_us, enum sim_bus_status *status, uint64_t *stretch_until_us);

#endif
