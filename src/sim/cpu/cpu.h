/* A Cortex-M core for the emulated chip (Unicorn underneath): it runs RAM
 * programs, the flashed firmware and the host's reset stubs against
 * register-level peripheral models. The ROM bootloader itself stays the
 * native protocol engine; this module is what runs once code is started.
 *
 * Lifecycle: sim_cpu_new() on a chip, then sim_cpu_go() (the Go command) or
 * sim_cpu_boot_flash() (reset with BOOT0 low), then sim_cpu_run() slices
 * until a stop reason asks the caller to act. A reset stop leaves the core
 * halted: call sim_cpu_reset() and boot again (flash or bootloader). */
#ifndef STM32SIM_CPU_H
#define STM32SIM_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_chip;
struct sim_cpu;
struct stm32_device;

enum sim_cpu_core { SIM_CORE_M0, SIM_CORE_M0PLUS, SIM_CORE_M3, SIM_CORE_M4, SIM_CORE_M7, SIM_CORE_M33 };

enum sim_cpu_stop {
	SIM_CPU_STOP_BUDGET,     /* the slice's instruction budget is used up */
	SIM_CPU_STOP_IDLE,       /* WFI/WFE: nothing to do until an event */
	SIM_CPU_STOP_UNMAPPED,   /* access outside every mapped region: address, pc */
	SIM_CPU_STOP_FAULT,      /* a fault no handler takes: pc, what */
	SIM_CPU_STOP_LOCKUP,     /* a fault at HardFault or NMI priority (ARMv7-M B1.5.15): pc, address, what */
	SIM_CPU_STOP_BREAKPOINT, /* BKPT: pc on the BKPT */
	SIM_CPU_STOP_RESET,      /* a reset was requested: see reset */
	SIM_CPU_STOP_HALTED,     /* not started (no Go/boot since the last reset) */
};

enum sim_reset_cause {
	SIM_RESET_NONE,
	SIM_RESET_SYSRESETREQ, /* AIRCR with VECTKEY and SYSRESETREQ */
	SIM_RESET_IWDG,        /* the watchdog counted down to 0 */
	SIM_RESET_OBL_LAUNCH,  /* FLASH_CR.OBL_LAUNCH: option-byte reload */
	SIM_RESET_CAUSES,
};

struct sim_cpu_stop_info {
	enum sim_cpu_stop reason;
	enum sim_reset_cause reset; /* with SIM_CPU_STOP_RESET */
	uint32_t pc;                /* address of the instruction concerned */
	uint32_t address;           /* the faulting data address (unmapped) */
	bool write;                 /* the unmapped access was a write */
	const char *what;           /* one line, static storage */
};

struct sim_cpu_callbacks {
	/* A byte the program sent on a USART (index 1 = USART1), with the baud
	 * its BRR and kernel clock give. */
	void (*usart_tx)(void *user, unsigned usart, uint8_t byte, uint32_t baud);
	/* One line of diagnostics (unmodelled peripheral, first time only). */
	void (*log)(void *user, const char *line);
	void *user;
};

#define SIM_CPU_PERIPH_MAX 16u
#define SIM_CPU_USARTS 3u /* USART1 .. USART3 are modelled */

struct sim_cpu_periph_stat {
	const char *name; /* "RCC", "USART1", ... */
	uint64_t reads, writes;
};

struct sim_cpu_stats {
	uint64_t instructions;
	uint64_t faults;          /* fault and unmapped stops, and faults taken by HardFault */
	uint64_t exceptions;      /* exception entries (interrupts, SVC, HardFault) */
	uint64_t hardfaults;      /* faults taken by the program's HardFault handler */
	uint64_t fault_handlers;  /* faults taken by MemManage, BusFault or UsageFault */
	uint64_t lockups;         /* lockup stops */
	uint64_t nmis;            /* NMI entries */
	uint64_t unmodelled_accesses;
	uint64_t usart_tx_bytes, usart_rx_bytes, usart_rx_overruns; /* every USART */
	uint64_t usart_rx_errors; /* bytes received garbled, or with FE/PE (the host's rate) */
	uint64_t usart_tx[SIM_CPU_USARTS + 1], usart_rx[SIM_CPU_USARTS + 1]; /* by number (1 = USART1) */
	uint64_t iwdg_refreshes;
	/* Polling loops moved over (spin.c); their instructions are counted in
	 * instructions too, as if run. */
	uint64_t spin_skips, spin_skipped_instructions;
	/* Polls that stopped the core to wait like WFI (sim_cpu_set_timer_polls_idle) */
	uint64_t spin_idle_stops;
	uint64_t resets[SIM_RESET_CAUSES];
	struct sim_cpu_periph_stat periph[SIM_CPU_PERIPH_MAX];
	size_t periph_count;
};

/* The core for a device family ("F1" -> M3); false for an unknown family. */
bool sim_cpu_core_of_family(const char *family, enum sim_cpu_core *core);
const char *sim_cpu_core_name(enum sim_cpu_core core);

/* A core on the chip's memories. NULL with a message in err on failure.
 * The chip must outlive the core; its flash and RAM are shared, not copied. */
struct sim_cpu *sim_cpu_new(struct sim_chip *chip, const struct sim_cpu_callbacks *callbacks,
			    char *err, size_t err_size);
void sim_cpu_free(struct sim_cpu *cpu);
enum sim_cpu_core sim_cpu_core(const struct sim_cpu *cpu);

/* Power-on or system reset: peripherals to their reset values (RCC keeps
 * its reset flags, with the cause added), core halted. */
