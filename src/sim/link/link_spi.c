/* SPI framing around the command engine (see link_spi.h). */
#include <string.h>

#include "link/link_spi.h"

void sim_spi_init(struct sim_spi *spi, struct sim_link *link)
{
	memset(spi, 0, sizeof(*spi));
	spi->link = link;
}

static void stage(struct sim_spi *spi, uint8_t byte)
{
	spi->staged[spi->staged_count++] = byte;
}

/* Move the engine's next reply byte, once due, into the shift stage. */
static void load_from_engine(struct sim_spi *spi, uint64_t now_us)
{
	struct sim_output next;
	uint64_t due;
	while (!spi->staged_count && sim_link_next_due(spi->link, &next, &due) && due <= now_us) {
		uint8_t byte;
		bool send;
		uint64_t sent_at;
		if (!sim_link_to_host(spi->link, now_us, 0, &byte, &send, &sent_at) || !send)
			continue; /* lost by a drop-out fault */
		spi->staged_head = 0;
		if (next.kind == SIM_OUT_DATA) {
			if (!spi->in_payload)
				stage(spi, SIM_SPI_DUMMY);
			stage(spi, byte);
			spi->in_payload = true;
			spi->handshake_after = false;
			continue;
		}
		if (next.kind == SIM_OUT_ACK)
			stage(spi, SIM_SPI_DUMMY);
		stage(spi, byte);
		spi->in_payload = false;
		spi->handshake_after = true;
	}
}

/* The byte the chip shifts out on this clock; *listening tells whether it
 * takes in the host's byte of the same clock. */
static uint8_t shift_out(struct sim_spi *spi, uint64_t now_us, bool *listening)
{
	*listening = false;
	if (spi->awaiting_confirm) {
		*listening = true;
		return SIM_SPI_IDLE;
	}
	load_from_engine(spi, now_us);
	if (spi->staged_count) {
		uint8_t byte = spi->staged[spi->staged_head++];
		if (--spi->staged_count == 0)
			spi->awaiting_confirm = spi->handshake_after;
		return byte;
	}
	struct sim_output next;
	uint64_t due;
	/* Busy (a reply not due yet): the chip is not reading the bus. */
	*listening = !sim_link_next_due(spi->link, &next, &due);
	return SIM_SPI_IDLE;
}

static void take_in(void *context, uint8_t byte, uint64_t at_us)
{
	struct sim_spi *spi = context;
	struct sim_engine *engine = spi->link->engine;
	if (spi->awaiting_confirm) {
		if (byte == SIM_ACK)
			spi->awaiting_confirm = false;
		return;
	}
	if (sim_engine_awaiting_command(engine) && !spi->start_seen) {
		spi->start_seen = byte == SIM_SPI_START_OF_FRAME;
		return;
	}
	spi->start_seen = false;
	spi->in_payload = false;
	sim_engine_receive(engine, byte, at_us);
}

/* A reset (fault, control socket) returns the chip to waiting for its sync. */
static void follow_reset(struct sim_spi *spi)
{
	if (spi->link->engine->synced)
		return;
	spi->awaiting_confirm = spi->start_seen = spi->in_payload = false;
}

uint64_t sim_spi_bytes_us(size_t length, uint32_t clock_hz)
{
	return clock_hz ? 8u * (uint64_t)length * 1000000u / clock_hz : 0;
}

void sim_spi_transfer_clocked(struct sim_spi *spi, const uint8_t *mosi, uint8_t *miso,
			      size_t length, uint64_t start_us, uint32_t clock_hz)
{
	for (size_t i = 0; i < length; i++) {
		uint64_t shift_at = start_us + sim_spi_bytes_us(i, clock_hz);
		uint64_t arrived_at = start_us + sim_spi_bytes_us(i + 1, clock_hz);
		follow_reset(spi);
		bool listening;
		miso[i] = shift_out(spi, shift_at, &listening);
		if (!listening || spi->hung_up || spi->link->engine->run != SIM_RUN_BOOTLOADER)
			continue;
		if (sim_link_from_host_via(spi->link, mosi[i], arrived_at, take_in, spi))
			spi->hung_up = true;
	}
}

void sim_spi_transfer(struct sim_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t length,
		      uint64_t now_us)
{
	sim_spi_transfer_clocked(spi, mosi, miso, length, now_us, 0);
}
