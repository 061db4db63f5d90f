/* libstm32boot: transports.
 *
 * A transport moves bytes to and from the bootloader and drives the modem
 * lines a GPIO sequence may use. Each OS backend fills a struct
 * stm32_transport_ops; the protocol code above is written once. */
#ifndef STM32BOOT_TRANSPORT_H
#define STM32BOOT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_link_kind {
	STM32_LINK_UART, /* byte stream with 0x7F auto-baud (AN3155) */
	STM32_LINK_I2C,  /* frame per transaction (AN4221) */
	STM32_LINK_SPI,  /* full duplex frames (AN4286) */
};

enum stm32_line {
	STM32_LINE_RTS,
	STM32_LINE_DTR,
};

/* Transport flags, set by the backend at open. */
#define STM32_TRANSPORT_PARITY_LOST 0x0001u /* the tty did not keep the parity setting */
#define STM32_TRANSPORT_NOT_A_TTY   0x0002u /* no longer set: stm32_uart_open refuses non-terminals */
#define STM32_TRANSPORT_BYTES_ONLY  0x0004u /* socket://: no baud, framing, modem lines or BREAK */

struct stm32_transport;
struct stm32_uart_config;

struct stm32_transport_ops {
	const char *name; /* "serial", "sim", ... */
	enum stm32_status (*write)(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err);
	/* Read exactly length bytes, waiting at most timeout_ms in all. On timeout
	 * returns STM32_E_TIMEOUT with *got set to the bytes that did arrive. */
	enum stm32_status (*read)(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err);
	/* Discard anything received and not yet read. */
	enum stm32_status (*drain)(struct stm32_transport *t, struct stm32_error *err);
	/* Assert (true) or clear a modem line: TIOCM bit set / cleared. */
	enum stm32_status (*set_line)(struct stm32_transport *t, enum stm32_line line, bool asserted,
				      struct stm32_error *err);
	enum stm32_status (*send_break)(struct stm32_transport *t, struct stm32_error *err);
	/* A short description of the link settings, e.g. "115200 8E1". */
	void (*describe)(struct stm32_transport *t, char *buf, size_t size);
	void (*close)(struct stm32_transport *t);
	/* Optional (NULL on UART and I2C): one full-duplex SPI transfer, length
	 * bytes out while length bytes come in. out NULL clocks out 0x00 (the
	 * host dummy byte of AN4286); in NULL discards what came in. */
	enum stm32_status (*transfer)(struct stm32_transport *t, const uint8_t *out, uint8_t *in,
				      size_t length, struct stm32_error *err);
	/* Optional (NULL: the rate is fixed once open, e.g. socket://): wait
	 * until every byte written has left the port, then run at cfg's rate
	 * (any rate, not only stm32flash's list) and framing; t->baud follows.
	 * A rate the port or this OS cannot make is STM32_E_UNSUPPORTED and
	 * leaves the port as it was. */
	enum stm32_status (*reconfigure)(struct stm32_transport *t,
					 const struct stm32_uart_config *cfg,
					 struct stm32_error *err);
};

struct stm32_transport {
	const struct stm32_transport_ops *ops;
	enum stm32_link_kind kind;
	unsigned flags;   /* STM32_TRANSPORT_* */
	unsigned baud;    /* bits per second on the wire, 0 if unknown */
	void *impl;       /* backend state */
};

/* Serial settings. baud 0 keeps the port's current settings (stm32flash -b 0). */
struct stm32_uart_config {
	unsigned baud;
	unsigned data_bits; /* 5..8 */
	char parity;        /* 'n', 'e', 'o' */
	unsigned stop_bits; /* 1 or 2 */
};

/* Options for opening any port by name. */
struct stm32_port_options {
	struct stm32_uart_config uart;
	/* Program to run for "sim:" ports; NULL means "stm32boot-sim" on PATH. */
	const char *sim_program;
	/* The bootloader's 7-bit address on /dev/i2c-* ports; 0 = not given,
	 * which such a port refuses (the address cannot be guessed safely). */
	unsigned i2c_address;
	/* Clock for /dev/spidev* ports; 0 = STM32_SPI_DEFAULT_SPEED_HZ. */
	unsigned spi_speed_hz;
};

void stm32_port_options_default(struct stm32_port_options *opts); /* 115200 8E1 */

/* Open a port by name:
 *   "/dev/i2c-N": Linux i2c-dev, at opts->i2c_address (required);
 *   "/dev/spidevB.C": Linux spidev, at opts->spi_speed_hz;
 *   a tty path (also a pty from socat/ser2net);
 *   "rfc2217://HOST:PORT": a serial port exported by an RFC 2217 server
 *   (ser2net, labgrid), set remotely to opts->uart (stm32_rfc2217_open);
 *   "socket://HOST:PORT": a raw TCP port carrying the bytes only
 *   (stm32_socket_open); IPv6 literals in brackets, [::1]:4001;
 *   "sim:DEVICE[,image=FILE][,speed=realtime|fast][,OPTION=VALUE...]" which
 *   starts the emulator on a fresh pty and talks to it like any tty; with
 *   interface=i2c|spi it talks to the emulator's bus socket as an I2C link
 *   (at opts->i2c_address, else the device's) or an SPI one
 *   (opts->spi_speed_hz).
 * Refuses (STM32_E_BUSY) a port another process holds. */
