/* The bootloader's USARTs per device, from AN2606's bootloader
 * configuration sections as /work/shared/stm32/stub.md §1 transcribes them
 * (USART1 PA9/PA10 everywhere but the L031, which has USART2 only; USART2
 * and USART3 where listed). Rows the note does not cover are marked "(u)":
 * the USARTs as remembered, still unconfirmed: F410 (USART1/2), F412 and
 * F413 (USART1/2/3), F42x/43x and F469 (USART1/3), the L0 rows other than
 * L031 (USART1/2; L01x may have USART2 only, as L031), L43x, L45x, L4P5
 * and L4R5 (USART1/2/3), L5 and U5 (USART1/2/3). AN2606's per-device
 * tables were looked for through the search tool (issue 13's last part):
 * its copies there (st.com Rev 69, docslib, vdocuments, scribd) give only
 * their opening pages, and no transcription of those tables turned up in
 * the code or docs corpora, so these rows stay as they were. USART2 sits
 * at 0x40004400 and USART3 at 0x40004800 in every modelled family's
 * memory map; USART1's base is the family table's, every USART's NVIC
 * line family.c's. */
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
	unsigned muxed;    /* bit n: the RCC has USARTn's kernel-clock field */
	unsigned fifo;     /* bit n: USARTn has PRESC and the FIFOs */
};

#define U1 (1u << 1)
#define U2 (1u << 2)
#define U3 (1u << 3)

/* The kernel-clock fields (rcc.c, rcc_h7.c say where they sit), per the
 * RMs' register maps as the SVD-generated tables give them (stm32-rs,
 * embassy's stm32-data): F0 USART1SW everywhere, USART2SW on F07x/F09x
 * (RM0091; the F030xC row is taken with its F09x alias); F3 USART1SW, and
 * USART2SW on F302/F303/F373 but not F301 or the F3x4 (F303x8/F334)
 * lines; F7 DCKCFGR2; G0 USART1SEL, USART2SEL from G07x, USART3SEL on
 * G0B1 only; L0, G4, L4, L5, WB, WL, H7, H5 and U5 one per USART; none on
 * F1, F2, F4 or L1. */
/* PRESC and the FIFOs: every USART of H7 (RM0433), H5 (RM0481), U5
 * (RM0456), L5 (RM0438), G4 (RM0440), L4+ (L4P5/L4R5, RM0432), WB USART1
 * (RM0434) and WL USART1/2 (RM0453); on G0 (RM0444) the full-featured
 * USART1, USART2 from G07x and USART3 on G0B1 (the G03x USART2 and the
 * G07x USART3 are the basic kind). None on F0-F7, L0, L1 or the RM0351 /
 * RM0394 L4 lines. As remembered from the RMs' USART implementation
 * tables, not checked this time. */
#define ALL (U1 | U2 | U3)
static const struct usart_row rows[] = {
	{"F0", "stm32f03xx6", U1, U1, 0},
	{"F0", "stm32f07x,stm32f030xc", U1 | U2, U1 | U2, 0},
	{"F0", NULL, U1 | U2, U1, 0}, /* F030x8/F05x (F05x: USART2 PA14/15), F04x */
	{"F1", "stm32f10x-xl,stm32f10x-cl", U1 | U2, 0, 0},
	{"F1", NULL, U1, 0, 0},
	{"F2", NULL, U1 | U3, 0, 0},
	{"F3", "stm32f301,stm32f303x8", U1 | U2, U1, 0},
	{"F3", NULL, U1 | U2, U1 | U2, 0},
	{"F4", "stm32f401xc,stm32f401xe,stm32f411xe,stm32f410", U1 | U2, 0, 0}, /* F410 (u) */
	{"F4", "stm32f412,stm32f413", ALL, 0, 0},                              /* (u) */
	{"F4", NULL, U1 | U3, 0, 0}, /* F40x/41x, F42x/43x (u), F446, F469 (u) */
	{"F7", NULL, U1 | U3, U1 | U3, 0},
	{"G0", "stm32g03x,stm32g05x", U1 | U2, U1, U1},
	{"G0", "stm32g071rb", ALL, U1 | U2, U1 | U2}, /* USART3 PC10/11 */
	{"G0", NULL, ALL, ALL, ALL},                  /* G0B1 */
	{"G4", NULL, ALL, ALL, ALL},
	{"L0", "stm32l031", U2, U2, 0},
	{"L0", NULL, U1 | U2, U1 | U2, 0}, /* (u) */
	{"L1", NULL, U1 | U2, 0, 0},
	{"L4", "stm32l4p5,stm32l4r5", ALL, ALL, ALL}, /* (u) */
	{"L4", NULL, ALL, ALL, 0}, /* L412, L47x, L496; L43x, L45x (u) */
	{"H7", NULL, ALL, ALL, ALL}, /* H72x, H74x, H7A3 */
	{"H5", NULL, ALL, ALL, ALL}, /* H563 */
	{"L5", NULL, ALL, ALL, ALL}, /* (u) */
	{"U5", NULL, ALL, ALL, ALL}, /* (u) */
	{"WB", NULL, U1, U1, U1},
	{"WL", NULL, U1 | U2, U1 | U2, U1 | U2},
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

static const struct usart_row *row_of(const char *family, const char *device)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].family, family) == 0 && (!rows[i].parts || listed(rows[i].parts, device)))
			return &rows[i];
	return NULL;
}

size_t sim_usart_instances(const struct sim_family_info *info, const char *device,
			   struct sim_usart_instance out[SIM_USART_MAX])
{
	if (!info || info->usart == SIM_USART_NONE)
		return 0;
	const struct usart_row *row = row_of(info->family, device);
	unsigned usarts = row ? row->usarts : 0, muxed = row ? row->muxed : 0, fifo = row ? row->fifo : 0;
	size_t n = 0;
	for (unsigned index = 1; index <= SIM_USART_MAX; index++) {
		if (!(usarts & (1u << index)))
			continue;
		uint32_t base = index == 1 ? info->usart1_base : index == 2 ? USART2_BASE : USART3_BASE;
		out[n++] = (struct sim_usart_instance){index, base, sim_family_usart_irq(info, index),
						       (muxed >> index) & 1u, (fifo >> index) & 1u};
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
