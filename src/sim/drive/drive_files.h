/* The drive emulator's readers (its own, not the host library's). */
#ifndef STM32SIM_DRIVE_FILES_H
#define STM32SIM_DRIVE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/image.h"

#define SIM_UF2_MAX_BLOCKS 8192u

/* Whether the text has its end-of-file record yet (a copy still arriving). */
bool sim_hex_complete(const uint8_t *text, size_t length);
/* Decode into out (bytes placed with stm32_image_put); false with the
 * FAIL.TXT text in why. */
bool sim_hex_parse(const uint8_t *text, size_t length, struct stm32_image *out, char *why,
		   size_t why_size);

struct sim_uf2_state {
	uint32_t total;     /* numBlocks of the accepted blocks */
	uint32_t distinct;  /* distinct accepted block numbers */
	uint32_t ignored;   /* other families, no family, not main flash */
	bool seen[SIM_UF2_MAX_BLOCKS];
};

/* The whole blocks of data: accepted ones (family) into out. */
void sim_uf2_scan(const uint8_t *data, size_t length, uint32_t family, struct sim_uf2_state *s,
		  struct stm32_image *out);

#endif
