/* The emulator's bus socket (docs/architecture.md, "The emulator's bus
 * socket"): a Unix stream socket whose connections are bus masters sending
 * binary I2C ('W', 'R') or SPI ('X') requests. Requests are handled in
 * arrival order per connection; an I2C read the chip answers by stretching
 * the clock is answered later (sim_bus_retry tells when).
 *
 * Paced (--speed realtime), every transaction occupies the one bus for its
 * wire time (the I2C clock, or the SPI clock the host sent with the
 * transfer) and its reply is held until it has ended on the wire; the chip
 * sees each byte arrive at its time on the wire. Unpaced, replies go out at
 * once and no wire time is charged. */
#ifndef STM32SIM_BUS_H
#define STM32SIM_BUS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/link_i2c.h"
#include "link/link_spi.h"

#define SIM_BUS_MAX_MASTERS 8
#define SIM_BUS_HEADER 4
#define SIM_BUS_CLOCK_FIELD 4 /* an SPI transfer's clock in Hz, when flagged */
#define SIM_BUS_MAX_PAYLOAD 0xFFFFu
#define SIM_BUS_I2C_DEFAULT_HZ 400000u
#define SIM_BUS_SPI_DEFAULT_HZ 1000000u /* an 'X' request that carries no clock */

struct sim_bus_master {
	int fd;
	uint8_t request[SIM_BUS_HEADER + SIM_BUS_CLOCK_FIELD + SIM_BUS_MAX_PAYLOAD];
	size_t have;
	bool stretched;        /* a read waits for the chip */
	uint64_t retry_at_us;  /* stretched: when the chip releases the clock */
	bool answering;        /* the reply waits for the wire */
	uint64_t answer_at_us;
	size_t answer_length;
	uint8_t reply[1 + SIM_BUS_MAX_PAYLOAD];
};

struct sim_bus {
	enum sim_interface interface;
	struct sim_i2c *i2c; /* the one in use */
	struct sim_spi *spi;
	/* Set before sim_bus_open: */
	bool paced;            /* --speed realtime */
	uint32_t i2c_clock_hz; /* SCL when paced */
	uint32_t spi_clock_hz; /* for transfers that carry no clock */
	int listen_fd;
	struct sim_bus_master masters[SIM_BUS_MAX_MASTERS];
	uint64_t free_at_us;   /* paced: when the last transaction leaves the wire */
	bool hung_up;
};

/* Listen at path (the socket appears there only once it accepts). Writes a
 * one-line reason into why on failure. */
bool sim_bus_open(struct sim_bus *bus, const char *path, char *why, size_t why_size);
void sim_bus_close(struct sim_bus *bus);
/* A hangup fault: every master is disconnected and no more are accepted. */
void sim_bus_hang_up(struct sim_bus *bus);

/* pollfd entries for the listener and the masters; returns how many. */
size_t sim_bus_poll_fds(const struct sim_bus *bus, struct pollfd *fds);
/* After ppoll on those entries. */
void sim_bus_service(struct sim_bus *bus, const struct pollfd *fds, uint64_t now_us);
/* Answer stretched reads and send held replies that are due; returns the
 * earliest time one is still waiting for (0 = none). */
uint64_t sim_bus_retry(struct sim_bus *bus, uint64_t now_us);

#endif
