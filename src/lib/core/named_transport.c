/* A transport that names a device and carries nothing (named_transport.h). */
#include "core/named_transport.h"

#include <stdio.h>
#include <stdlib.h>

struct named_transport {
	struct stm32_transport transport;
	struct stm32_transport_ops ops; /* its own: the name differs per kind */
	char kind[16];
	char noun[48];
	char description[700];
};

static struct named_transport *named(struct stm32_transport *t)
{
	return t->impl;
}

static enum stm32_status no_bytes(struct stm32_transport *t, const uint8_t *data, size_t length,
				  struct stm32_error *err)
{
	(void)data, (void)length;
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "%s carries no byte stream", named(t)->noun);
}

static enum stm32_status no_read(struct stm32_transport *t, uint8_t *data, size_t length,
				 unsigned timeout_ms, size_t *got, struct stm32_error *err)
{
	(void)timeout_ms;
	*got = 0;
	return no_bytes(t, data, length, err);
}

static enum stm32_status no_lines(struct stm32_transport *t, enum stm32_line line, bool asserted,
				  struct stm32_error *err)
{
	(void)line, (void)asserted;
	return stm32_error_set(err, STM32_E_UNSUPPORTED,
			       "%s has no modem lines for GPIO sequences (-i)", named(t)->noun);
}

static enum stm32_status no_break(struct stm32_transport *t, struct stm32_error *err)
{
	return no_lines(t, STM32_LINE_RTS, false, err);
}

static void describe(struct stm32_transport *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s", named(t)->description);
}

static void close_named(struct stm32_transport *t)
{
	free(t->impl);
}

struct stm32_transport *core_named_transport(const char *kind, const char *noun,
					     const char *description)
{
	struct named_transport *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	snprintf(n->kind, sizeof n->kind, "%s", kind);
	snprintf(n->noun, sizeof n->noun, "%s", noun);
	snprintf(n->description, sizeof n->description, "%s", description);
	n->ops = (struct stm32_transport_ops){
		.name = n->kind, .write = no_bytes, .read = no_read, .set_line = no_lines,
		.send_break = no_break, .describe = describe, .close = close_named,
	};
	n->transport = (struct stm32_transport){.ops = &n->ops, .impl = n};
	return &n->transport;
}
