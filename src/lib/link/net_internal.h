/* TCP connections under the network ports (socket:// and rfc2217://):
 * address parsing, connecting, sending and receiving with deadlines, and
 * errors that say what the connection had done when it dropped. */
#ifndef STM32BOOT_NET_INTERNAL_H
#define STM32BOOT_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/error.h"

#define NET_CONNECT_TIMEOUT_MS 5000u
/* A send that cannot make progress this long: the server stopped reading. */
#define NET_SEND_STALL_MS 5000u

struct net_conn {
	int fd;
	char name[160];       /* "HOST:PORT" as given (brackets kept), for messages */
	uint64_t sent;        /* bytes sent and received on the socket */
	uint64_t received;
	unsigned connect_us;  /* how long the TCP handshake took: one round trip */
	char tail[64];        /* the last printable bytes received (a server's message) */
	size_t tail_length;
	bool tail_ended;      /* a non-printable byte ended the run in tail */
};

/* Split "HOST:PORT", "[V6]:PORT" (optionally followed by "/" or pyserial's
 * "?opt&opt=value" query, whose options are checked by query_ok) into host
 * and port. Fails with STM32_E_INVALID and the reason. */
enum stm32_status net_parse_address(const char *scheme, const char *address, char *host,
				    size_t host_size, char *port, size_t port_size,
				    struct stm32_error *err);

enum stm32_status net_connect(const char *scheme, const char *address, struct net_conn *c,
			      struct stm32_error *err);
void net_close(struct net_conn *c);

enum stm32_status net_send(struct net_conn *c, const uint8_t *data, size_t length,
			   struct stm32_error *err);
/* Wait at most timeout_ms for bytes, then receive what is there (at most
 * size). STM32_OK with *got > 0, STM32_E_TIMEOUT with *got 0, STM32_E_IO
 * when the connection dropped. */
enum stm32_status net_receive(struct net_conn *c, uint8_t *buf, size_t size, unsigned timeout_ms,
			      size_t *got, struct stm32_error *err);
/* Remember data bytes for the message of a later drop ("Port's device
 * already in use" from ser2net). */
void net_note_data(struct net_conn *c, const uint8_t *data, size_t length);

uint64_t net_monotonic_us(void);
/* How much longer than the protocol asks a read waits, for a link whose
 * round trip took round_trip_us: the bytes cross the network twice. */
unsigned stm32_net_slack_ms(unsigned round_trip_us);

/* Milliseconds left until deadline (from core_monotonic_ms). */
unsigned net_ms_left(uint64_t deadline);

#endif
