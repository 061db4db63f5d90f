/* Programming and erasing by the flash controller's registers, over SWD
 * (stlink.md §5): unlock with the keys, set the operation in CR, start,
 * poll BSY, read the error bits, lock. One register model per controller
 * kind; the family picks it. The RAM-loader path (the per-family flash
 * driver shared with the stub back end) will replace the programming here
 * where RAM allows. */
#ifndef STM32BOOT_STLINK_FLASH_H
#define STM32BOOT_STLINK_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "stlink/stlink_proto.h"
#include "stm32boot/device.h"

enum stlink_flash_kind {
	STLINK_FLASH_NONE,
	STLINK_FLASH_F1,    /* F0/F1/F3: half-words, pages by address */
	STLINK_FLASH_F4,    /* F2/F4/F7: words (PSIZE x32), sectors by number */
	STLINK_FLASH_DWORD, /* G0/G4/L4/WB/WL: double words, pages by number */
	STLINK_FLASH_H7,    /* H7: flash words (32 or 16 bytes), sectors per bank (stlink_flash_h7.c) */
	STLINK_FLASH_PECR,  /* L0/L1: words and half pages, pages by address (stlink_flash_pecr.c) */
};

struct stlink_flash {
	enum stlink_flash_kind kind;
	uint32_t base;
	const struct stm32_device *device;
	unsigned bker_bit; /* DWORD: CR.BKER (G0 13, others 11) */
};

/* false when the family's controller is not one of the kinds above. */
bool stlink_flash_init(struct stlink_flash *f, const struct stm32_device *device);
/* The bytes one programming access writes (2, 4, 8; H7: its flash word;
 * L0/L1: a word, half pages where whole ones fall). */
unsigned stlink_flash_unit(const struct stlink_flash *f);
enum stm32_status stlink_flash_erase_unit(struct stlink_link *l, const struct stlink_flash *f,
					  uint32_t unit, struct stm32_error *err);
enum stm32_status stlink_flash_mass_erase(struct stlink_link *l, const struct stlink_flash *f,
					  struct stm32_error *err);
/* length a multiple of the unit, address aligned to it. */
enum stm32_status stlink_flash_program(struct stlink_link *l, const struct stlink_flash *f,
				       uint32_t address, const uint8_t *data, size_t length,
				       struct stm32_error *err);

/* Readout protection back to level 0 (F0/F1/F3 so far): erase the option
 * bytes, program the factory ones (RDP at level 0: the chip mass-erases
 * its flash first, PM0075), lock. The new option bytes load at the next
 * reset: on F0/F3 the controller's OBL_LAUNCH resets the chip now (*reset
 * set), on F1 the caller resets it. STM32_E_UNSUPPORTED for other kinds. */
enum stm32_status stlink_flash_readout_unprotect(struct stlink_link *l,
						 const struct stlink_flash *f, bool *reset,
						 struct stm32_error *err);

/* Readout protection to level 1 (F0/F1/F3): the option bytes as they are,
 * RDP 0x00; reloaded as for stlink_flash_readout_unprotect. */
enum stm32_status stlink_flash_readout_protect(struct stlink_link *l, const struct stlink_flash *f,
					       bool *reset, struct stm32_error *err);

/* The H7 controller's own sequences, which the functions above dispatch to. */
enum stm32_status stlink_flash_h7_erase_unit(struct stlink_link *l, const struct stlink_flash *f,
					     uint32_t unit, struct stm32_error *err);
enum stm32_status stlink_flash_h7_mass_erase(struct stlink_link *l, const struct stlink_flash *f,
					     struct stm32_error *err);
enum stm32_status stlink_flash_h7_program(struct stlink_link *l, const struct stlink_flash *f,
					  uint32_t address, const uint8_t *data, size_t length,
					  struct stm32_error *err);

/* The L0/L1 controller's, likewise. */
enum stm32_status stlink_flash_pecr_erase_unit(struct stlink_link *l, const struct stlink_flash *f,
					       uint32_t unit, struct stm32_error *err);
enum stm32_status stlink_flash_pecr_mass_erase(struct stlink_link *l, const struct stlink_flash *f,
					       struct stm32_error *err);
enum stm32_status stlink_flash_pecr_program(struct stlink_link *l, const struct stlink_flash *f,
					    uint32_t address, const uint8_t *data, size_t length,
					    struct stm32_error *err);
/* The option words of area (length bytes from opt_start; the low
 * half-word of each, the complement made here), RDP's first, then the
 * reload (OBL_LAUNCH): the chip has reset on return. */
enum stm32_status stlink_flash_pecr_write_options(struct stlink_link *l, const struct stlink_flash *f,
						  const uint8_t *area, size_t length,
						  struct stm32_error *err);

/* H7: the option registers as a register image (docs/option-bytes.md, "H7
 * over SWD"): FLASH_OPTSR_CUR, WPSN_CUR1, WPSN_CUR2 (all ones on one-bank
 * rows), BOOT_CURR, each a little-endian word, at STLINK_H7_OPTION_START
 * (OPTSR_CUR's own address: the RDP byte's address is its own). Read from
 * the _CUR registers; written through the _PRG ones and OPTSTART, in
 * force on return (no reset). */
#define STLINK_H7_OPTION_IMAGE 16u
#define STLINK_H7_OPTION_START 0x5200201Cu
enum stm32_status stlink_flash_h7_read_options(struct stlink_link *l, const struct stlink_flash *f,
					       uint8_t *image, struct stm32_error *err);
enum stm32_status stlink_flash_h7_write_options(struct stlink_link *l, const struct stlink_flash *f,
						const uint8_t *image, struct stm32_error *err);

/* How many bytes of the option area (from opt_start) the controller's
 * option registers reach: the whole area on F0/F1/F3, USER, RDP and nWRP
 * (10 bytes) on F2/F4/F7, OPTR to WRP1BR (40 bytes) on G0/G4/L4/WB/WL,
 * the whole area on L0/L1 (its option words), the register image on H7
 * (the device row given to stlink_flash_init
 * then maps it: opt_start STLINK_H7_OPTION_START, opt_size its size); 0
 * where option bytes cannot be written over SWD yet. */
size_t stlink_flash_option_reach(const struct stlink_flash *f);

/* Programs the option area's first stlink_flash_option_reach bytes (as the
 * chip maps them, complements included; the controller makes its own) and
 * reloads them where the family can: then the chip has reset (*reset set;
 * F0/F3's, G0/G4/L4/WB/WL's and L0/L1's OBL_LAUNCH; H7's are in force without
 * one). F1 and F2/F4/F7 take them at the next reset, which the caller
 * makes. */
enum stm32_status stlink_flash_write_options(struct stlink_link *l, const struct stlink_flash *f,
					     const uint8_t *area, size_t length, bool *reset,
					     struct stm32_error *err);

#endif
