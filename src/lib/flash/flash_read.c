/* Reading memory and computing checksums. */
#include <stdlib.h>

#include "flash/flash_internal.h"

struct read_job {
	uint32_t address;
	uint8_t *data;
	size_t length;
};

static enum stm32_status try_read(struct stm32_target *t, void *ctx, struct stm32_error *err)
{
	struct read_job *job = ctx;
	return stm32_target_read(t, job->address, job->data, job->length, err);
}

static enum stm32_status check_readable(const struct stm32_target *t, struct stm32_error *err)
{
	if (!stm32_target_can(&t->desc, STM32_CAP_READ))
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "the %s cannot read memory",
				       t->desc.name);
	if (t->chip.read_protected)
		return stm32_error_set(err, STM32_E_PROTECTED,
				       "readout protection is active: memory cannot be read");
	return STM32_OK;
}

static uint32_t read_chunk(const struct stm32_target *t)
{
	return t->desc.max_read ? t->desc.max_read : FLASH_BLOCK;
}

enum stm32_status flash_read_range(struct stm32_target *t, uint32_t address, uint32_t length,
				   uint8_t *buffer, unsigned retries, struct flash_progress *p,
				   struct stm32_error *err)
{
	enum stm32_status status = check_readable(t, err);
	uint32_t chunk = read_chunk(t);
	for (uint32_t offset = 0; status == STM32_OK && offset < length;) {
		uint32_t n = length - offset < chunk ? length - offset : chunk;
		struct read_job job = { address + offset, buffer + offset, n };
		status = flash_with_retries(t, retries, try_read, NULL, &job, err);
		if (status != STM32_OK) {
			stm32_error_op(err, STM32_OP_READ);
			stm32_error_address(err, job.address);
			break;
		}
		offset += n;
		status = flash_progress_step(p, n, job.address, err);
	}
	return status;
}

struct crc_job {
	uint32_t address, length, crc;
	bool refused;
};

static enum stm32_status try_crc(struct stm32_target *t, void *ctx, struct stm32_error *err)
{
	struct crc_job *job = ctx;
	enum stm32_status status = stm32_target_crc(t, job->address, job->length, &job->crc, err);
	/* A NACK is the chip declining this range, not line noise: reading
	 * gives the answer instead, so do not spend retries on it. */
	if (status == STM32_E_NACK) {
		job->refused = true;
		stm32_error_clear(err);
		return STM32_OK;
	}
	return status;
}

enum stm32_status flash_chip_crc(struct stm32_target *t, unsigned retries, uint32_t address,
				 uint32_t length, uint32_t *crc, bool *available,
				 struct stm32_error *err)
{
	*available = false;
	if (!t->ops->crc || !stm32_target_can(&t->desc, STM32_CAP_CRC))
		return STM32_OK;
	struct crc_job job = { .address = address, .length = length };
	enum stm32_status status = flash_with_retries(t, retries, try_crc, NULL, &job, err);
	if (status != STM32_OK) {
		stm32_error_op(err, STM32_OP_CRC);
		stm32_error_address(err, address);
		return status;
	}
	*available = !job.refused;
	*crc = job.crc;
	return STM32_OK;
}

enum stm32_status stm32_flash_read(struct stm32_target *t, uint32_t address, uint32_t length,
				   uint8_t *buffer, const struct stm32_flash_options *options,
				   struct stm32_error *err)
{
	struct stm32_flash_options defaults;
	options = flash_options_or_default(options, &defaults);
	struct flash_progress p;
	if ((uint64_t)address + length > UINT64_C(1) << 32)
		return stm32_error_set(err, STM32_E_RANGE, "read range passes the end of the address space");
	flash_progress_start(&p, options->progress, options->progress_user, STM32_PHASE_READ, length,
			     address);
	return flash_read_range(t, address, length, buffer, options->retries, &p, err);
}

enum stm32_status stm32_flash_read_image(struct stm32_target *t, uint32_t address,
					 uint32_t length, struct stm32_image *image,
					 const struct stm32_flash_options *options,
					 struct stm32_error *err)
{
	uint8_t *buffer = malloc(length ? length : 1);
	if (!buffer)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for %u bytes", length);
	enum stm32_status status = stm32_flash_read(t, address, length, buffer, options, err);
	if (status == STM32_OK)
		status = stm32_image_add(image, address, buffer, length, err);
	free(buffer);
	return status;
}

static enum stm32_status checksum_by_reading(struct stm32_target *t, uint32_t address,
					     uint32_t length, unsigned retries, uint32_t *crc,
					     struct flash_progress *p, struct stm32_error *err)
{
	uint8_t chunk[FLASH_PIECE_MAX];
	uint32_t piece = flash_piece(t);
	uint32_t value = 0xFFFFFFFFu;
	for (uint32_t offset = 0; offset < length;) {
		uint32_t n = length - offset < piece ? length - offset : piece;
		enum stm32_status status = flash_read_range(t, address + offset, n, chunk, retries,
							    p, err);
		if (status != STM32_OK)
			return status;
		value = stm32_crc32(value, chunk, n);
		offset += n;
	}
	*crc = value;
	return STM32_OK;
}

enum stm32_status stm32_flash_checksum(struct stm32_target *t, uint32_t address, uint32_t length,
				       uint32_t *crc, bool *on_device,
				       const struct stm32_flash_options *options,
				       struct stm32_error *err)
{
	struct stm32_flash_options defaults;
	options = flash_options_or_default(options, &defaults);
	if (address % 4 != 0 || length % 4 != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "checksum address 0x%08X and length %u must be multiples of 4",
				       address, length);
	struct flash_progress p;
	flash_progress_start(&p, options->progress, options->progress_user, STM32_PHASE_CHECKSUM,
			     length, address);
	if (on_device)
		*on_device = false;
	bool available = false;
	enum stm32_status status = flash_chip_crc(t, options->retries, address, length, crc,
						  &available, err);
	if (status != STM32_OK)
		return status;
	if (available) {
		if (on_device)
			*on_device = true;
		return flash_progress_step(&p, length, address, err);
	}
	return checksum_by_reading(t, address, length, options->retries, crc, &p, err);
}
