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

struct stm32_error {
	enum stm32_status status;
	int sys_errno;       /* errno for STM32_E_IO, else 0 */
	int command;         /* bootloader opcode involved, or -1 */
	bool has_address;
	uint32_t address;    /* where it failed, when has_address */
	long line;           /* input file line for STM32_E_FORMAT, or 0 */
	char message[256];   /* one line, no trailing newline, no "error:" prefix */
};

/* A short stable name for a status ("timeout", "nack", ...). */
const char *stm32_status_name(enum stm32_status status);

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

/* Attach the opcode / address / file line to an already set error. */
void stm32_error_command(struct stm32_error *err, int command);
void stm32_error_address(struct stm32_error *err, uint32_t address);
void stm32_error_line(struct stm32_error *err, long line);

#ifdef __cplusplus
}
#endif
#endif
