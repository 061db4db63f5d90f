/* The chip as an I2C slave (AN4221): each bus transaction (START ... STOP)
 * becomes bytes for the command engine or bytes taken from its replies.
 * Byte faults and counters apply as on UART (link.c).
 *
 * Wire time (docs/sim.md): with a clock set, a transaction of n data bytes
 * lasts sim_i2c_transaction_bits(n) bit times: START (1), the address byte
 * and its ACK (9), each data byte and its ACK (9), STOP (1). */
#ifndef STM32SIM_LINK_I2C_H
#define STM32SIM_LINK_I2C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/link.h"

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
	uint32_t clock_hz; /* SCL; 0 (the default): transactions take no time */
};

/* Bit times: START + address byte and ACK, before the first data bit. */
#define SIM_I2C_ADDRESS_BITS 10u

void sim_i2c_init(struct sim_i2c *i2c, struct sim_link *link, uint8_t address);

/* Bit times of a transaction carrying length data bytes (9 x (length + 1)
 * + 2). One whose address is not acknowledged counts as length 0: the
 * master stops right after the address byte. */
uint64_t sim_i2c_transaction_bits(size_t length);
/* Microseconds of bits bit times at the clock, rounded down; 0 without one. */
uint64_t sim_i2c_bits_us(const struct sim_i2c *i2c, uint64_t bits);

/* A write transaction whose START is at now_us: its bytes go to the chip,
 * each arriving once its ACK bit is on the wire (all at now_us without a
 * clock). A write discards what the chip still had queued: it is listening
 * for a new frame now. */
enum sim_bus_status sim_i2c_write(struct sim_i2c *i2c, uint8_t address, const uint8_t *data,
				  size_t length, uint64_t now_us);

/* A read transaction of length bytes whose data phase starts at now_us
 * (after START and the address byte). When the reply is not ready and the
 * command stretches the clock, returns false and sets *stretch_until_us:
 * ask again then. Otherwise returns true with *status (and data when 0). */
bool sim_i2c_read(struct sim_i2c *i2c, uint8_t address, uint8_t *data, size_t length,
		  uint64_t now_us, enum sim_bus_status *status, uint64_t *stretch_until_us);

#endif
