/* The Cortex-M core under the ROM: the one file of src/sim/rom that calls
 * src/sim/cpu. It creates the core when code first starts (so the ROM path
 * never pays for Unicorn), keeps it in step with the engine's writes and
 * resets, and carries the program's USART1 bytes to the host. Built
 * without unicorn, every function here does nothing. */
#include <stdio.h>
#include <string.h>

#include "base/wire.h"
#include "rom/rom_private.h"

#ifdef STM32SIM_HAVE_CPU

static void log_line(struct sim_engine *engine, const char *line)
{
	if (engine->log)
		engine->log(engine->log_context, line);
}

static void on_log(void *user, const char *line)
{
	char text[200];
	snprintf(text, sizeof(text), "core: %s", line);
	log_line(user, text);
}

/* The host reads the program's frame with its own clock: a rate BRR gives
 * that its receiver cannot follow turns into other bytes (in both speeds:
 * the rate is a fact of the line, not of the timing). */
static uint8_t as_host_reads(struct sim_engine *engine, uint8_t byte, uint32_t baud)
{
	unsigned host = engine->host_baud ? engine->host_baud(engine->host_baud_context) : 0;
	bool framing_error;
	uint8_t got = sim_uart_resample(byte, baud, host, &framing_error);
	if (got != byte || framing_error)
		engine->stats->core.usart_garbled++;
	return got;
}

/* The USART the host is wired to: the one chosen, else AN2606's first. */
static unsigned wired_usart(const struct sim_engine *engine)
{
	return engine->usart ? engine->usart : sim_cpu_default_usart(engine->chip->dev);
}

static void on_usart_tx(void *user, unsigned usart, uint8_t byte, uint32_t baud)
{
	struct sim_engine *engine = user;
	/* Only the wired USART is the bootloader's line; the others, and all
	 * of them on I2C and SPI, have no line to the host (the core still
	 * counts the bytes). */
	if (usart != wired_usart(engine) || engine->interface != SIM_INTERFACE_UART)
		return;
	if (!engine->timed) {
		rom_emit_program(engine, as_host_reads(engine, byte, baud), 0);
		return;
	}
	/* The line paces the bytes as they reach it: one 8N1 frame at the BRR
	 * rate after the other (the USART model's TXE/TC pace the program). */
	struct sim_program *p = &engine->program;
	uint64_t at_ns = rom_core_clock_ns(engine);
	if (at_ns < p->tx_free_ns)
		at_ns = p->tx_free_ns;
	if (baud)
		at_ns += (uint64_t)SIM_UART_FRAME_BITS * 1000000000u / baud;
	p->tx_free_ns = at_ns;
	rom_emit_program(engine, as_host_reads(engine, byte, baud), at_ns / 1000u);
}

static void rx_clear(struct sim_program *p)
{
	p->rx.head = p->rx.count = 0;
	p->rx.last_due_ns = 0;
}

/* Hands the USART every byte whose frame has ended on the core's clock,
 * sampled at the USART's rate as the host sent it at its own. */
static void rx_deliver_due(struct sim_engine *engine)
{
	struct sim_program *p = &engine->program;
	uint64_t now = sim_cpu_time_ns(p->cpu);
	while (p->rx.count && p->rx.due_ns[p->rx.head] <= now) {
		sim_cpu_usart_receive_at(p->cpu, wired_usart(engine), p->rx.byte[p->rx.head],
					 p->rx.baud[p->rx.head]);
		p->rx.head = (p->rx.head + 1) % SIM_PROGRAM_RX_QUEUE;
		p->rx.count--;
	}
}

/* Instructions until the next byte is due (at least a few). */
static uint64_t rx_slice(const struct sim_program *p, uint64_t left)
{
	if (!p->rx.count)
		return left;
	uint64_t now = sim_cpu_time_ns(p->cpu), due = p->rx.due_ns[p->rx.head];
	uint64_t ps = p->rx.ps_per_instruction ? p->rx.ps_per_instruction : 125u;
	uint64_t n = due > now ? (due - now) * 1000u / ps + 1u : 1u;
	if (n < 8)
		n = 8;
	return n < left ? n : left;
}

