/* Build-time generator: data/option_bytes.tsv -> a C table of struct
 * stm32_option_field (include/stm32boot/option_bytes.h).
 *
 * It reads data/devices.tsv too, so that every part a row names exists in
 * that family, every field fits the family's option area, and every
 * factory value agrees with the option area's factory bytes: the two files
 * cannot drift apart. Complaints name the file and line. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsv.h"

#define MAX_LINE 8192
#define MAX_DEVICES 256
#define REGISTER_IMAGE_MAX 64u /* bytes of a register image (rows without a mapped area) */


static void chomp(char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
}

struct device_row {
	char name[64];
	char family[8];
	unsigned long opt_size;
	unsigned char factory[256];
};

static struct device_row devices[MAX_DEVICES];
static size_t device_count;

static int column(char **header, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(header[i], name) == 0)
			return i;
	tsv_die("no column %s", name);
	return -1;
}

static void read_devices(const char *path)
{
	FILE *in = fopen(path, "r");
	tsv_path = path;
	tsv_line = 0;
	if (!in)
		tsv_die("cannot open: %s", strerror(errno));
	static char line[MAX_LINE], header_line[MAX_LINE];
	char *header[TSV_MAX_COLUMNS], *fields[TSV_MAX_COLUMNS];
	int header_count = 0, c_name = 0, c_family = 0, c_size = 0, c_factory = 0;
	while (fgets(line, sizeof line, in)) {
		tsv_line++;
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!header_count) {
			memcpy(header_line, line, sizeof line);
			header_count = tsv_split(header_line, header);
			c_name = column(header, header_count, "name");
			c_family = column(header, header_count, "family");
			c_size = column(header, header_count, "opt_size");
			c_factory = column(header, header_count, "opt_factory");
			continue;
		}
		if (tsv_split(line, fields) != header_count)
			tsv_die("wrong column count");
		if (device_count == MAX_DEVICES)
			tsv_die("too many devices");
		struct device_row *d = &devices[device_count++];
		snprintf(d->name, sizeof d->name, "%s", fields[c_name]);
		snprintf(d->family, sizeof d->family, "%s", fields[c_family]);
		d->opt_size = strcmp(fields[c_size], "-") ? tsv_number(fields[c_size], "opt_size") : 0;
		const char *hex = fields[c_factory];
		if (d->opt_size > sizeof d->factory)
			tsv_die("opt_size too large");
		for (unsigned long i = 0; i < d->opt_size && strcmp(hex, "-"); i++)
			d->factory[i] = (unsigned char)(tsv_hexval(hex[2 * i]) << 4 | tsv_hexval(hex[2 * i + 1]));
	}
	fclose(in);
}

static int in_parts(const char *parts, const char *name)
{
	if (strcmp(parts, "*") == 0)
		return 1;
	size_t n = strlen(name);
	for (const char *p = parts; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len + (comma ? 1 : 0);
	}
	return 0;
}

static void check_parts(const char *family, const char *parts)
{
	if (strcmp(parts, "*") == 0)
		return;
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", parts);
	for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < device_count; i++)
			if (strcmp(devices[i].name, tok) == 0 && strcmp(devices[i].family, family) == 0)
				break;
		if (i == device_count)
			tsv_die("part %s is not a %s row of devices.tsv", tok, family);
	}
}

static unsigned long field_in(const unsigned char *bytes, long offset, unsigned shift, unsigned width)
{
	unsigned long long raw = 0;
	for (unsigned i = 0; i < 4; i++)
		raw |= (unsigned long long)bytes[offset + i] << (8 * i);
	return (unsigned long)((raw >> shift) & ((1ull << width) - 1));
}

/* Every part of the family with a mapped area holds the field there, with
 * its complement inside the area, and the factory bytes agree. */
