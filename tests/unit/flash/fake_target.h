/* An in-memory back end for the executor's unit tests: NOR flash physics
 * (programming only clears bits, erasing sets a unit to 0xFF), RAM, option
 * bytes, and scripted failures, with no protocol at all. It is also the
 * worked example of a back end in docs/architecture.md. */
#ifndef STM32BOOT_TEST_FAKE_TARGET_H
#define STM32BOOT_TEST_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32boot/image.h"
#include "stm32boot/target.h"

/* FAKE_LAND: a block handed over by write_behind reaching the flash (when
 * a third comes, or at finish). */
enum fake_op { FAKE_READ, FAKE_WRITE, FAKE_ERASE, FAKE_CRC, FAKE_OPTION, FAKE_LAND, FAKE_OPS };

enum fake_failure {
	FAKE_NACK,          /* refused: nothing happened */
	FAKE_TIMEOUT,       /* no answer: nothing happened */
	FAKE_REPLY_LOST,    /* it happened, but the answer never came */
	FAKE_FLIP_BIT,      /* a write programs one bit too many (0 where 1 was asked) */
	FAKE_FLASH_ERROR,   /* FAKE_LAND only: the controller refuses it (not programmed) */
};

struct fake_fault {
	enum fake_op op;
	unsigned nth;       /* the nth call of that op (1 = the first) */
	unsigned times;     /* consecutive calls it hits */
	enum fake_failure failure;
};

struct fake_target {
	struct stm32_target target;
	const struct stm32_device *device;
	uint8_t *flash;
	uint8_t ram[64 * 1024];
	uint8_t option_bytes[128];
	unsigned calls[FAKE_OPS];
	unsigned recovers;
	unsigned units_erased;   /* by unit requests; a mass erase adds every unit */
	unsigned mass_erases;
	struct fake_fault faults[8];
	size_t fault_count;
	/* Write-behind (fake_target_behind): as a two-slot loader, the blocks
	 * handed over last (up to two, oldest first), not yet on the flash;
	 * calls of other entries while one is pending. */
	unsigned pending;
	struct { uint32_t address; size_t length; uint8_t data[4096]; } queued[2];
	unsigned behind_calls, finishes, touched_in_flight;
};

/* The fake chip for a device-table row, flash blank; caps STM32_CAP_*
 * (READ | WRITE | ERASE are always there). with_recover: ops->recover set. */
void fake_target_init(struct fake_target *f, const char *device, unsigned caps, bool with_recover);
void fake_target_free(struct fake_target *f);

/* Give the fake write_behind and finish (with recover): a block lands on
 * the flash two calls late. */
void fake_target_behind(struct fake_target *f);

void fake_target_fault(struct fake_target *f, enum fake_op op, unsigned nth, unsigned times,
		       enum fake_failure failure);

/* Where address lies in the fake's flash, or NULL outside it. */
uint8_t *fake_target_flash_at(struct fake_target *f, uint32_t address);

/* Adds length bytes at address to image: byte i is i * step + seed (mod
 * 256), so that tests tell their blocks apart. */
void fake_image_add_pattern(struct stm32_image *image, uint32_t address, size_t length,
			    uint8_t step, uint8_t seed);

#endif