static struct sim_cpu *core(struct sim_engine *engine)
{
	struct sim_program *p = &engine->program;
	if (p->cpu)
		return p->cpu;
	struct sim_cpu_callbacks callbacks = {on_usart_tx, on_log, engine};
	char why[160], line[200];
	p->cpu = sim_cpu_new(engine->chip, &callbacks, why, sizeof(why));
	if (!p->cpu) {
		snprintf(line, sizeof(line), "core: %s; the program does not run", why);
		log_line(engine, line);
		return NULL;
	}
	/* Fast, nothing paces the core's clock: a program waiting for the
	 * host with a timeout (the RAM stub's 500 ms for a CONFIRM, its
	 * silence) waits like WFI, at the wall clock's pace, or its time would
	 * run out while the host takes milliseconds. */
	if (!engine->timed)
		sim_cpu_set_timer_polls_idle(p->cpu, true);
	/* The engine's latch is the chip's until the program changes it
	 * (FLASH_SR.PEMPTY, FLASH_ACR.EMPTY). */
	if (sim_cpu_latch_visible(p->cpu))
		sim_cpu_set_pempty(p->cpu, engine->empty_boot);
	return p->cpu;
}

void rom_core_free(struct sim_engine *engine)
{
	sim_cpu_free(engine->program.cpu);
	engine->program.cpu = NULL;
}

void rom_core_memory_changed(struct sim_engine *engine, uint32_t address, uint32_t length)
{
	if (engine->program.cpu)
		sim_cpu_memory_changed(engine->program.cpu, address, length);
}

void rom_core_reset(struct sim_engine *engine, enum sim_reset_cause cause)
{
	struct sim_program *p = &engine->program;
	p->running = false;
	p->idle = false;
	rx_clear(p);
	/* No core yet: it will start from its reset state anyway. */
	if (p->cpu)
		sim_cpu_reset(p->cpu, cause);
}

static void started(struct sim_engine *engine, bool ok, const struct sim_cpu_stop_info *fail)
{
	struct sim_program *p = &engine->program;
	p->running = ok;
	p->idle = false;
	p->epoch_pending = true;
	p->tx_free_ns = 0;
	rx_clear(p);
	if (!ok)
		rom_core_report_fault(engine, fail);
	rom_core_sync_stats(engine);
}

void rom_core_go(struct sim_engine *engine, uint32_t address)
{
	struct sim_cpu *cpu = core(engine);
	if (!cpu)
		return;
	unsigned baud = engine->host_baud ? engine->host_baud(engine->host_baud_context) : 0;
	sim_cpu_rom_handoff_on(cpu, wired_usart(engine), baud ? baud : 115200u);
	struct sim_cpu_stop_info fail = {0};
	started(engine, sim_cpu_go(cpu, address, &fail), &fail);
}

void rom_core_boot_at(struct sim_engine *engine, bool sram, uint32_t vectors)
{
	struct sim_cpu *cpu = core(engine);
	if (!cpu)
		return;
	struct sim_cpu_stop_info fail = {0};
	started(engine, sim_cpu_boot_at(cpu, sram, vectors, &fail), &fail);
}

/* The budget in parts that end where the host's next byte is due, so it
 * reaches the USART when its frame would have ended. A program waiting in
 * WFI sleeps until then. */
struct sim_cpu_stop_info rom_core_run(struct sim_engine *engine, uint64_t budget)
{
	struct sim_program *p = &engine->program;
	if (!p->cpu)
		return (struct sim_cpu_stop_info){.reason = SIM_CPU_STOP_HALTED, .what = "no core"};
	uint64_t left = budget;
	for (;;) {
		rx_deliver_due(engine);
		uint64_t slice = rx_slice(p, left);
		sim_cpu_set_input_due(p->cpu, p->rx.count ? p->rx.due_ns[p->rx.head] : UINT64_MAX);
		uint64_t i0 = sim_cpu_stats(p->cpu)->instructions, t0 = sim_cpu_time_ns(p->cpu);
		struct sim_cpu_stop_info stop = sim_cpu_run(p->cpu, slice);
		uint64_t done = sim_cpu_stats(p->cpu)->instructions - i0;
		if (done >= 8)
			p->rx.ps_per_instruction = (sim_cpu_time_ns(p->cpu) - t0) * 1000u / done;
		left = done < left ? left - done : 0;
		if (stop.reason == SIM_CPU_STOP_IDLE && p->rx.count) {
			uint64_t now = sim_cpu_time_ns(p->cpu), due = p->rx.due_ns[p->rx.head];
			if (due > now)
				rom_core_idle(engine, due - now);
			continue;
		}
		if (stop.reason != SIM_CPU_STOP_BUDGET || left == 0 || !p->rx.count)
			return stop;
	}
}