static void check_against_devices(const char *family, const char *parts, long offset,
				  unsigned shift, unsigned width, unsigned complement,
				  unsigned long factory)
{
	int any = 0;
	unsigned bytes = (shift + width + 7) / 8;
	for (size_t i = 0; i < device_count; i++) {
		const struct device_row *d = &devices[i];
		if (strcmp(d->family, family) || !in_parts(parts, d->name))
			continue;
		any = 1;
		if (offset < 0) {
			if (d->opt_size)
				tsv_die("%s has an option area: give the field's offset", d->name);
			continue;
		}
		if (!d->opt_size) {
			/* No mapped area: the offset is in the register image a debug
			 * back end builds (docs/option-bytes.md, H7), whose factory
			 * values are the table's own. */
			if ((unsigned long)offset + bytes + complement > REGISTER_IMAGE_MAX)
				tsv_die("field does not fit a %u-byte register image",
					REGISTER_IMAGE_MAX);
			continue;
		}
		if ((unsigned long)offset + bytes + complement > d->opt_size)
			tsv_die("field does not fit %s's %lu-byte option area", d->name, d->opt_size);
		unsigned char padded[260] = {0};
		memcpy(padded, d->factory, d->opt_size);
		unsigned long have = field_in(padded, offset, shift, width);
		if (have != factory)
			tsv_die("factory 0x%lX, but %s's opt_factory holds 0x%lX", factory, d->name, have);
	}
	if (!any)
		tsv_die("no device of family %s", family);
}

static const char *kind_name(const char *kind, unsigned long *kind_value)
{
	*kind_value = 0;
	if (strcmp(kind, "value") == 0)
		return "STM32_OPTION_KIND_VALUE";
	if (strcmp(kind, "wrp_low") == 0)
		return "STM32_OPTION_KIND_WRP_LOW";
	if (strcmp(kind, "wrp_high") == 0)
		return "STM32_OPTION_KIND_WRP_HIGH";
	if (strcmp(kind, "wrp_area_start") == 0)
		return "STM32_OPTION_KIND_WRP_AREA_START";
	if (strcmp(kind, "wrp_area_end") == 0)
		return "STM32_OPTION_KIND_WRP_AREA_END";
	if (strcmp(kind, "boot_from_flash") == 0)
		return "STM32_OPTION_KIND_BOOT_FROM_FLASH";
	if (strcmp(kind, "pcrop_start") == 0)
		return "STM32_OPTION_KIND_PCROP_START";
	if (strcmp(kind, "pcrop_end") == 0)
		return "STM32_OPTION_KIND_PCROP_END";
	if (strncmp(kind, "boot_select=", 12) == 0) {
		*kind_value = tsv_number(kind + 12, "boot_select");
		return "STM32_OPTION_KIND_BOOT_SELECT";
	}
	tsv_die("unknown kind '%s'", kind);
	return NULL;
}

static const char *unit_name(const char *unit)
{
	if (strcmp(unit, "-") == 0)
		return "STM32_OPTION_UNIT_NONE";
	if (strcmp(unit, "4K") == 0)
		return "STM32_OPTION_UNIT_4K";
	if (strcmp(unit, "32K") == 0)
		return "STM32_OPTION_UNIT_32K";
	if (strcmp(unit, "sector") == 0)
		return "STM32_OPTION_UNIT_SECTOR";
	if (strcmp(unit, "page") == 0)
		return "STM32_OPTION_UNIT_PAGE";
	if (strcmp(unit, "8B") == 0)
		return "STM32_OPTION_UNIT_8B";
	if (strcmp(unit, "512B") == 0)
		return "STM32_OPTION_UNIT_512B";
	tsv_die("unknown unit '%s'", unit);
	return NULL;
}