enum stm32_status stm32_port_open(const char *port, const struct stm32_port_options *opts,
				  struct stm32_transport **out, struct stm32_error *err);

/* The kind of link stm32_port_open would open for port, without opening it
 * (to check options that belong to one kind, e.g. an I2C address): I2C for
 * /dev/i2c-*, SPI for /dev/spidev*, a sim: port's interface=i2c|spi, else
 * UART. */
enum stm32_link_kind stm32_port_link(const char *port);
/* True for "sim:..." ports, which run the emulator. */
bool stm32_port_is_sim(const char *port);
/* True for "rfc2217://..." and "socket://..." ports. */
bool stm32_port_is_network(const char *port);
/* False for ports known to carry no modem lines and no BREAK before they
 * are opened (socket://, I2C, SPI): a -i sequence with rts/dtr/brk cannot
 * run there. */
bool stm32_port_has_modem_lines(const char *port);

/* RFC 2217 (telnet COM-PORT-OPTION) client. address is "HOST:PORT" or
 * "[V6]:PORT", optionally followed by pyserial's "?ign_set_control&..."
 * (accepted, not needed). Negotiates COM-PORT-OPTION, BINARY both ways and
 * SGA; sets baud (4-byte form), data size, parity and stop bits (cfg->baud
 * 0: asks the server's). Measures the round trip at connect: reads wait
 * that much longer than asked, and SET-CONTROL acks (DTR/RTS/BREAK) are
 * awaited a few round trips, not at all once one went missing. 0xFF is
 * doubled both ways; drain purges the server's receive buffer. A parity the
 * server did not confirm sets STM32_TRANSPORT_PARITY_LOST. A dropped
 * connection fails with STM32_E_IO saying how much had been sent. */
enum stm32_status stm32_rfc2217_open(const char *address, const struct stm32_uart_config *cfg,
				     struct stm32_transport **out, struct stm32_error *err);
/* Raw TCP (ser2net's plain ports, socat): bytes only, so the flags say
 * STM32_TRANSPORT_PARITY_LOST | STM32_TRANSPORT_BYTES_ONLY and set_line /
 * send_break fail with STM32_E_UNSUPPORTED. baud is what the server's port
 * is assumed to run at (for estimates). */
enum stm32_status stm32_socket_open(const char *address, unsigned baud, struct stm32_transport **out,
				    struct stm32_error *err);

enum stm32_status stm32_uart_open(const char *path, const struct stm32_uart_config *cfg,
				  struct stm32_transport **out, struct stm32_error *err);

/* Parse "8e1" style modes. */
enum stm32_status stm32_uart_parse_mode(const char *text, struct stm32_uart_config *cfg,
					struct stm32_error *err);
/* True for the baud rates stm32flash 0.7 accepts (-b). */
bool stm32_uart_baud_valid(unsigned baud);

void stm32_transport_close(struct stm32_transport *t);

/* t->ops->reconfigure, or STM32_E_UNSUPPORTED saying the port cannot
 * change its rate once open. */
enum stm32_status stm32_transport_reconfigure(struct stm32_transport *t,
					      const struct stm32_uart_config *cfg,
					      struct stm32_error *err);

static inline enum stm32_status stm32_transport_write(struct stm32_transport *t, const uint8_t *data,
						      size_t length, struct stm32_error *err)
{
	return t->ops->write(t, data, length, err);
}

static inline enum stm32_status stm32_transport_read(struct stm32_transport *t, uint8_t *data,
						     size_t length, unsigned timeout_ms, size_t *got,
						     struct stm32_error *err)
{
	return t->ops->read(t, data, length, timeout_ms, got, err);
}

/* I2C through Linux i2c-dev (AN4221): path is /dev/i2c-N, address7 the
 * bootloader's 7-bit address (0x03..0x77). write() is one write transaction
 * of the whole frame, read() one read transaction of exactly length bytes; a
 * transaction the device does not acknowledge fails with STM32_E_TIMEOUT.
 * Elsewhere than Linux: STM32_E_UNSUPPORTED. */
enum stm32_status stm32_i2c_open(const char *path, unsigned address7, struct stm32_transport **out,
				 struct stm32_error *err);

/* SPI through Linux spidev (AN4286): path is /dev/spidevB.C, mode 0, 8 bits,
 * MSB first, at most speed_hz (0 means 1 MHz). write() and read() are
 * transfers that ignore the bytes in / clock out 0x00; ops->transfer is the
 * full-duplex one. Elsewhere than Linux: STM32_E_UNSUPPORTED. */
#define STM32_SPI_DEFAULT_SPEED_HZ 1000000u
enum stm32_status stm32_spi_open(const char *path, unsigned speed_hz, struct stm32_transport **out,
				 struct stm32_error *err);

#ifdef __cplusplus
}
#endif
#endif
