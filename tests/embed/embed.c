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
	struct stm32_session s;
	struct stm32_session_options so;
	stm32_session_options_default(&so);
	if (stm32_session_connect(&s, t, &so, &err))
		return fail("connect", &err);
	if (strcmp(s.device->name, "stm32g071rb") != 0) {
		fprintf(stderr, "embed: identified %s\n", s.device->name);
		return 1;
	}
	uint8_t data[64];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	/* erase page 1, write, read back through the protocol layer */
	uint16_t page = 1;
	if (stm32_bl_erase_pages(&s.bl, &page, 1, &err))
		return fail("erase", &err);
	if (stm32_bl_write_memory(&s.bl, 0x08000800, data, sizeof(data), &err))
		return fail("write", &err);
	uint8_t back[64];
	if (stm32_bl_read_memory(&s.bl, 0x08000800, back, sizeof(back), &err))
		return fail("read", &err);
	stm32_transport_close(t);
	if (memcmp(data, back, sizeof(data)) != 0) {
		fprintf(stderr, "embed: read back differs\n");
		return 1;
	}
	printf("embed: ok\n");
	return 0;
}
