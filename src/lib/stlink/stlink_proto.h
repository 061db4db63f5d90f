/* The ST-LINK's commands (stlink.md §2) and the debug registers reached
 * through them: the probe's firmware version, SWD entry and clock, memory
 * access through the MEM-AP, the core's halt and reset. A status other
 * than 0x80 becomes an error naming it. */
#ifndef STM32BOOT_STLINK_PROTO_H
#define STM32BOOT_STLINK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stlink/stlink_usb.h"

#define STLINK_MAX_TRANSFER 1024u /* bytes per memory command every probe takes */

struct stlink_link {
	struct stlink_usb *usb;
	struct stlink_usb_info info;
	unsigned timeout_ms;
	unsigned version, jtag, swim; /* firmware: V<version>J<jtag>S<swim> */
	bool has_16bit;               /* J26+: READ/WRITEMEM_16 */
	uint32_t dp_idcode;
	double voltage;               /* target voltage, 0 when the probe does not say */
	bool last_wait;               /* the last memory command ended in SWD WAIT */
	unsigned wait_retries;        /* memory commands sent again after a WAIT */
};

enum stm32_status stlink_identify_probe(struct stlink_link *l, struct stm32_error *err);
/* Enter SWD at the probe's fastest clock not above khz (0: 1800 kHz on a
 * V2, 24 MHz on a V3); NRST is not touched. *khz_set: the clock chosen. */
enum stm32_status stlink_enter_swd(struct stlink_link *l, unsigned khz, unsigned *khz_set,
				   struct stm32_error *err);
/* NRST: low holds the chip in reset, high releases it. */
enum stm32_status stlink_drive_nrst(struct stlink_link *l, bool high, struct stm32_error *err);
void stlink_leave(struct stlink_link *l);

enum stm32_status stlink_read_word(struct stlink_link *l, uint32_t address, uint32_t *value,
				   struct stm32_error *err);
enum stm32_status stlink_write_word(struct stlink_link *l, uint32_t address, uint32_t value,
				    struct stm32_error *err);
/* Reads the word at address until none of the bits in busy is set (*value:
 * its last reading) or limit_ms passes: STM32_E_TIMEOUT, "WHAT took over
 * N ms (still busy)". */
enum stm32_status stlink_poll_clear(struct stlink_link *l, uint32_t address, uint32_t busy,
				    unsigned limit_ms, const char *what, uint32_t *value,
				    struct stm32_error *err);
/* length bytes (at most STLINK_MAX_TRANSFER) at address; any alignment. */
enum stm32_status stlink_read(struct stlink_link *l, uint32_t address, uint8_t *data,
			      size_t length, struct stm32_error *err);
/* width 2 or 4 bytes per access; address and length multiples of it. */
enum stm32_status stlink_write(struct stlink_link *l, uint32_t address, const uint8_t *data,
			       size_t length, unsigned width, struct stm32_error *err);

/* A core register (0-15, 16 xPSR, 17 MSP, 18 PSP) of the halted core. */
enum stm32_status stlink_write_register(struct stlink_link *l, unsigned index, uint32_t value,
					struct stm32_error *err);
enum stm32_status stlink_read_register(struct stlink_link *l, unsigned index, uint32_t *value,
				       struct stm32_error *err);
enum stm32_status stlink_halt(struct stlink_link *l, struct stm32_error *err);
/* The core runs on from where it is, debug off. */
enum stm32_status stlink_resume(struct stlink_link *l, struct stm32_error *err);
/* AIRCR.SYSRESETREQ with the core running afterwards (debug off). */
enum stm32_status stlink_reset_run(struct stlink_link *l, struct stm32_error *err);
/* The same by the reset pin: debug off, NRST low for 2 ms, then high (the
 * probe's NRST wired to the chip's; a board without that wire never resets). */
enum stm32_status stlink_nrst_reset_run(struct stlink_link *l, struct stm32_error *err);

#endif
