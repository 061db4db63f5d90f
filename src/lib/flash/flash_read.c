/* Reading memory and computing checksums. */
#include <stdlib.h>

#include "flash/flash_internal.h"

struct read_job {
	uint32_t address;
	uint8_t *data;
	size_t length;
};

static enum stm32_status try_read(struct stm32_session *s, void *ctx, struct stm32_error *err)
{
	struct read_job *job = ctx;
	return stm32_bl_read_memory(&s->bl, job->address, job->data, job->length, err);
}

static enum stm32_status check_readable(const struct stm32_session *s, struct stm32_error *err)
{
	if (s->bl.cmd_read < 0)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "the bootloader offers no Read Memory command");
	if (s->read_protected)
		return stm32_error_set(err, STM32_E_PROTECTED,
				       "readout protection is active: memory cannot be read");
	return STM32_OK;
}

enum stm32_status flash_read_range(struct stm32_session *s, uint32_t address, uint32_t length,
				   uint8_t *buffer, unsigned retries,
				   const struct stm32_flash_options *options, struct flash_progress *p,
				   struct stm32_error *err)
{
	enum stm32_status status = check_readable(s, err);
	for (uint32_t offset = 0; status == STM32_OK && offset < length;) {
		uint32_t n = length - offset < STM32_MAX_BLOCK ? length - offset : STM32_MAX_BLOCK;
		struct read_job job = { address + offset, buffer + offset, n };
		status = flash_with_retries(s, retries, options, try_read, NULL, &job, err);
		if (status != STM32_OK) {
			stm32_error_command(err, STM32_CMD_READ_MEMORY);
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

static enum stm32_status try_crc(struct stm32_session *s, void *ctx, struct stm32_error *err)
{
	struct crc_job *job = ctx;
	enum stm32_status status = stm32_bl_get_checksum(&s->bl, job->address, job->length,
							 &job->crc, err);
	/* A NACK is the bootloader declining this range, not line noise: reading
	 * gives the answer instead, so do not spend retries on it. */
	if (status == STM32_E_NACK) {
		job->refused = true;
		stm32_error_clear(err);
		return STM32_OK;
	}
	return status;
}

enum stm32_status flash_chip_crc(struct stm32_session *s, unsigned retries,
				 const struct stm32_flash_options *options, uint32_t address,
				 uint32_t length, uint32_t *crc, bool *available,
				 struct stm32_error *err)
{
	*available = false;
	if (s->bl.cmd_checksum < 0)
		return STM32_OK;
	struct crc_job job = { .address = address, .length = length };
	enum stm32_status status = flash_with_retries(s, retries, options, try_crc, NULL, &job, err);
	if (status != STM32_OK) {
		stm32_error_command(err, STM32_CMD_GET_CHECKSUM);
		stm32_error_address(err, address);
		return status;
	}
	*available = !job.refused;
	*crc = job.crc;
	return STM32_OK;
}

enum stm32_status stm32_flash_read(struct stm32_session *s, uint32_t address, uint32_t length,
				   uint8_t *buffer, stm32_progress_fn progress, void *user,
				   struct stm32_error *err)
{
	struct flash_progress p;
	if ((uint64_t)address + length > UINT64_C(1) << 32)
		return stm32_error_set(err, STM32_E_RANGE, "read range passes the end of the address space");
	flash_progress_start(&p, progress, user, STM32_PHASE_READ, length, address);
	return flash_read_range(s, address, length, buffer, STM32_PLAN_DEFAULT_RETRIES, NULL, &p,
				err);
}

enum stm32_status stm32_flash_read_image(struct stm32_session *s, uint32_t address,
					 uint32_t length, struct stm32_image *image,
					 stm32_progress_fn progress, void *user,
					 struct stm32_error *err)
{
	uint8_t *buffer = malloc(length ? length : 1);
	if (!buffer)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for %u bytes", length);
	enum stm32_status status = stm32_flash_read(s, address, length, buffer, progress, user, err);
	if (status == STM32_OK)
		status = stm32_image_add(image, address, buffer, length, err);
	free(buffer);
	return status;
}

static enum stm32_status checksum_by_reading(struct stm32_session *s, uint32_t address,
					     uint32_t length, uint32_t *crc,
					     struct flash_progress *p, struct stm32_error *err)
{
	uint8_t chunk[STM32_MAX_BLOCK];
	uint32_t value = 0xFFFFFFFFu;
	for (uint32_t offset = 0; offset < length;) {
		uint32_t n = length - offset < sizeof(chunk) ? length - offset : (uint32_t)sizeof(chunk);
		enum stm32_status status = flash_read_range(s, address + offset, n, chunk,
							    STM32_PLAN_DEFAULT_RETRIES, NULL, p, err);
		if (status != STM32_OK)
			return status;
		value = stm32_crc32(value, chunk, n);
		offset += n;
	}
	*crc = value;
	return STM32_OK;
}

enum stm32_status stm32_flash_checksum(struct stm32_session *s, uint32_t address, uint32_t length,
				       uint32_t *crc, bool *on_device, stm32_progress_fn progress,
				       void *user, struct stm32_error *err)
{
	if (address % 4 != 0 || length % 4 != 0)
		return stm32_error_set(err, STM32_E_INVALID,
				       "checksum address 0x%08X and length %u must be multiples of 4",
				       address, length);
	struct flash_progress p;
	flash_progress_start(&p, progress, user, STM32_PHASE_CHECKSUM, length, address);
	if (on_device)
		*on_device = false;
	bool available = false;
	enum stm32_status status = flash_chip_crc(s, STM32_PLAN_DEFAULT_RETRIES, NULL, address,
						  length, crc, &available, err);
	if (status != STM32_OK)
		return status;
	if (available) {
		if (on_device)
			*on_device = true;
		return flash_progress_step(&p, length, address, err);
	}
	return checksum_by_reading(s, address, length, crc, &p, err);
}
