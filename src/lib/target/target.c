/* The dispatcher every caller of a back end goes through: an entry left
 * NULL is "not supported", said once here rather than by every caller. */
#include "stm32boot/target.h"

static enum stm32_status unsupported(const struct stm32_target *t, enum stm32_op op,
				     struct stm32_error *err)
{
	stm32_error_set(err, STM32_E_UNSUPPORTED, "%s: the %s back end does not support %s",
			t->desc.device ? t->desc.device->name : "the chip",
			t->desc.name ? t->desc.name : "connected", stm32_op_name(op));
	stm32_error_op(err, op);
	return STM32_E_UNSUPPORTED;
}

/* The operation that failed goes with the error, whoever set it. */
static enum stm32_status tagged(enum stm32_status status, enum stm32_op op,
				struct stm32_error *err)
{
	if (status != STM32_OK)
		stm32_error_op(err, op);
	return status;
}

bool stm32_target_can(const struct stm32_target_desc *desc, unsigned cap)
{
	return (desc->caps & cap) == cap;
}

enum stm32_status stm32_target_read(struct stm32_target *t, uint32_t address, uint8_t *data,
				    size_t length, struct stm32_error *err)
{
	if (!t->ops->read)
		return unsupported(t, STM32_OP_READ, err);
	return tagged(t->ops->read(t, address, data, length, err), STM32_OP_READ, err);
}

enum stm32_status stm32_target_write(struct stm32_target *t, uint32_t address,
				     const uint8_t *data, size_t length, struct stm32_error *err)
{
	if (!t->ops->write)
		return unsupported(t, STM32_OP_WRITE, err);
	return tagged(t->ops->write(t, address, data, length, err), STM32_OP_WRITE, err);
}

enum stm32_status stm32_target_erase(struct stm32_target *t,
				     const struct stm32_erase_request *request,
				     struct stm32_error *err)
{
	if (!t->ops->erase)
		return unsupported(t, STM32_OP_ERASE, err);
	return tagged(t->ops->erase(t, request, err), STM32_OP_ERASE, err);
}

enum stm32_status stm32_target_crc(struct stm32_target *t, uint32_t address, uint32_t length,
				   uint32_t *crc, struct stm32_error *err)
{
	if (!t->ops->crc)
		return unsupported(t, STM32_OP_CRC, err);
	return tagged(t->ops->crc(t, address, length, crc, err), STM32_OP_CRC, err);
}

enum stm32_status stm32_target_write_option_bytes(struct stm32_target *t, uint32_t address,
						  const uint8_t *data, size_t length,
						  struct stm32_error *err)
{
	if (!t->ops->write_option_bytes)
		return unsupported(t, STM32_OP_OPTION_WRITE, err);
	return tagged(t->ops->write_option_bytes(t, address, data, length, err),
		      STM32_OP_OPTION_WRITE, err);
}

enum stm32_status stm32_target_readout_protect(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->readout_protect)
		return unsupported(t, STM32_OP_READOUT_PROTECT, err);
	return tagged(t->ops->readout_protect(t, err), STM32_OP_READOUT_PROTECT, err);
}

enum stm32_status stm32_target_readout_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->readout_unprotect)
		return unsupported(t, STM32_OP_READOUT_UNPROTECT, err);
	return tagged(t->ops->readout_unprotect(t, err), STM32_OP_READOUT_UNPROTECT, err);
}

enum stm32_status stm32_target_write_protect(struct stm32_target *t, const uint32_t *units,
					     size_t count, struct stm32_error *err)
{
	if (!t->ops->write_protect)
		return unsupported(t, STM32_OP_WRITE_PROTECT, err);
	return tagged(t->ops->write_protect(t, units, count, err), STM32_OP_WRITE_PROTECT, err);
}

enum stm32_status stm32_target_write_unprotect(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->write_unprotect)
		return unsupported(t, STM32_OP_WRITE_UNPROTECT, err);
	return tagged(t->ops->write_unprotect(t, err), STM32_OP_WRITE_UNPROTECT, err);
}

enum stm32_status stm32_target_go(struct stm32_target *t, uint32_t address,
				  struct stm32_error *err)
{
	if (!t->ops->go)
		return unsupported(t, STM32_OP_GO, err);
	return tagged(t->ops->go(t, address, err), STM32_OP_GO, err);
}

enum stm32_status stm32_target_reset(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->reset)
		return unsupported(t, STM32_OP_RESET, err);
	return tagged(t->ops->reset(t, err), STM32_OP_RESET, err);
}

enum stm32_status stm32_target_recover(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->recover)
		return unsupported(t, STM32_OP_RECOVER, err);
	return tagged(t->ops->recover(t, err), STM32_OP_RECOVER, err);
}

enum stm32_status stm32_target_reconnect(struct stm32_target *t, struct stm32_error *err)
{
	if (!t->ops->reconnect)
		return unsupported(t, STM32_OP_RECONNECT, err);
	return tagged(t->ops->reconnect(t, err), STM32_OP_RECONNECT, err);
}

enum stm32_status stm32_target_write_image(struct stm32_target *t,
					   const struct stm32_image *image,
					   struct stm32_error *err)
{
	if (!t->ops->write_image)
		return unsupported(t, STM32_OP_WRITE_IMAGE, err);
	return tagged(t->ops->write_image(t, image, err), STM32_OP_WRITE_IMAGE, err);
}

bool stm32_target_can_write_behind(const struct stm32_target *t)
{
	return t->ops->write_behind && t->ops->finish;
}

enum stm32_status stm32_target_write_behind(struct stm32_target *t, uint32_t address,
					    const uint8_t *data, size_t length,
					    struct stm32_error *err)
{
	if (!stm32_target_can_write_behind(t))
		return unsupported(t, STM32_OP_WRITE, err);
	return tagged(t->ops->write_behind(t, address, data, length, err), STM32_OP_WRITE, err);
}

/* A failure at finish is a write's: the data handed over did not all land. */
enum stm32_status stm32_target_finish(struct stm32_target *t, struct stm32_error *err)
{
	if (!stm32_target_can_write_behind(t))
		return unsupported(t, STM32_OP_WRITE, err);
	return tagged(t->ops->finish(t, err), STM32_OP_WRITE, err);
}

void stm32_target_close(struct stm32_target *t)
{
	if (t && t->ops && t->ops->close)
		t->ops->close(t);
}
