/* Composition of the peripheral models on the bus. */
#include <string.h>

#include "cpu/memory_port.h"
#include "cpu/soc.h"

#include "stm32boot/device.h"

#define SCS_BASE     0xE000E000u
#define SYSTICK_BASE 0xE000E010u

static void reset_blocks(struct sim_soc *soc)
{
	const struct sim_family_info *info = soc->info;
	sim_scb_reset(&soc->scb, &soc->env, info->core);
	sim_systick_reset(&soc->systick, &soc->env);
	sim_dbgmcu_reset(&soc->dbgmcu, sim_port_device(soc->chip)->pid);
	sim_iwdg_reset(&soc->iwdg, &soc->env, info->lsi_hz, sim_family_iwdg(info));
	if (sim_port_hardware_watchdog(soc->chip))
		sim_iwdg_start_hardware(&soc->iwdg);
	sim_crc_reset(&soc->crc, info->crc);
	for (size_t i = 0; i < soc->usart_count; i++)
		sim_usart_reset(&soc->usarts[i], &soc->env, info->usart, &soc->usart_map[i]);
	sim_flashctl_reset(&soc->flash, &soc->env, soc->chip, info);
}

void sim_soc_init(struct sim_soc *soc, const struct sim_family_info *info, struct sim_chip *chip,
		  struct sim_cpu_stats *stats, const struct sim_cpu_callbacks *callbacks)
{
	memset(soc, 0, sizeof(*soc));
	soc->info = info;
	soc->chip = chip;
	soc->env.stats = stats;
	soc->env.callbacks = callbacks;
	sim_mmio_bus_init(&soc->bus, stats, callbacks);
	soc->usart_count = sim_usart_instances(info, sim_port_device(chip)->name, soc->usart_map);
	soc->flash_irq = sim_family_flash_irq(info);
	sim_rcc_power_on(&soc->rcc, &soc->env, info);
	/* A line whose ROM clock is not the family's (H72x) tells the RCC. */
	uint32_t rom_hz = sim_family_rom_sysclk(info, sim_port_device(chip)->name);
	soc->rcc.rom_sysclk_hz = rom_hz != info->rom_sysclk_hz ? rom_hz : 0;
	soc->rcc.pll_stuck = sim_port_pll_stuck(chip);
	reset_blocks(soc);

	struct sim_mmio_bus *bus = &soc->bus;
	/* SysTick first: it sits inside the SCS range and the first match wins. */
	sim_mmio_attach(bus, "SysTick", SYSTICK_BASE, 0x10, sim_systick_read, sim_systick_write,
			&soc->systick);
	sim_mmio_attach(bus, "SCB", SCS_BASE, 0x1000, sim_scb_read, sim_scb_write, &soc->scb);
	sim_mmio_attach(bus, "DBGMCU", info->dbgmcu_base, 0x400, sim_dbgmcu_read, sim_dbgmcu_write,
			&soc->dbgmcu);
	sim_mmio_attach(bus, "IWDG", info->iwdg_base, 0x400, sim_iwdg_read, sim_iwdg_write, &soc->iwdg);
	if (info->crc != SIM_CRC_NONE)
		sim_mmio_attach(bus, "CRC", sim_family_crc_base(info, sim_port_device(chip)->pid), 0x400,
				sim_crc_read, sim_crc_write, &soc->crc);
	if (info->rcc != SIM_RCC_NONE)
		sim_mmio_attach(bus, "RCC", info->rcc_base, 0x400, sim_rcc_read, sim_rcc_write, &soc->rcc);
	static const char *const usart_names[] = {"", "USART1", "USART2", "USART3"};
	for (size_t i = 0; i < soc->usart_count; i++)
		sim_mmio_attach(bus, usart_names[soc->usart_map[i].index], soc->usart_map[i].base, 0x400,
				sim_usart_read, sim_usart_write, &soc->usarts[i]);
	if (info->flash != SIM_FLASH_NONE)
		sim_mmio_attach(bus, "FLASH", info->flash_base, 0x400, sim_flashctl_read,
				sim_flashctl_write, &soc->flash);
}

void sim_soc_reset(struct sim_soc *soc, enum sim_reset_cause cause)
{
	sim_rcc_reset(&soc->rcc, cause);
	reset_blocks(soc);
	soc->env.reset_request = SIM_RESET_NONE;
	soc->env.fault_request = NULL;
}

struct sim_usart *sim_soc_usart(struct sim_soc *soc, unsigned index)
{
	for (size_t i = 0; i < soc->usart_count; i++)
		if (soc->usart_map[i].index == index)
			return &soc->usarts[i];
	return NULL;
}

uint64_t sim_soc_deadline(const struct sim_soc *soc)
{
	uint64_t iwdg = sim_iwdg_deadline(&soc->iwdg), tick = sim_systick_deadline(&soc->systick);
	uint64_t lock = sim_rcc_deadline(&soc->rcc);
	/* The flash line rises when an operation ends. */
	uint64_t flash = soc->flash_irq >= 0 ? sim_flashctl_deadline(&soc->flash) : UINT64_MAX;
	uint64_t first = iwdg < tick ? iwdg : tick;
	first = lock < first ? lock : first;
	uint64_t early = sim_iwdg_irq_deadline(&soc->iwdg); /* EWIF raises the line */
	first = early < first ? early : first;
	for (size_t i = 0; i < soc->usart_count; i++) {
		uint64_t usart = soc->usart_map[i].irq >= 0 ? sim_usart_deadline(&soc->usarts[i]) : UINT64_MAX;
		first = usart < first ? usart : first;
	}
	return flash < first ? flash : first;
}

uint64_t sim_soc_next_work_change(const struct sim_soc *soc)
{
	const uint64_t events[] = {
		sim_rcc_deadline(&soc->rcc),
		sim_flashctl_deadline(&soc->flash),
		sim_iwdg_update_end(&soc->iwdg),
		soc->usart_count ? sim_usart_next_change(&soc->usarts[0]) : UINT64_MAX,
		soc->usart_count > 1 ? sim_usart_next_change(&soc->usarts[1]) : UINT64_MAX,
		soc->usart_count > 2 ? sim_usart_next_change(&soc->usarts[2]) : UINT64_MAX,
	};
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		first = events[i] < first ? events[i] : first;
	return first;
}

uint64_t sim_soc_next_change(const struct sim_soc *soc, bool watchdog_refreshed)
{
	const uint64_t events[] = {
		sim_iwdg_next_event(&soc->iwdg, watchdog_refreshed),
		sim_systick_next_event(&soc->systick),
		sim_rcc_deadline(&soc->rcc),
		sim_flashctl_deadline(&soc->flash),
		soc->usart_count ? sim_usart_next_change(&soc->usarts[0]) : UINT64_MAX,
		soc->usart_count > 1 ? sim_usart_next_change(&soc->usarts[1]) : UINT64_MAX,
		soc->usart_count > 2 ? sim_usart_next_change(&soc->usarts[2]) : UINT64_MAX,
	};
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		first = events[i] < first ? events[i] : first;
	return first;
}
