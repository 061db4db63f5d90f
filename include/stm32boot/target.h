/* libstm32boot: a way into a chip, as the flash engine sees it.
 *
 * Every way in (the ROM bootloader over UART, I2C or SPI; later USB DFU, an
 * ST-LINK over SWD, a RAM stub, a drive) is a back end: a table of
 * primitives (struct stm32_target_ops) and a descriptor of what it can do
 * and what it costs (struct stm32_target_desc). The planner reads only the
 * descriptor; the executor (flash.h) calls only the table, so the image
 * policy (what to erase, retries, verify, --diff, --preserve) lives once.
 *
 * An optional entry left NULL means "not supported": the stm32_target_*
 * calls below then return STM32_E_UNSUPPORTED and the executor falls back
 * where there is a fallback (verify by reading where there is no CRC).
 *
 * A back end opens with its own call (stm32_rom_open in rom.h) and fills a
 * struct stm32_target; stm32_target_close releases it. Programs may write
 * their own back end (tests/unit/flash/fake_target.c is one). */
#ifndef STM32BOOT_TARGET_H
#define STM32BOOT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/device.h"
#include "stm32boot/error.h"
#include "stm32boot/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a back end can do (struct stm32_target_desc.caps). */
#define STM32_CAP_READ              0x0001u
#define STM32_CAP_WRITE             0x0002u
#define STM32_CAP_ERASE             0x0004u /* erase a list of units */
#define STM32_CAP_MASS_ERASE        0x0008u
#define STM32_CAP_BANK_ERASE        0x0010u
#define STM32_CAP_CRC               0x0020u /* the chip computes a CRC of a range */
#define STM32_CAP_OPTION_BYTES      0x0040u /* option bytes can be written */
#define STM32_CAP_GO                0x0080u
#define STM32_CAP_READOUT_PROTECT   0x0100u
#define STM32_CAP_READOUT_UNPROTECT 0x0200u
#define STM32_CAP_WRITE_PROTECT     0x0400u
#define STM32_CAP_WRITE_UNPROTECT   0x0800u
#define STM32_CAP_RESET             0x1000u /* a software reset that runs the program */
#define STM32_CAP_WRITE_IMAGE       0x2000u /* takes a whole image at once (a drive) */

/* What the estimate charges, per request of each kind: bytes on the link
 * beyond the data themselves (both directions), round trips that wait for
 * the chip, and the link's speed. */
struct stm32_target_cost {
	uint32_t bits_per_byte;      /* on the wire, framing included (8E1 UART: 11) */
	uint32_t bits_per_second;    /* the link's rate; 0 = unknown */
	uint32_t read_overhead;      /* bytes per read request */
	uint32_t read_round_trips;
	uint32_t write_overhead;     /* bytes per write request */
	uint32_t write_round_trips;
	uint32_t erase_overhead;     /* bytes per erase request */
	uint32_t erase_unit_bytes;   /* bytes per unit named in an erase request */
	uint32_t erase_round_trips;
	uint32_t crc_overhead;       /* bytes per CRC request */
	uint32_t crc_round_trips;
	uint32_t round_trip_us;      /* latency of one round trip (adapter, USB) */
};

/* What a back end can do and what it costs: all the planner knows. */
struct stm32_target_desc {
	const char *name;                  /* "rom", "dfu", ...: for messages */
	/* The chip and its memory map. A back end may point this at a row of
	 * its own (a layout the device reported, for instance). */
	const struct stm32_device *device;
	unsigned caps;                     /* STM32_CAP_* */
	uint32_t max_read;                 /* bytes per read request */
	uint32_t max_write;                /* bytes per write request */
	uint32_t erase_units_per_request;  /* units one erase request may name */
	uint32_t max_erase_unit;           /* highest unit number a request can name */
	struct stm32_target_cost cost;
};

