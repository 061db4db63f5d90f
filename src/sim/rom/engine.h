/* The bootloader's UART protocol as a byte-driven state machine.
 *
 * Feed it the bytes the host sent, each with its arrival time in
 * microseconds; it queues reply bytes, each with the time it is ready to
 * leave. In timed mode erase and program operations take the family's
 * typical time, during which the chip does not read its UART: it keeps one
 * received byte and loses the rest. Untimed, everything is instantaneous.
 *
 * The public face of src/sim/rom; its files and their layering are listed
 * in rom/rom_private.h. */
#ifndef STM32SIM_ENGINE_H
#define STM32SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip/chip.h"
#include "base/faults.h"
#include "base/stats.h"

#define SIM_ACK  0x79u
#define SIM_NACK 0x1Fu

/* The bootloader interface the chip was entered through. The command
 * engine is shared; the interfaces differ in the Get list and version, the
 * Get Version reply, whether Erase and Write Protect split their argument
 * into two frames, and (I2C) the no-stretch opcodes. Byte framing on the
 * bus is done by link_i2c.c and link_spi.c. */
enum sim_interface {
	SIM_INTERFACE_UART,
	SIM_INTERFACE_I2C,
	SIM_INTERFACE_SPI,
};

enum sim_output_kind {
	SIM_OUT_DATA,
	SIM_OUT_ACK,
	SIM_OUT_NACK,
};

#define SIM_MAX_COMMANDS 32

struct sim_cpu; /* src/sim/cpu: the Cortex-M core, when built with unicorn */

/* The program on the core (rom/core.c, rom/program.c): started by Go or a
 * boot from flash; it runs in slices from the caller's poll loop. */
#define SIM_PROGRAM_RX_QUEUE 16384u

struct sim_program {
	struct sim_cpu *cpu; /* created when code first starts; NULL before and without unicorn */
	bool running;        /* started and not stopped by a fault or reset */
	bool idle;           /* waiting in WFI since idle_since_us */
	uint64_t idle_since_us;
	/* Realtime: the wall time and core time that correspond (set on the
	 * first slice after a start); the core never runs ahead of the wall. */
	bool epoch_pending;
	uint64_t epoch_us, epoch_ns;
	uint64_t tx_free_ns; /* realtime: when the program's USART line is free */
	/* The host's bytes on their way to the program's USART1, each due on
	 * the core's clock one frame time after the one before: the USART
	 * holds one byte, so handing over a whole pty read at once would lose
	 * all but the first. */
	struct {
		uint8_t byte[SIM_PROGRAM_RX_QUEUE];
		uint64_t due_ns[SIM_PROGRAM_RX_QUEUE];
		uint32_t baud[SIM_PROGRAM_RX_QUEUE]; /* the host's rate when it sent the byte */
		size_t head, count;
		uint64_t last_due_ns;
		uint64_t ps_per_instruction; /* measured, for slices that end on a due time */
	} rx;
};

enum sim_run_state {
	SIM_RUN_BOOTLOADER,
	SIM_RUN_APPLICATION,
	SIM_RUN_RESET, /* NRST held low */
};

struct sim_output {
	uint8_t byte;
	uint64_t ready_us;
	enum sim_output_kind kind;
	/* The reply that ends a no-stretch operation: an I2C master polling
	 * for it reads BUSY (0x76) until it is ready. */
	bool polled;
};

struct sim_engine {
	struct sim_chip *chip;
	struct sim_stats *stats;
	struct sim_faults *faults; /* may be NULL */
	bool timed;

	enum sim_interface interface;
	uint8_t commands[SIM_MAX_COMMANDS]; /* the Get list on this interface */
	size_t command_count;
	uint8_t version;                    /* protocol version on this interface */

	enum sim_run_state run;
	bool boot0_high;
	/* Empty check (OBL_LAUNCH and PEMPTY families): latched at power-on and
	 * at each option-byte reload, set when the first flash word reads blank;
	 * while set, a reset with BOOT0 low starts the bootloader anyway. */
	bool empty_boot;
	bool line_garbled; /* host frames bytes other than 8E1 */
	bool synced;       /* auto-baud done since the last reset */
	/* UART auto-baud limit (sim_engine_set_autobaud): the host's rate, asked
	 * when a 0x7F arrives, and the highest rate the chip measures right. */
	unsigned (*host_baud)(void *context);
	void *host_baud_context;
	unsigned max_baud;
	/* The USART the bootloader talked on (1 = USART1): the program's bytes
	 * on it reach the host, the host's reach its RX. 0: the first AN2606
	 * lists for the device. */
	unsigned usart;