/* Not beyond the next timer change (each SysTick wrap and watchdog
 * deadline is seen at its time) nor the next host byte's frame end (which
 * was timed from the core's clock when it came: passed over, the bytes
 * behind it would all reach the USART at once). */
void rom_core_idle(struct sim_engine *engine, uint64_t ns)
{
	struct sim_program *p = &engine->program;
	if (!p->cpu)
		return;
	uint64_t most = sim_cpu_next_timer_ns(p->cpu);
	if (p->rx.count) {
		uint64_t now = sim_cpu_time_ns(p->cpu), due = p->rx.due_ns[p->rx.head];
		uint64_t until_due = due > now ? due - now : 0;
		most = until_due < most ? until_due : most;
	}
	sim_cpu_idle(p->cpu, ns < most ? ns : most);
}

uint64_t rom_core_next_timer_ns(const struct sim_engine *engine)
{
	return engine->program.cpu ? sim_cpu_next_timer_ns(engine->program.cpu) : UINT64_MAX;
}

uint64_t rom_core_time_ns(const struct sim_engine *engine)
{
	return engine->program.cpu ? sim_cpu_time_ns(engine->program.cpu) : 0;
}

uint64_t rom_core_clock_ns(const struct sim_engine *engine)
{
	const struct sim_program *p = &engine->program;
	uint64_t core_ns = rom_core_time_ns(engine);
	if (p->epoch_pending || core_ns < p->epoch_ns)
		return p->epoch_us * 1000u;
	return p->epoch_us * 1000u + (core_ns - p->epoch_ns);
}

bool rom_core_pempty(const struct sim_engine *engine, bool fallback)
{
	return engine->program.cpu && sim_cpu_latch_visible(engine->program.cpu)
		       ? sim_cpu_pempty(engine->program.cpu)
		       : fallback;
}

void rom_core_set_pempty(struct sim_engine *engine, bool set)
{
	if (engine->program.cpu && sim_cpu_latch_visible(engine->program.cpu))
		sim_cpu_set_pempty(engine->program.cpu, set);
}

void rom_core_receive(struct sim_engine *engine, uint8_t byte)
{
	struct sim_program *p = &engine->program;
	if (!p->cpu || !p->running || engine->interface != SIM_INTERFACE_UART)
		return;
	if (p->rx.count == SIM_PROGRAM_RX_QUEUE) {
		engine->stats->bytes_lost_busy++;
		return;
	}
	unsigned baud = engine->host_baud ? engine->host_baud(engine->host_baud_context) : 0;
	uint64_t frame_ns = (uint64_t)SIM_UART_FRAME_BITS * 1000000000u / (baud ? baud : 115200u);
	uint64_t now = rom_core_time_ns(engine);
	uint64_t due = p->rx.last_due_ns + frame_ns;
	if (due < now + frame_ns && p->rx.count == 0)
		due = now + frame_ns;
	p->rx.last_due_ns = due;
	size_t at = (p->rx.head + p->rx.count++) % SIM_PROGRAM_RX_QUEUE;
	p->rx.byte[at] = byte;
	p->rx.due_ns[at] = due;
	p->rx.baud[at] = baud;
}

void rom_core_sync_stats(struct sim_engine *engine)
{
	struct sim_core_counts *c = &engine->stats->core;
	c->present = true;
	if (!engine->chip)
		return; /* sim_engine_init's first call: nothing to say yet */
	unsigned wired = wired_usart(engine);
	c->usart_wired = engine->interface == SIM_INTERFACE_UART ? wired : 0;
	for (unsigned u = 1; u <= SIM_CPU_USARTS && u < SIM_STATS_USARTS; u++)
		c->usart_listed[u] = sim_cpu_usart_listed(engine->chip->dev, u, NULL, 0);
	if (!engine->program.cpu)
		return;
	const struct sim_cpu_stats *s = sim_cpu_stats(engine->program.cpu);
	c->instructions = s->instructions;
	c->faults = s->faults;
	c->lockups = s->lockups;
	c->unmodelled_accesses = s->unmodelled_accesses;
	c->usart_tx_bytes = s->usart_tx[wired];
	c->usart_rx_bytes = s->usart_rx[wired];
	for (unsigned u = 1; u <= SIM_CPU_USARTS && u < SIM_STATS_USARTS; u++) {
		c->usart_tx[u] = s->usart_tx[u];
		c->usart_rx[u] = s->usart_rx[u];
	}
	c->usart_rx_overruns = s->usart_rx_overruns;
	c->usart_rx_errors = s->usart_rx_errors;
	c->iwdg_refreshes = s->iwdg_refreshes;
	c->spin_skips = s->spin_skips;
	c->spin_skipped_instructions = s->spin_skipped_instructions;
	c->spin_idle_stops = s->spin_idle_stops;
	c->block_count = s->periph_count < SIM_STATS_BLOCKS ? s->periph_count : SIM_STATS_BLOCKS;
	for (size_t i = 0; i < c->block_count; i++)
		c->blocks[i] = (struct sim_block_count){s->periph[i].name, s->periph[i].reads,
							s->periph[i].writes};
}

