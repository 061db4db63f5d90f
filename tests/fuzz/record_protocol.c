/* Records seed inputs for fuzz_protocol: runs the fuzzer's conversation
 * against the real emulator ("sim:" port) and saves the option byte followed
 * by every byte the emulator sent, which is exactly the reply stream a
 * well-behaved device gives.
 *
 * usage: record_protocol SIM_PROGRAM DEVICE OPTIONS OUT_FILE */
#include <stdio.h>
#include <stdlib.h>

#include "protocol_conversation.h"
#include "stm32boot/transport.h"

struct recorder {
	struct stm32_transport *inner;
	FILE *out;
};

static enum stm32_status rec_write(struct stm32_transport *t, const uint8_t *data, size_t length,
				   struct stm32_error *err)
{
	struct recorder *r = t->impl;
	return stm32_transport_write(r->inner, data, length, err);
}

static enum stm32_status rec_read(struct stm32_transport *t, uint8_t *data, size_t length,
				  unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	struct recorder *r = t->impl;
	enum stm32_status status = stm32_transport_read(r->inner, data, length, timeout_ms, got,
							err);
	fwrite(data, 1, *got, r->out);
	return status;
}

static enum stm32_status rec_drain(struct stm32_transport *t, struct stm32_error *err)
{
	struct recorder *r = t->impl;
	return r->inner->ops->drain ? r->inner->ops->drain(r->inner, err) : STM32_OK;
}

static enum stm32_status rec_set_line(struct stm32_transport *t, enum stm32_line line,
				      bool asserted, struct stm32_error *err)
{
	struct recorder *r = t->impl;
	return r->inner->ops->set_line(r->inner, line, asserted, err);
}

static enum stm32_status rec_break(struct stm32_transport *t, struct stm32_error *err)
{
	struct recorder *r = t->impl;
	return r->inner->ops->send_break(r->inner, err);
}

static void rec_describe(struct stm32_transport *t, char *buf, size_t size)
{
	struct recorder *r = t->impl;
	r->inner->ops->describe(r->inner, buf, size);
}

static void rec_close(struct stm32_transport *t)
{
	(void)t;
}

static const struct stm32_transport_ops recorder_ops = {
	.name = "recorder",
	.write = rec_write,
	.read = rec_read,
	.drain = rec_drain,
	.set_line = rec_set_line,
	.send_break = rec_break,
	.describe = rec_describe,
	.close = rec_close,
};

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s SIM_PROGRAM DEVICE OPTIONS OUT_FILE\n", argv[0]);
		return 2;
	}
	struct stm32_port_options popts;
	struct stm32_error err;
	char port[256];
	uint8_t options = (uint8_t)strtoul(argv[3], NULL, 0);
	stm32_port_options_default(&popts);
	popts.sim_program = argv[1];
	snprintf(port, sizeof(port), "sim:%s,speed=fast", argv[2]);
	struct recorder rec = { .out = fopen(argv[4], "wb") };
	if (!rec.out) {
		perror(argv[4]);
		return 1;
	}
	if (stm32_port_open(port, &popts, &rec.inner, &err) != STM32_OK) {
		fprintf(stderr, "%s: %s\n", port, err.message);
		return 1;
	}
	struct stm32_transport t = { .ops = &recorder_ops, .kind = rec.inner->kind,
				     .baud = rec.inner->baud, .impl = &rec };
	fputc(options, rec.out);
	conversation_run(&t, options);
	stm32_transport_close(rec.inner);
	return fclose(rec.out) == 0 ? 0 : 1;
}