/* What connecting learnt about the chip (filled by the back end). */
struct stm32_chip_facts {
	bool flash_size_known;
	uint32_t flash_kib;        /* from the flash-size register */
	bool uid_known;
	uint8_t uid[12];
	bool option_bytes_known;
	uint8_t option_bytes[128];
	uint32_t option_bytes_size;
	bool read_protected;       /* reads refused: readout protection active */
	/* The last protection change takes full effect only at a power-on
	 * reset: readout protection raised while a debugger was attached
	 * stops the chip until then (RM0090, RM0351: a POR, not a system
	 * reset). Set by the back end; the caller tells the user. */
	bool power_cycle_needed;
};

/* One erase request. */
enum stm32_erase_request_kind {
	STM32_ERASE_REQUEST_UNITS, /* units[0..count) by number, across banks */
	STM32_ERASE_REQUEST_MASS,
	STM32_ERASE_REQUEST_BANK,  /* bank 1 or 2 */
};

struct stm32_erase_request {
	enum stm32_erase_request_kind kind;
	const uint32_t *units;
	size_t count;
	unsigned bank;
};

struct stm32_target;

/* The back-end table. Each entry sends one request and checks its answer;
 * none retries (the executor does). Every entry fills err on failure. */
struct stm32_target_ops {
	/* Required. Read length bytes (1..desc.max_read) at address. */
	enum stm32_status (*read)(struct stm32_target *t, uint32_t address, uint8_t *data,
				  size_t length, struct stm32_error *err);
	/* Required. Write length bytes (1..desc.max_write; the planner aligns
	 * them to the program unit) at address in flash or RAM. */
	enum stm32_status (*write)(struct stm32_target *t, uint32_t address, const uint8_t *data,
				   size_t length, struct stm32_error *err);
	/* Required. One erase request (at most desc.erase_units_per_request units). */
	enum stm32_status (*erase)(struct stm32_target *t, const struct stm32_erase_request *request,
				   struct stm32_error *err);
	/* Optional: the chip's CRC-32 (stm32_crc32) of a 4-aligned range.
	 * STM32_E_NACK: the chip declines that range (the caller reads instead). */
	enum stm32_status (*crc)(struct stm32_target *t, uint32_t address, uint32_t length,
				 uint32_t *crc, struct stm32_error *err);
	/* Optional: write one block of option bytes; the chip applies them,
	 * resets, and the back end is talking to it again on return. */
	enum stm32_status (*write_option_bytes)(struct stm32_target *t, uint32_t address,
						const uint8_t *data, size_t length,
						struct stm32_error *err);
	/* Optional, each ending in a chip reset (reconnect afterwards). */
	enum stm32_status (*readout_protect)(struct stm32_target *t, struct stm32_error *err);
	enum stm32_status (*readout_unprotect)(struct stm32_target *t, struct stm32_error *err);
	enum stm32_status (*write_protect)(struct stm32_target *t, const uint32_t *units,
					   size_t count, struct stm32_error *err);
	enum stm32_status (*write_unprotect)(struct stm32_target *t, struct stm32_error *err);
	/* Optional: run the code at address; the back end may not be usable after. */
	enum stm32_status (*go)(struct stm32_target *t, uint32_t address, struct stm32_error *err);
	/* Optional: reset the chip so that it runs its program. */
	enum stm32_status (*reset)(struct stm32_target *t, struct stm32_error *err);
	/* Optional: after a failed request, get back in step with the chip
	 * (ROM: resynchronise, re-enter the bootloader, sync again). Return
	 * STM32_E_IO only when the link is gone; any other failure means "try
	 * the request again and see". NULL: requests are retried as they are. */
	enum stm32_status (*recover)(struct stm32_target *t, struct stm32_error *err);
	/* Optional: after the chip reset itself (protection change): wait for
	 * it and talk to it again. */
	enum stm32_status (*reconnect)(struct stm32_target *t, struct stm32_error *err);
	/* Optional: the back end takes a whole image at once (a drive). */
	enum stm32_status (*write_image)(struct stm32_target *t, const struct stm32_image *image,
					 struct stm32_error *err);
	/* Optional, with finish (both or neither; NULL: the executor uses write
	 * and nothing changes): write-behind. As write, but the call may
	 * return while the chip still programs the tail of the data, so that
	 * the next request's transfer overlaps that programming. What is in
	 * flight is checked in the order it was handed over, and when a call
	 * returns STM32_OK only this call's data and the previous call's may
	 * still be in flight. A failure (of this call's data or of what was
	 * in flight when it began) names in err the address where it
	 * happened, and leaves nothing in flight. Other entries may be called
	 * only after finish. */
	enum stm32_status (*write_behind)(struct stm32_target *t, uint32_t address,
					  const uint8_t *data, size_t length,
					  struct stm32_error *err);
	/* Optional, with write_behind: wait until everything write_behind
	 * handed over is programmed; the first failure as above. Nothing is in
	 * flight on return, either way. The executor calls it before whatever
	 * needs the writes done (verify, reads, CRCs, erases, option bytes),
	 * at the end of its write phase and on its error paths. */
	enum stm32_status (*finish)(struct stm32_target *t, struct stm32_error *err);
	/* Required. Release the back end and t itself (the link stays open). */
	void (*close)(struct stm32_target *t);
};

