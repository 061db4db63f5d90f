/* Error records: the library's only way of saying what went wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stm32boot/error.h"

const char *stm32_status_name(enum stm32_status status)
{
	switch (status) {
	case STM32_OK: return "ok";
	case STM32_E_INVALID: return "invalid argument";
	case STM32_E_NOMEM: return "out of memory";
	case STM32_E_IO: return "I/O error";
	case STM32_E_BUSY: return "busy";
	case STM32_E_TIMEOUT: return "timeout";
	case STM32_E_NACK: return "NACK";
	case STM32_E_PROTOCOL: return "protocol error";
	case STM32_E_UNSUPPORTED: return "unsupported";
	case STM32_E_FORMAT: return "bad file format";
	case STM32_E_RANGE: return "out of range";
	case STM32_E_VERIFY: return "verify failed";
	case STM32_E_PROTECTED: return "read-protected";
	case STM32_E_UNKNOWN_DEVICE: return "unknown device";
	case STM32_E_CANCELLED: return "cancelled";
	}
	return "unknown status";
}

void stm32_error_clear(struct stm32_error *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	err->status = STM32_OK;
	err->command = -1;
}

enum stm32_status stm32_error_vset(struct stm32_error *err, enum stm32_status status,
				   const char *fmt, va_list ap)
{
	if (!err)
		return status;
	stm32_error_clear(err);
	err->status = status;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return status;
}

enum stm32_status stm32_error_set(struct stm32_error *err, enum stm32_status status,
				  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stm32_error_vset(err, status, fmt, ap);
	va_end(ap);
	return status;
}

enum stm32_status stm32_error_sys(struct stm32_error *err, enum stm32_status status, int errnum,
				  const char *fmt, ...)
{
	if (!err)
		return status;
	va_list ap;
	va_start(ap, fmt);
	stm32_error_vset(err, status, fmt, ap);
	va_end(ap);
	err->sys_errno = errnum;
	size_t used = strlen(err->message);
	snprintf(err->message + used, sizeof(err->message) - used, ": %s", strerror(errnum));
	return status;
}

const char *stm32_op_name(enum stm32_op op)
{
	static const char *const names[] = {
		[STM32_OP_NONE] = "none",
		[STM32_OP_CONNECT] = "connect",
		[STM32_OP_PLAN] = "plan",
		[STM32_OP_READ] = "read",
		[STM32_OP_WRITE] = "write",
		[STM32_OP_ERASE] = "erase",
		[STM32_OP_CRC] = "crc",
		[STM32_OP_VERIFY] = "verify",
		[STM32_OP_OPTION_WRITE] = "option-byte write",
		[STM32_OP_READOUT_PROTECT] = "readout protect",
		[STM32_OP_READOUT_UNPROTECT] = "readout unprotect",
		[STM32_OP_WRITE_PROTECT] = "write protect",
		[STM32_OP_WRITE_UNPROTECT] = "write unprotect",
		[STM32_OP_GO] = "go",
		[STM32_OP_RESET] = "reset",
		[STM32_OP_RECOVER] = "recover",
		[STM32_OP_RECONNECT] = "reconnect",
		[STM32_OP_WRITE_IMAGE] = "write image",
		[STM32_OP_LOAD] = "load",
		[STM32_OP_SAVE] = "save",
	};
	if ((unsigned)op < sizeof(names) / sizeof(names[0]) && names[op])
		return names[op];
	return "?";
}

void stm32_error_op(struct stm32_error *err, enum stm32_op op)
{
	if (err && err->op == STM32_OP_NONE)
		err->op = op;
}

void stm32_error_reason(struct stm32_error *err, enum stm32_reason reason)
{
	if (err)
		err->reason = reason;
}

void stm32_error_command(struct stm32_error *err, int command)
{
	if (err)
		err->command = command;
}

void stm32_error_address(struct stm32_error *err, uint32_t address)
{
	if (err) {
		err->has_address = true;
		err->address = address;
	}
}

void stm32_error_line(struct stm32_error *err, long line)
{
	if (err)
		err->line = line;
}