	/* the command being received */
	uint8_t opcode;      /* a no-stretch opcode is stored as its stretch twin */
	bool no_stretch;
	int stage;
	uint8_t *rx;
	size_t rx_have, rx_need;
	uint32_t address, size, polynomial;
	size_t list_count;   /* split frames: entries announced by the count frame */

	uint64_t now_us;     /* arrival time of the byte being handled */
	uint64_t busy_until_us;
	bool has_held;
	uint8_t held;

	struct sim_output *out;
	size_t out_head, out_count, out_capacity;

	struct sim_program program;
	/* One line of diagnostics (a faulting program, unmodelled peripherals). */
	void (*log)(void *context, const char *line);
	void *log_context;
};

bool sim_engine_init(struct sim_engine *engine, struct sim_chip *chip,
		     struct sim_stats *stats, bool timed);
void sim_engine_free(struct sim_engine *engine);
/* The USART wired to the host (--usart): false, with the device's list in
 * why, when its bootloader does not listen there. Built without the core
 * it only records the choice (no program runs). */
bool sim_engine_set_usart(struct sim_engine *engine, unsigned usart, char *why, size_t why_size);
/* Choose the interface (default UART); call before sim_engine_power_on. */
void sim_engine_set_interface(struct sim_engine *engine, enum sim_interface interface);
const char *sim_interface_name(enum sim_interface interface);
/* Waiting for a command opcode (SPI expects its 0x5A start-of-frame then). */
bool sim_engine_awaiting_command(const struct sim_engine *engine);

void sim_engine_receive(struct sim_engine *engine, uint8_t byte, uint64_t at_us);
/* Handle a byte held while busy once the operation has finished by now_us. */
void sim_engine_advance(struct sim_engine *engine, uint64_t now_us);
/* When a held byte will be handled; 0 if none. */
uint64_t sim_engine_held_due(const struct sim_engine *engine);

bool sim_engine_peek_output(const struct sim_engine *engine, struct sim_output *out);
void sim_engine_drop_output(struct sim_engine *engine);

/* First boot after power-up (BOOT0 must be set before). */
void sim_engine_power_on(struct sim_engine *engine);

/* Reset and boot pins. */
void sim_engine_set_boot0(struct sim_engine *engine, bool high);
void sim_engine_hold_reset(struct sim_engine *engine);
void sim_engine_release_reset(struct sim_engine *engine);
/* A reset the chip itself performs (SYSRESETREQ, a fault): the empty check
 * keeps its latch. */
void sim_engine_system_reset(struct sim_engine *engine);
/* The reset that ends an option-byte reload (option-byte write, RDP and
 * WRP changes, OBL_LAUNCH): the empty check is latched again first. */
void sim_engine_option_reload(struct sim_engine *engine);
void sim_engine_set_line_garbled(struct sim_engine *engine, bool garbled);
/* UART auto-baud (AN3155 section 2): a 0x7F sent faster than max_baud (0:
 * no limit) is mis-measured and not answered.
 * host_baud returns the host's current rate, 0 when unknown; without it
 * (the default) every rate is measured right. */
void sim_engine_set_autobaud(struct sim_engine *engine, unsigned max_baud,
			     unsigned (*host_baud)(void *context), void *context);

/* Where diagnostic lines go (default: nowhere). */
void sim_engine_set_log(struct sim_engine *engine, void (*log)(void *context, const char *line),
			void *context);

/* Run the program (after Go or a boot from flash) on the core for at most
 * budget instructions. False when no program runs (in the bootloader, held
 * in reset, stopped by a fault, or built without the core); else *wake_us
 * is when to call again: now_us at once, later while it waits in WFI or,
 * in timed mode, while the core is ahead of the wall clock. */
bool sim_engine_run_program(struct sim_engine *engine, uint64_t budget, uint64_t now_us,
			    uint64_t *wake_us);

const char *sim_engine_state_name(const struct sim_engine *engine);

/* CRC-32 of the STM32 CRC unit over little-endian words (Get Checksum). */
uint32_t sim_crc32_words(const uint8_t *data, size_t length, uint32_t polynomial,
			 uint32_t initial);

#endif
