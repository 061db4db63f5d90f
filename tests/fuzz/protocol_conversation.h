/* The host side that the protocol fuzzer and its corpus recorder both run:
 * connect, then a small write plan (erase, write, verify), a read and a
 * checksum, over whatever transport they are given. */
#ifndef FUZZ_PROTOCOL_CONVERSATION_H
#define FUZZ_PROTOCOL_CONVERSATION_H

#include <stdint.h>

#include "stm32boot/transport.h"

/* The first input byte picks the plan's variant (diff, CRC verify, preserve,
 * block size), so the fuzzer reaches every executor path. */
#define CONVERSATION_OPTION_DIFF     0x01u
#define CONVERSATION_OPTION_CRC      0x02u
#define CONVERSATION_OPTION_PRESERVE 0x04u
#define CONVERSATION_OPTION_SMALL    0x08u /* 64-byte write blocks */

/* Runs the whole conversation; aborts when the library breaks one of its own
 * promises (a status without a message, success with a wrong read). */
void conversation_run(struct stm32_transport *t, uint8_t options);

#endif