struct stm32_target {
	const struct stm32_target_ops *ops;
	struct stm32_target_desc desc;
	struct stm32_chip_facts chip;
	void *backend; /* the back end's own state */
};

/* Dispatchers: STM32_E_UNSUPPORTED (with err->op set) where the entry is NULL. */
enum stm32_status stm32_target_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				    size_t length, struct stm32_error *err);
enum stm32_status stm32_target_write(struct stm32_target *t, uint32_t address,
				     const uint8_t *data, size_t length, struct stm32_error *err);
enum stm32_status stm32_target_erase(struct stm32_target *t,
				     const struct stm32_erase_request *request,
				     struct stm32_error *err);
enum stm32_status stm32_target_crc(struct stm32_target *t, uint32_t address, uint32_t length,
				   uint32_t *crc, struct stm32_error *err);
enum stm32_status stm32_target_write_option_bytes(struct stm32_target *t, uint32_t address,
						  const uint8_t *data, size_t length,
						  struct stm32_error *err);
enum stm32_status stm32_target_readout_protect(struct stm32_target *t, struct stm32_error *err);
enum stm32_status stm32_target_readout_unprotect(struct stm32_target *t, struct stm32_error *err);
enum stm32_status stm32_target_write_protect(struct stm32_target *t, const uint32_t *units,
					     size_t count, struct stm32_error *err);
enum stm32_status stm32_target_write_unprotect(struct stm32_target *t, struct stm32_error *err);
enum stm32_status stm32_target_go(struct stm32_target *t, uint32_t address,
				  struct stm32_error *err);
enum stm32_status stm32_target_reset(struct stm32_target *t, struct stm32_error *err);
enum stm32_status stm32_target_recover(struct stm32_target *t, struct stm32_error *err);
enum stm32_status stm32_target_reconnect(struct stm32_target *t, struct stm32_error *err);
enum stm32_status stm32_target_write_image(struct stm32_target *t,
					   const struct stm32_image *image,
					   struct stm32_error *err);
/* STM32_E_UNSUPPORTED unless the back end has both write_behind and finish. */
enum stm32_status stm32_target_write_behind(struct stm32_target *t, uint32_t address,
					    const uint8_t *data, size_t length,
					    struct stm32_error *err);
enum stm32_status stm32_target_finish(struct stm32_target *t, struct stm32_error *err);
/* Whether the back end can write behind (both entries set). */
bool stm32_target_can_write_behind(const struct stm32_target *t);
/* NULL is fine. */
void stm32_target_close(struct stm32_target *t);

/* Whether the back end has that capability. */
bool stm32_target_can(const struct stm32_target_desc *desc, unsigned cap);

#ifdef __cplusplus
}
#endif
#endif
