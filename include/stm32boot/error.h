/* libstm32boot: error reporting.
 *
 * The library never prints and never exits: every call that can fail returns
 * an enum stm32_status and, when the caller passes one, fills a struct
 * stm32_error with what failed and where, for the caller to word. */
#ifndef STM32BOOT_ERROR_H
#define STM32BOOT_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum stm32_status {
	STM32_OK = 0,
	STM32_E_INVALID,     /* bad argument or option value */
	STM32_E_NOMEM,
	STM32_E_IO,          /* OS-level read/write/open failure; see sys_errno */
	STM32_E_BUSY,        /* resource held by another process (port locked) */
	STM32_E_TIMEOUT,     /* the device did not answer in time */
	STM32_E_NACK,        /* the device answered NACK */
	STM32_E_PROTOCOL,    /* the device answered something unexpected */
	STM32_E_UNSUPPORTED, /* the device or bootloader lacks the capability */
	STM32_E_FORMAT,      /* malformed input file */
	STM32_E_RANGE,       /* address or size outside what the device has */
	STM32_E_VERIFY,      /* read-back or checksum differs from the image */
	STM32_E_PROTECTED,   /* readout protection refuses the operation */
	STM32_E_UNKNOWN_DEVICE,
	STM32_E_CANCELLED,
};

/* Which library operation failed: what callers choose hints by (a back
 * end's own command code is in stm32_error.command, for messages only). */
enum stm32_op {
	STM32_OP_NONE = 0,
	STM32_OP_CONNECT,
	STM32_OP_PLAN,
	STM32_OP_READ,
	STM32_OP_WRITE,
	STM32_OP_ERASE,
	STM32_OP_CRC,
	STM32_OP_VERIFY,
	STM32_OP_OPTION_WRITE,
	STM32_OP_READOUT_PROTECT,
	STM32_OP_READOUT_UNPROTECT,
	STM32_OP_WRITE_PROTECT,
	STM32_OP_WRITE_UNPROTECT,
	STM32_OP_GO,
	STM32_OP_RESET,
	STM32_OP_RECOVER,
	STM32_OP_RECONNECT,
	STM32_OP_WRITE_IMAGE,
	STM32_OP_LOAD,       /* reading an input file */
	STM32_OP_SAVE,       /* writing an output file */
};

/* Why, where the status alone does not say. */
enum stm32_reason {
	STM32_REASON_NONE = 0,
	STM32_REASON_PERMANENT_LOCK, /* the option bytes would lock the chip for good */
	STM32_REASON_EMPTY_INPUT,    /* the input file holds no data */
};

struct stm32_error {
	enum stm32_status status;
	enum stm32_op op;    /* the operation that failed, STM32_OP_NONE if not known */
	enum stm32_reason reason;
	int sys_errno;       /* errno for STM32_E_IO, else 0 */
	int command;         /* the back end's command code (ROM: AN3155 opcode), or -1 */
	bool has_address;
	uint32_t address;    /* where it failed, when has_address */
	long line;           /* input file line for STM32_E_FORMAT, or 0 */
	char message[256];   /* one line, no trailing newline, no "error:" prefix */
};

/* A short stable name for a status ("timeout", "nack", ...). */
const char *stm32_status_name(enum stm32_status status);
/* A short stable name for an operation ("read", "erase", ...). */
const char *stm32_op_name(enum stm32_op op);

/* Clear an error record (status STM32_OK, command -1). err may be NULL. */
void stm32_error_clear(struct stm32_error *err);

/* Record an error with a printf-style message; returns status so callers can
 * write `return stm32_error_set(err, STM32_E_RANGE, "...")`. err may be NULL. */
enum stm32_status stm32_error_set(struct stm32_error *err, enum stm32_status status,
				  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* stm32_error_set with a va_list. */
enum stm32_status stm32_error_vset(struct stm32_error *err, enum stm32_status status,
				   const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like stm32_error_set, for a failed system call: the message gets
 * ": strerror(errnum)" appended and sys_errno is set. */
enum stm32_status stm32_error_sys(struct stm32_error *err, enum stm32_status status, int errnum,
				  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Attach the operation / reason / opcode / address / file line to an
 * already set error. stm32_error_op keeps an operation already set (the
 * innermost one names the failure best). */
void stm32_error_op(struct stm32_error *err, enum stm32_op op);
void stm32_error_reason(struct stm32_error *err, enum stm32_reason reason);
void stm32_error_command(struct stm32_error *err, int command);
void stm32_error_address(struct stm32_error *err, uint32_t address);
void stm32_error_line(struct stm32_error *err, long line);

#ifdef __cplusplus
}
#endif
#endif