/* "V=meaning;V=meaning;*=meaning", a trailing ! permanent, ~ dangerous. */
static size_t emit_values(FILE *out, size_t row, const char *spec, unsigned width)
{
	char copy[2048];
	snprintf(copy, sizeof copy, "%s", spec);
	fprintf(out, "static const struct stm32_option_value values_%zu[] = {\n", row);
	size_t count = 0;
	char *save = NULL;
	for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '=');
		if (!eq || eq == item || !eq[1])
			tsv_die("value '%s' is not VALUE=meaning", item);
		*eq = '\0';
		char *meaning = eq + 1;
		size_t len = strlen(meaning);
		int permanent = meaning[len - 1] == '!', dangerous = meaning[len - 1] == '~';
		if (permanent || dangerous)
			meaning[len - 1] = '\0';
		int any = strcmp(item, "*") == 0;
		unsigned long value = any ? 0 : tsv_number(item, "value");
		if (width < 32 && value >> width)
			tsv_die("value %s does not fit %u bits", item, width);
		fprintf(out, "\t{%luu, %s, %s, %s, ", value, any ? "true" : "false",
			permanent ? "true" : "false", dangerous ? "true" : "false");
		tsv_c_string(out, meaning);
		fprintf(out, "},\n");
		count++;
	}
	if (!count)
		tsv_die("no values");
	fprintf(out, "};\n");
	return count;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s option_bytes.tsv devices.tsv out.c\n", argv[0]);
		return 2;
	}
	read_devices(argv[2]);
	tsv_path = argv[1];
	tsv_line = 0;
	FILE *in = fopen(argv[1], "r");
	if (!in)
		tsv_die("cannot open: %s", strerror(errno));
	FILE *out = fopen(argv[3], "w");
	if (!out)
		tsv_die("cannot write %s", argv[3]);
	fprintf(out, "/* Generated by tools/gen_optbytes.c from data/option_bytes.tsv. Do not edit. */\n"
		     "#include <stdbool.h>\n#include <stddef.h>\n"
		     "#include \"optbytes/option_table.h\"\n\n");
	static char line[MAX_LINE];
	static char rows[1024][1024];
	size_t row_count = 0;
	int header_seen = 0;
	while (fgets(line, sizeof line, in)) {
		tsv_line++;
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!header_seen) {
			header_seen = 1;
			continue;
		}
		char *f[TSV_MAX_COLUMNS];
		if (tsv_split(line, f) != 13)
			tsv_die("want 13 columns");
		const char *family = f[0], *parts = f[1], *name = f[2];
		long offset = strcmp(f[3], "-") ? (long)tsv_number(f[3], "offset") : -1;
		unsigned shift = (unsigned)tsv_number(f[4], "shift"), width = (unsigned)tsv_number(f[5], "width");
		unsigned complement = (unsigned)tsv_number(f[6], "complement");
		unsigned long factory = tsv_number(f[7], "factory");
		if (width == 0 || shift + width > 32)
			tsv_die("shift %u + width %u do not fit a 32-bit word", shift, width);
		if (width < 32 && factory >> width)
			tsv_die("factory 0x%lX does not fit %u bits", factory, width);
		for (size_t i = 0; i < row_count; i++)
			if (strcmp(rows[i], "") && strncmp(rows[i], family, strlen(family)) == 0 &&
			    rows[i][strlen(family)] == ' ' && strcasecmp(rows[i] + strlen(family) + 1, name) == 0 &&
			    strcmp(parts, "*") == 0)
				tsv_die("field %s listed twice for %s", name, family);
		check_parts(family, parts);
		check_against_devices(family, parts, offset, shift, width, complement, factory);
		unsigned long kind_value;
		const char *kind = kind_name(f[8], &kind_value);
		const char *unit = unit_name(f[9]);
		unsigned long first = tsv_number(f[10], "first");
		size_t values = emit_values(out, row_count, f[11], width);
		if (row_count == sizeof rows / sizeof rows[0])
			tsv_die("too many rows");
		char entry[1024];
		int used = snprintf(entry, sizeof entry,
				    "\t{\"%s\", \"%s\", \"%s\", %ld, %u, %u, %u, 0x%lXu, %s, %luu, %s, %luu, "
				    "values_%zu, %zu, ",
				    family, strcmp(parts, "*") ? parts : "", name, offset, shift, width,
				    complement, factory, kind, kind_value, unit, first, row_count, values);
		if (used < 0 || (size_t)used >= sizeof entry)
			tsv_die("row too long");
		snprintf(rows[row_count], sizeof rows[row_count], "%s %s", family, name);
		fprintf(out, "static const struct stm32_option_field field_%zu = %s", row_count, entry + 1);
		tsv_c_string(out, f[12]);
		fprintf(out, "};\n\n");
		row_count++;
	}
	fprintf(out, "const struct stm32_option_field *const stm32_option_field_table[] = {\n");
	for (size_t i = 0; i < row_count; i++)
		fprintf(out, "\t&field_%zu,\n", i);
	fprintf(out, "};\nconst size_t stm32_option_field_table_count = %zu;\n", row_count);
	fclose(in);
	if (fclose(out) != 0)
		tsv_die("cannot write %s", argv[3]);
	return 0;
}