bool sim_engine_set_usart(struct sim_engine *engine, unsigned usart, char *why, size_t why_size)
{
	char names[64];
	if (!sim_cpu_usart_listed(engine->chip->dev, usart, names, sizeof(names))) {
		snprintf(why, why_size, "--usart %u: the %s bootloader has %s%s", usart,
			 engine->chip->dev->name, names[0] ? "only " : "no modelled USART", names);
		return false;
	}
	engine->usart = usart;
	rom_core_sync_stats(engine);
	return true;
}

void rom_core_report_fault(struct sim_engine *engine, const struct sim_cpu_stop_info *stop)
{
	struct sim_core_counts *c = &engine->stats->core;
	c->fault_what = stop->what ? stop->what : "fault";
	c->fault_pc = stop->pc;
	c->fault_address = stop->address;
	char line[200];
	snprintf(line, sizeof(line),
		 "core: the program stopped: %s at pc 0x%08X (address 0x%08X); it waits for a reset",
		 c->fault_what, stop->pc, stop->address);
	log_line(engine, line);
	engine->program.running = false;
}

#else /* built without the core: the program is not run */

void rom_core_free(struct sim_engine *engine) { (void)engine; }
bool sim_engine_set_usart(struct sim_engine *engine, unsigned usart, char *why, size_t why_size)
{
	(void)why, (void)why_size;
	engine->usart = usart;
	return true;
}
void rom_core_memory_changed(struct sim_engine *engine, uint32_t address, uint32_t length)
{
	(void)engine, (void)address, (void)length;
}
void rom_core_reset(struct sim_engine *engine, enum sim_reset_cause cause)
{
	(void)engine, (void)cause;
}
void rom_core_go(struct sim_engine *engine, uint32_t address) { (void)engine, (void)address; }
void rom_core_boot_at(struct sim_engine *engine, bool sram, uint32_t vectors)
{
	(void)engine, (void)sram, (void)vectors;
}
struct sim_cpu_stop_info rom_core_run(struct sim_engine *engine, uint64_t budget)
{
	(void)engine, (void)budget;
	return (struct sim_cpu_stop_info){.reason = SIM_CPU_STOP_HALTED, .what = "no core"};
}
void rom_core_idle(struct sim_engine *engine, uint64_t ns) { (void)engine, (void)ns; }
uint64_t rom_core_next_timer_ns(const struct sim_engine *engine)
{
	(void)engine;
	return UINT64_MAX;
}
uint64_t rom_core_time_ns(const struct sim_engine *engine) { (void)engine; return 0; }
uint64_t rom_core_clock_ns(const struct sim_engine *engine) { (void)engine; return 0; }
bool rom_core_pempty(const struct sim_engine *engine, bool fallback)
{
	(void)engine;
	return fallback;
}
void rom_core_set_pempty(struct sim_engine *engine, bool set) { (void)engine, (void)set; }
void rom_core_receive(struct sim_engine *engine, uint8_t byte) { (void)engine, (void)byte; }
void rom_core_sync_stats(struct sim_engine *engine) { (void)engine; }
bool sim_engine_set_usart(struct sim_engine *engine, unsigned usart, char *why, size_t why_size)
{
	char names[64];
	if (!sim_cpu_usart_listed(engine->chip->dev, usart, names, sizeof(names))) {
		snprintf(why, why_size, "--usart %u: the %s bootloader has %s%s", usart,
			 engine->chip->dev->name, names[0] ? "only " : "no modelled USART", names);
		return false;
	}
	engine->usart = usart;
	rom_core_sync_stats(engine);
	return true;
}

void rom_core_report_fault(struct sim_engine *engine, const struct sim_cpu_stop_info *stop)
{
	(void)engine, (void)stop;
}

#endif
