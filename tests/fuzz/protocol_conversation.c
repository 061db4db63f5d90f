/* See protocol_conversation.h. Retries are kept low: each one multiplies
 * the work a hostile reply stream can ask for, and one retry already
 * exercises the recovery code. */
#include "protocol_conversation.h"

#include <stdlib.h>
#include <string.h>

#include "stm32boot/flash.h"
#include "stm32boot/format.h"
#include "stm32boot/image.h"
#include "stm32boot/plan.h"
#include "stm32boot/rom.h"

#define IMAGE_BYTES 600u /* three 256-byte blocks, the last one short */
#define FUZZ_RETRIES 1u

static void check_error(enum stm32_status status, const struct stm32_error *err)
{
	/* The library promises a filled error for every failure. */
	if (status != STM32_OK && (err->status != status || err->message[0] == '\0'))
		abort();
}

static void make_image(struct stm32_image *image, uint32_t address)
{
	uint8_t bytes[IMAGE_BYTES];
	struct stm32_error err;
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 37u + 11u);
	stm32_image_init(image);
	if (stm32_image_add(image, address, bytes, sizeof(bytes), &err) != STM32_OK)
		abort();
}

static void write_plan(struct stm32_target *s, uint8_t options)
{
	struct stm32_plan_options opts;
	struct stm32_plan plan;
	struct stm32_image image;
	struct stm32_error err;
	stm32_plan_options_default(&opts);
	opts.diff = (options & CONVERSATION_OPTION_DIFF) != 0;
	opts.preserve = (options & CONVERSATION_OPTION_PRESERVE) != 0;
	opts.verify_method = (options & CONVERSATION_OPTION_CRC) ? STM32_VERIFY_CRC
								 : STM32_VERIFY_READ;
	opts.block_size = (options & CONVERSATION_OPTION_SMALL) ? 64u : 0u;
	make_image(&image, s->desc.device->flash_start + 0x100u);
	memset(&plan, 0, sizeof(plan));
	if (stm32_plan_write(&s->desc, &image, &opts, &plan, &err) == STM32_OK) {
		struct stm32_flash_report report;
		struct stm32_flash_options run;
		stm32_flash_options_default(&run);
		run.retries = FUZZ_RETRIES;
		enum stm32_status status = stm32_flash_execute(s, &plan, &run, &report, &err);
		check_error(status, &err);
		if (status == STM32_OK && plan.verify && !report.verified)
			abort();
	}
	stm32_plan_free(&plan);
	stm32_image_free(&image);
}

static void read_and_checksum(struct stm32_target *s)
{
	uint8_t buffer[300];
	uint32_t crc;
	bool on_device;
	struct stm32_error err;
	enum stm32_status status = stm32_flash_read(s, s->desc.device->flash_start, sizeof(buffer),
						    buffer, NULL, &err);
	check_error(status, &err);
	status = stm32_flash_checksum(s, s->desc.device->flash_start, 256, &crc, &on_device, NULL, &err);
	check_error(status, &err);
}

void conversation_run(struct stm32_transport *t, uint8_t options)
{
	struct stm32_target *target;
	struct stm32_error err;
	enum stm32_status status = stm32_rom_open(t, NULL, &target, &err);
	check_error(status, &err);
	if (status != STM32_OK)
		return;
	if (!target->desc.device)
		abort();
	write_plan(target, options);
	read_and_checksum(target);
	stm32_target_close(target);
}
