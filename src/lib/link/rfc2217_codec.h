/* The telnet (RFC 854/855/856/858) and COM-PORT-OPTION (RFC 2217) byte
 * codec under rfc2217:// ports: no sockets, no clock, so every rule is
 * unit-tested on byte strings (tests/unit/link/test_rfc2217_codec.c). */
#ifndef STM32BOOT_RFC2217_CODEC_H
#define STM32BOOT_RFC2217_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TN_IAC  0xFFu
#define TN_DONT 0xFEu
#define TN_DO   0xFDu
#define TN_WONT 0xFCu
#define TN_WILL 0xFBu
#define TN_SB   0xFAu
#define TN_SE   0xF0u

#define TN_OPT_BINARY  0u  /* RFC 856 */
#define TN_OPT_ECHO    1u  /* RFC 857 */
#define TN_OPT_SGA     3u  /* RFC 858 */
#define TN_OPT_COMPORT 44u /* RFC 2217 */

/* COM-PORT-OPTION commands, client to server; the server answers cmd + 100. */
enum rfc2217_command {
	RFC2217_SIGNATURE = 0,
	RFC2217_SET_BAUDRATE = 1,
	RFC2217_SET_DATASIZE = 2,
	RFC2217_SET_PARITY = 3,
	RFC2217_SET_STOPSIZE = 4,
	RFC2217_SET_CONTROL = 5,
	RFC2217_NOTIFY_LINESTATE = 6,
	RFC2217_NOTIFY_MODEMSTATE = 7,
	RFC2217_SET_LINESTATE_MASK = 10,
	RFC2217_SET_MODEMSTATE_MASK = 11,
	RFC2217_PURGE_DATA = 12,
};
#define RFC2217_SERVER_OFFSET 100u

/* SET-CONTROL values. */
#define RFC2217_CONTROL_FLOW_NONE 1u
#define RFC2217_CONTROL_BREAK_ON  5u
#define RFC2217_CONTROL_BREAK_OFF 6u
#define RFC2217_CONTROL_DTR_ON    8u
#define RFC2217_CONTROL_DTR_OFF   9u
#define RFC2217_CONTROL_RTS_ON    11u
#define RFC2217_CONTROL_RTS_OFF   12u
/* SET-PARITY values. */
#define RFC2217_PARITY_NONE 1u
#define RFC2217_PARITY_ODD  2u
#define RFC2217_PARITY_EVEN 3u
/* PURGE-DATA values. */
#define RFC2217_PURGE_RECEIVE 1u
#define RFC2217_PURGE_BOTH    3u

/* Longest sub-negotiation value kept (a signature may be longer: cut). */
#define RFC2217_VALUE_MAX 64u

/* Data bytes out: every 0xFF doubled. out holds at least 2 * length bytes.
 * Returns the bytes written to out. */
size_t rfc2217_escape(const uint8_t *data, size_t length, uint8_t *out);

/* IAC SB 44 command value... IAC SE, 0xFF in the value doubled. out holds
 * at least 6 + 2 * length bytes. Returns the bytes written. */
size_t rfc2217_encode_command(uint8_t command, const uint8_t *value, size_t length, uint8_t *out);

/* SET-BAUDRATE always in the 4-byte big-endian form (0 asks for the rate). */
size_t rfc2217_encode_baud(uint32_t baud, uint8_t *out);

/* What the decoder found besides data bytes. */
enum rfc2217_event_kind {
	RFC2217_EVENT_NONE,
	RFC2217_EVENT_OPTION,  /* WILL/WONT/DO/DONT option */
	RFC2217_EVENT_COMPORT, /* SB 44 command value... SE from the server */
};

struct rfc2217_event {
	enum rfc2217_event_kind kind;
	uint8_t verb;    /* OPTION: TN_WILL .. TN_DONT */
	uint8_t option;  /* OPTION: the option */
	uint8_t command; /* COMPORT: as sent (a server's reply is 100 + request) */
	uint8_t value[RFC2217_VALUE_MAX];
	size_t length;   /* COMPORT: value bytes kept */
};

struct rfc2217_decoder {
	int state;
	uint8_t verb;
	uint8_t sb_option;
	uint8_t sb[RFC2217_VALUE_MAX + 1];
	size_t sb_length;
};

void rfc2217_decoder_init(struct rfc2217_decoder *d);

/* Decode in[0..length) until it ends or one event is complete. Data bytes
 * (IAC IAC as one 0xFF) are appended at data + *data_length; data must have
 * room for length more bytes. Returns the input bytes consumed; ev->kind
 * says whether an event ended the call. Other commands (NOP, GA, ...) and
 * other options' sub-negotiations are dropped. */
size_t rfc2217_decode(struct rfc2217_decoder *d, const uint8_t *in, size_t length, uint8_t *data,
		      size_t *data_length, struct rfc2217_event *ev);

/* Option negotiation, both sides of each option (RFC 1143's states without
 * the queue bit). The client wants BINARY and SGA both ways and
 * COM-PORT-OPTION on its side, refuses everything else (ECHO included: a
 * server echoing would send the bootloader frames back). */
enum tn_state { TN_NO = 0, TN_YES, TN_WANT_YES };

struct rfc2217_options {
	uint8_t us[64];  /* our side: WILL/WONT we sent, DO/DONT received */
	uint8_t him[64]; /* the server's side */
};

void rfc2217_options_init(struct rfc2217_options *o);
/* Ask for an option: WILL (our side) or DO (his). Writes 3 bytes to out
 * and returns 3, or 0 when already asked or agreed. */
size_t rfc2217_options_request(struct rfc2217_options *o, uint8_t verb, uint8_t option,
			       uint8_t out[3]);
/* The answer to a received verb: 3 bytes (or 0: none due) written to out. */
size_t rfc2217_options_receive(struct rfc2217_options *o, uint8_t verb, uint8_t option,
			       uint8_t out[3]);
/* True once option is agreed on our side (us) or the server's (him). */
bool rfc2217_options_us(const struct rfc2217_options *o, uint8_t option);
bool rfc2217_options_him(const struct rfc2217_options *o, uint8_t option);

/* The 4-byte big-endian value of a SET-BAUDRATE reply (0 if not 4 bytes). */
uint32_t rfc2217_decode_baud(const uint8_t *value, size_t length);

#endif