void sim_cpu_reset(struct sim_cpu *cpu, enum sim_reset_cause cause);
/* What the ROM bootloader leaves configured when it hands over (clock tree,
 * the USART it talked on at the host's baud in 8E1, flash controller
 * unlocked): on USART1, or on usart (1 = USART1). */
void sim_cpu_rom_handoff(struct sim_cpu *cpu, uint32_t host_baud);
void sim_cpu_rom_handoff_on(struct sim_cpu *cpu, unsigned usart, uint32_t host_baud);
/* The USART AN2606 lists first for the device (1 = USART1), 0 if none. */
unsigned sim_cpu_default_usart(const struct stm32_device *device);
/* Does the device's bootloader listen on USARTn (AN2606), as modelled?
 * names gets the list ("USART1, USART2"), "" when the family has none. */
bool sim_cpu_usart_listed(const struct stm32_device *device, unsigned usart, char *names,
			  size_t names_size);
/* Go (AN2606): MSP from [address], PC from [address + 4], VTOR untouched,
 * system memory stays at 0. False (with why in fail) when the vector
 * cannot be read or has no Thumb bit: the core would fault at once. */
bool sim_cpu_go(struct sim_cpu *cpu, uint32_t address, struct sim_cpu_stop_info *fail);
/* Reset with BOOT0 low: flash aliased at 0, MSP and PC from its vectors. */
bool sim_cpu_boot_flash(struct sim_cpu *cpu, struct sim_cpu_stop_info *fail);
/* A reset that boots main flash with its vector table at vectors (F7
 * BOOT_ADDx may name one inside flash), or the embedded SRAM (sram: nothing
 * aliased at 0, MSP and PC from vectors). */
bool sim_cpu_boot_at(struct sim_cpu *cpu, bool sram, uint32_t vectors, struct sim_cpu_stop_info *fail);

/* Readout protection (RM0008, RM0090, RM0351...): at RDP level 1 (as
 * loaded at the last reset) code started by Go (the chip booted from
 * system memory) or run under a debugger cannot read or fetch flash, a
 * bus error (SIM_CPU_STOP_FAULT, or the program's HardFault), and the
 * flash controller refuses to program or erase it; code booted from flash
 * reads it normally. sim_cpu_set_debugger says a debugger is attached. */
void sim_cpu_set_debugger(struct sim_cpu *cpu, bool attached);
bool sim_cpu_flash_read_protected(const struct sim_cpu *cpu);

/* Spin-loop fast-forward (on by default): a loop that only polls is moved
 * over up to the next change it could read, the same instructions,
 * values and time as if run. Off: every instruction runs. */
void sim_cpu_set_spin_skip(struct sim_cpu *cpu, bool on);
/* On: a poll that only a timer (IWDG, SysTick) or the outside world can
 * end is not moved over but stops the core with SIM_CPU_STOP_IDLE, as a
 * WFI does, so the caller lets its own clock's time pass (the UART's fast
 * speed). Off (the default): moved over like any other poll. */
void sim_cpu_set_timer_polls_idle(struct sim_cpu *cpu, bool on);
/* The emulated time (ns) at which the caller hands the next byte from
 * outside over (sim_cpu_usart_receive*), UINT64_MAX for none: a poll is
 * not moved over past it, so the byte is read when it comes, not a slice
 * later with the next one behind it (an overrun). */
void sim_cpu_set_input_due(struct sim_cpu *cpu, uint64_t ns);

/* Run at most budget instructions. */
struct sim_cpu_stop_info sim_cpu_run(struct sim_cpu *cpu, uint64_t budget);
/* Let emulated time pass without instructions (a WFI wait). */
void sim_cpu_idle(struct sim_cpu *cpu, uint64_t ns);
/* Nanoseconds until a timer (SysTick, IWDG, a clock or the flash) changes
 * what the program could read, UINT64_MAX for none: an idle wait is not
 * let pass beyond it, so each wrap and deadline is seen at its time. */
uint64_t sim_cpu_next_timer_ns(const struct sim_cpu *cpu);
uint64_t sim_cpu_time_ns(const struct sim_cpu *cpu);

/* Someone else (the ROM engine) wrote these bytes of flash or RAM: drop
 * translated code that came from them. */
void sim_cpu_memory_changed(struct sim_cpu *cpu, uint32_t address, uint32_t length);
/* A byte from the host arrives on a USART's RX line. */
void sim_cpu_usart_receive(struct sim_cpu *cpu, unsigned usart, uint8_t byte);
/* The same for a byte sent at host_baud, sampled at the USART's rate. */
void sim_cpu_usart_receive_at(struct sim_cpu *cpu, unsigned usart, uint8_t byte,
			      uint32_t host_baud);

/* Core registers for tests and reports. */
uint32_t sim_cpu_reg(struct sim_cpu *cpu, int uc_arm_reg);
/* The empty-check latch (FLASH_SR.PEMPTY on pempty devices, FLASH_ACR.EMPTY
 * on G0/WB/WL) as the program left it. */
bool sim_cpu_pempty(const struct sim_cpu *cpu);
void sim_cpu_set_pempty(struct sim_cpu *cpu, bool set);
/* Whether the program sees the latch in a register (PEMPTY or ACR.EMPTY):
 * where it does, the owner shares its latch with sim_cpu_set_pempty and
 * reads it back at resets. */
bool sim_cpu_latch_visible(const struct sim_cpu *cpu);

const struct sim_cpu_stats *sim_cpu_stats(const struct sim_cpu *cpu);
const char *sim_cpu_stop_name(enum sim_cpu_stop reason);
const char *sim_cpu_reset_name(enum sim_reset_cause cause);

#endif
