/* Proves the installed-style umbrella header is self-contained and that a
 * program can drive the library alone: flash a small image into the emulator
 * through the public API and read it back. */
#include <stdio.h>
#include <string.h>

#include <stm32boot.h>

static int fail(const char *what, const struct stm32_error *err)
{
	fprintf(stderr, "embed: %s: %s (%s)\n", what, err->message, stm32_status_name(err->status));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: embed SIM_PROGRAM\n");
		return 2;
	}
	struct stm32_error err;
	stm32_error_clear(&err);
	struct stm32_port_options opts;
	stm32_port_options_default(&opts);
	opts.sim_program = argv[1];
	struct stm32_transport *t;
	if (stm32_port_open("sim:stm32g071rb", &opts, &t, &err))
		return fail("open", &err);
	struct stm32_target *target;
	if (stm32_rom_open(t, NULL, &target, &err))
		return fail("connect", &err);
	if (strcmp(target->desc.device->name, "stm32g071rb") != 0) {
		fprintf(stderr, "embed: identified %s\n", target->desc.device->name);
		return 1;
	}
	uint8_t data[64];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	/* plan, flash (erase page 1, write, verify), read back */
	struct stm32_image image;
	stm32_image_init(&image);
	if (stm32_image_add(&image, 0x08000800, data, sizeof(data), &err))
		return fail("image", &err);
	struct stm32_plan_options po;
	stm32_plan_options_default(&po);
	struct stm32_plan plan;
	if (stm32_plan_write(&target->desc, &image, &po, &plan, &err))
		return fail("plan", &err);
	if (stm32_flash_execute(target, &plan, NULL, NULL, &err))
		return fail("write", &err);
	stm32_plan_free(&plan);
	stm32_image_free(&image);
	uint8_t back[64];
	if (stm32_flash_read(target, 0x08000800, sizeof(back), back, NULL, &err))
		return fail("read", &err);
	stm32_target_close(target);
	stm32_transport_close(t);
	if (memcmp(data, back, sizeof(data)) != 0) {
		fprintf(stderr, "embed: read back differs\n");
		return 1;
	}
	printf("embed: ok\n");
	return 0;
}
