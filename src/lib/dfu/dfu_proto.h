/* DFU 1.1 requests and the DfuSe commands (AN3156) over the USB seam. */
#ifndef STM32BOOT_DFU_PROTO_H
#define STM32BOOT_DFU_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfu/dfu_usb.h"
#include "stm32boot/error.h"

#define DFU_STATE_IDLE 2
#define DFU_STATE_DNBUSY 4
#define DFU_STATE_DNLOAD_IDLE 5
#define DFU_STATE_MANIFEST 7
#define DFU_STATE_UPLOAD_IDLE 9
#define DFU_STATE_ERROR 10
#define DFU_STATUS_ERR_TARGET 0x01
#define DFU_STATUS_ERR_ADDRESS 0x08
#define DFU_STATUS_ERR_VENDOR 0x0B

#define DFUSE_SET_ADDRESS 0x21
#define DFUSE_ERASE 0x41
#define DFUSE_READ_UNPROTECT 0x92

struct dfu_status {
	uint8_t status, state;
	uint32_t poll_ms;
};

struct dfu_link {
	struct dfu_usb *usb;
	uint16_t transfer_size;
	unsigned timeout_ms;     /* per transfer */
	unsigned busy_limit_ms;  /* longest a command may keep the chip busy */
	struct dfu_status last;  /* the last GETSTATUS */
	uint32_t polls;          /* GETSTATUS requests sent (for the cost model's tests) */
};

/* "errTARGET: address or command not supported" for messages. */
const char *dfu_status_text(uint8_t status);
const char *dfu_state_name(uint8_t state);

enum stm32_status dfu_get_status(struct dfu_link *l, struct dfu_status *out,
				 struct stm32_error *err);
/* Back to dfuIDLE from wherever the device is (dfuERROR: CLRSTATUS, else ABORT). */
enum stm32_status dfu_to_idle(struct dfu_link *l, struct stm32_error *err);
/* DNLOAD then GETSTATUS until the operation ends, honouring bwPollTimeout. A
 * dfuERROR is cleared (CLRSTATUS) and reported with its status worded. */
enum stm32_status dfu_download(struct dfu_link *l, uint16_t block, const uint8_t *data,
			       uint16_t length, struct stm32_error *err);
/* DfuSe command in block 0: 0x21/0x41 with an address, 0x41 / 0x92 alone. */
enum stm32_status dfuse_command(struct dfu_link *l, uint8_t command, bool with_address,
				uint32_t address, struct stm32_error *err);
/* UPLOAD of length bytes at address (sets the pointer, then block 2). */
enum stm32_status dfuse_upload(struct dfu_link *l, uint32_t address, uint8_t *data,
			       uint16_t length, struct stm32_error *err);
/* Leave DFU: pointer to address, zero-length DNLOAD, GETSTATUS (manifest). The
 * device goes away; its vanishing is not an error here. */
enum stm32_status dfuse_leave(struct dfu_link *l, uint32_t address, struct stm32_error *err);

#endif
