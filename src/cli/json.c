/* stm32boot command line: the --json documents. */
#include "json.h"

#include <string.h>

static void json_string(FILE *out, const char *text)
{
	if (!text) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static const char *action_key(enum cli_action action)
{
	switch (action) {
	case CLI_ACTION_NONE: return "connect";
	case CLI_ACTION_READ: return "read";
	case CLI_ACTION_WRITE: return "write";
	case CLI_ACTION_WRITE_UNPROTECT: return "write-unprotect";
	case CLI_ACTION_READ_PROTECT: return "read-protect";
	case CLI_ACTION_READ_UNPROTECT: return "read-unprotect";
	case CLI_ACTION_ERASE: return "erase";
	case CLI_ACTION_CRC: return "crc";
	case CLI_ACTION_OPTION_BYTES: return "option-bytes";
	case CLI_ACTION_SET_OPTION: return "set-option";
	case CLI_ACTION_WRITE_PROTECT: return "write-protect";
	}
	return "connect";
}

static const char *erase_key(enum stm32_erase_kind kind)
{
	switch (kind) {
	case STM32_ERASE_KIND_NONE: return "none";
	case STM32_ERASE_KIND_PAGES: return "units";
	case STM32_ERASE_KIND_MASS: return "mass";
	}
	return "none";
}

static void write_plan(FILE *out, const struct cli_options *opts, const struct cli_plan_summary *p)
{
	if (!p->known) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"action\": \"%s\", \"dry_run\": %s", action_key(opts->action),
		p->dry_run ? "true" : "false");
	if (opts->action == CLI_ACTION_WRITE || opts->action == CLI_ACTION_ERASE)
		fprintf(out, ", \"erase\": \"%s\", \"erase_units\": %zu", erase_key(p->erase_kind),
			p->erase_units);
	if (opts->action == CLI_ACTION_WRITE) {
		fprintf(out, ", \"write_bytes\": %llu, \"blank_bytes\": %llu, \"verify\": ",
			(unsigned long long)p->write_bytes, (unsigned long long)p->blank_bytes);
		json_string(out, !p->verify ? NULL : p->verify_method == STM32_VERIFY_CRC ? "crc" : "read");
		fprintf(out, ", \"diff\": %s, \"preserve\": %s, \"blank_check\": %s",
			p->diff ? "true" : "false", p->preserve ? "true" : "false",
			p->blank_check ? "true" : "false");
	}
	if (opts->action == CLI_ACTION_READ || opts->action == CLI_ACTION_CRC)
		fprintf(out, ", \"address\": %u, \"length\": %llu", (unsigned)p->address,
			(unsigned long long)p->length);
	fputc('}', out);
}

static void write_board(FILE *out, const struct cli_options *opts, const struct cli_board_result *b,
			bool duplicate)
{
	fputs("{\"port\": ", out);
	json_string(out, b->port);
	fputs(", \"chip\": ", out);
	if (b->connected) {
		fputs("{\"name\": ", out);
		json_string(out, b->chip_name[0] ? b->chip_name : NULL);
		fputs(", \"description\": ", out);
		json_string(out, b->chip_description[0] ? b->chip_description : NULL);
		char pid[8];
		snprintf(pid, sizeof pid, "0x%03X", b->pid);
		fputs(", \"pid\": ", out);
		json_string(out, b->pid ? pid : NULL);
		fputs(", \"uid\": ", out);
		json_string(out, b->uid_known ? b->uid : NULL);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fprintf(out, ", \"status\": \"%s\", \"error\": ", b->ok ? "ok" : "failed");
	json_string(out, b->ok ? NULL : b->error);
	fputs(", \"plan\": ", out);
	write_plan(out, opts, &b->plan);
	fprintf(out, ", \"seconds\": %.3f, \"duplicate_uid\": %s}", b->seconds,
		duplicate ? "true" : "false");
}

static void write_run(FILE *out, const struct cli_options *opts, bool ok, const char *error,
		      const struct cli_board_result *boards, const bool *duplicate, size_t count)
{
	fprintf(out, "{\"schema\": %d, \"status\": \"%s\", \"action\": \"%s\"", CLI_JSON_SCHEMA,
		ok ? "ok" : "failed", action_key(opts->action));
	if (error) {
		fputs(", \"error\": ", out);
		json_string(out, error[0] ? error : "failed");
	}
	fputs(", \"boards\": [", out);
	for (size_t i = 0; i < count; i++) {
		fputs(i ? ",\n  " : "\n  ", out);
		write_board(out, opts, &boards[i], duplicate && duplicate[i]);
	}
	fputs(count ? "\n]}\n" : "]}\n", out);
	fflush(out);
}

void cli_json_write_run(FILE *out, const struct cli_options *opts, bool ok, const char *error,
			const struct cli_board_result *boards, size_t count)
{
	write_run(out, opts, ok, error, boards, NULL, count);
}

void cli_json_write_run_flagged(FILE *out, const struct cli_options *opts, bool ok,
				const struct cli_board_result *boards, const bool *duplicate,
				size_t count)
{
	write_run(out, opts, ok, NULL, boards, duplicate, count);
}

static void usb_field(FILE *out, const char *name, const char *value, bool first)
{
	fprintf(out, "%s\"%s\": ", first ? "" : ", ", name);
	json_string(out, value[0] ? value : NULL);
}

void cli_json_write_list(FILE *out, const struct cli_found_port *ports, size_t count)
{
	fprintf(out, "{\"schema\": %d, \"status\": \"ok\", \"action\": \"list\", \"boards\": [",
		CLI_JSON_SCHEMA);
	for (size_t i = 0; i < count; i++) {
		const struct cli_found_port *p = &ports[i];
		fputs(i ? ",\n  " : "\n  ", out);
		fputs("{\"port\": ", out);
		json_string(out, p->port);
		fputs(", \"kind\": ", out);
		json_string(out, p->kind);
		fputs(", \"driver\": ", out);
		json_string(out, p->driver[0] ? p->driver : NULL);
		fputs(", \"usb\": ", out);
		if (p->usb) {
			fputc('{', out);
			usb_field(out, "vid", p->vid, true);
			usb_field(out, "pid", p->pid, false);
			usb_field(out, "manufacturer", p->manufacturer, false);
			usb_field(out, "product", p->product, false);
			usb_field(out, "serial", p->serial, false);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		fputc('}', out);
	}
	fputs(count ? "\n]}\n" : "]}\n", out);
	fflush(out);
}
