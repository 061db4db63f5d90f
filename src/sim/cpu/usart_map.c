/* The bootloader's USARTs per device, from AN2606's bootloader
 * configuration sections as /work/shared/stm32/stub.md §1 transcribes them
 * (USART1 PA9/PA10 everywhere but the L031, which has USART2 only; USART2
 * and USART3 where listed). Rows the note does not cover are marked "(u)":
 * the USARTs as remembered. USART2 sits at 0x40004400 and USART3 at
 * 0x40004800 in every modelled family's memory map; USART1's base is the
 * family table's, every USART's NVIC line family.c's. */
#include <stdio.h>
#include <string.h>

#include "cpu/usart_map.h"
#include "stm32boot/device.h"

#define USART2_BASE 0x40004400u
#define USART3_BASE 0x40004800u

struct usart_row {
	const char *family;
	const char *parts; /* comma-separated device rows, NULL = the whole family */
	unsigned usarts;   /* bit n: USARTn */
};

#define U1 (1u << 1)
#define U2 (1u << 2)
#define U3 (1u << 3)

static const struct usart_row rows[] = {
	{"F0", "stm32f03xx6", U1},
	{"F0", NULL, U1 | U2}, /* F030x8/F05x (F05x: USART2 PA14/15), F030xC, F04x, F07x */
	{"F1", "stm32f10x-xl,stm32f10x-cl", U1 | U2},
	{"F1", NULL, U1},
	{"F2", NULL, U1 | U3},
	{"F3", NULL, U1 | U2},
	{"F4", "stm32f401xc,stm32f401xe,stm32f411xe,stm32f410", U1 | U2}, /* F410 (u) */
	{"F4", "stm32f412,stm32f413", U1 | U2 | U3},                       /* (u) */
	{"F4", NULL, U1 | U3}, /* F40x/41x, F42x/43x (u), F446, F469 (u) */
	{"F7", NULL, U1 | U3},
	{"G0", "stm32g03x,stm32g05x", U1 | U2},
	{"G0", NULL, U1 | U2 | U3}, /* G07x (USART3 PC10/11), G0B1 */
	{"G4", NULL, U1 | U2 | U3},
	{"L0", "stm32l031", U2},
	{"L0", NULL, U1 | U2}, /* (u) */
	{"L1", NULL, U1 | U2},
	{"L4", NULL, U1 | U2 | U3}, /* L412, L47x, L496; L43x, L45x, L4P5, L4R5 (u) */
	{"H7", NULL, U1 | U2 | U3}, /* H72x, H74x, H7A3 */
	{"H5", NULL, U1 | U2 | U3}, /* H563 */
	{"L5", NULL, U1 | U2 | U3}, /* (u) */
	{"U5", NULL, U1 | U2 | U3}, /* (u) */
	{"WB", NULL, U1},
	{"WL", NULL, U1 | U2},
};

static bool listed(const char *parts, const char *device)
{
	size_t n = strlen(device);
	for (const char *p = parts; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, device, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static unsigned usarts_of(const char *family, const char *device)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].family, family) == 0 && (!rows[i].parts || listed(rows[i].parts, device)))
			return rows[i].usarts;
	return 0;
}

size_t sim_usart_instances(const struct sim_family_info *info, const char *device,
			   struct sim_usart_instance out[SIM_USART_MAX])
{
	if (!info || info->usart == SIM_USART_NONE)
		return 0;
	unsigned usarts = usarts_of(info->family, device);
	size_t n = 0;
	for (unsigned index = 1; index <= SIM_USART_MAX; index++) {
		if (!(usarts & (1u << index)))
			continue;
		uint32_t base = index == 1 ? info->usart1_base : index == 2 ? USART2_BASE : USART3_BASE;
		out[n++] = (struct sim_usart_instance){index, base, sim_family_usart_irq(info, index)};
	}
	return n;
}

bool sim_cpu_usart_listed(const struct stm32_device *device, unsigned usart, char *names,
			  size_t names_size)
{
	struct sim_usart_instance found[SIM_USART_MAX];
	size_t n = sim_usart_instances(sim_family_info(device->family), device->name, found);
	bool listed_here = false;
	size_t used = 0;
	if (names && names_size)
		names[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		listed_here |= found[i].index == usart;
		if (!names || used >= names_size)
			continue;
		int w = snprintf(names + used, names_size - used, "%sUSART%u", i ? ", " : "",
				 found[i].index);
		if (w > 0)
			used += (size_t)w;
	}
	return listed_here;
}

unsigned sim_cpu_default_usart(const struct stm32_device *device)
{
	struct sim_usart_instance found[SIM_USART_MAX];
	size_t n = sim_usart_instances(sim_family_info(device->family), device->name, found);
	return n ? found[0].index : 0;
}
