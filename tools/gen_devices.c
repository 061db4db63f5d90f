/* Build-time generator: data/devices.tsv -> a C table of struct stm32_device.
 *
 * The TSV is the one source of device facts; checking it here, with the file's
 * line number in every complaint, keeps bad data out of both the library and
 * the emulator. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsv.h"

#define MAX_LINE 8192


static const char *const required[] = {
	"name", "aliases", "pid", "description", "family", "bl_version", "commands",
	"flash_start", "flash_layout", "ram_start", "ram_end", "opt_start", "opt_size",
	"opt_factory", "rdp_offset", "rdp_level0", "sysmem_start", "sysmem_end",
	"flash_size_reg", "uid_reg", "program_unit", "t_prog_us", "t_erase_ms",
	"t_mass_ms", "flags", "interfaces", "i2c_address", "uart_max_baud", "notes",
	"otp_start", "otp_end", "sysmem2_start", "sysmem2_end", "uf2_family",
};
#define N_REQUIRED (sizeof(required) / sizeof(required[0]))

static int column_of[N_REQUIRED];

static const char *field(char **fields, const char *name)
{
	for (size_t i = 0; i < N_REQUIRED; i++)
		if (strcmp(required[i], name) == 0)
			return fields[column_of[i]];
	tsv_die("internal: unknown column %s", name);
	return NULL;
}

static int is_none(const char *s)
{
	return s[0] == '\0' || strcmp(s, "-") == 0;
}

static unsigned long number(const char *s, const char *what)
{
	if (is_none(s))
		return 0;
	return tsv_number(s, what);
}

/* "16K", "128", "2M" -> bytes */
static unsigned long size_token(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (end == s)
		tsv_die("%s: bad size '%s'", what, s);
	if (*end == 'K')
		v *= 1024, end++;
	else if (*end == 'M')
		v *= 1024 * 1024, end++;
	if (*end)
		tsv_die("%s: bad size '%s'", what, s);
	if (v == 0)
		tsv_die("%s: zero size", what);
	return v;
}

static unsigned flags_of(const char *s)
{
	static const struct { const char *name; const char *macro; unsigned bit; } known[] = {
		{ "no_mass_erase", "STM32_DEV_NO_MASS_ERASE", 1 },
		{ "obl_launch", "STM32_DEV_OBL_LAUNCH", 2 },
		{ "pempty", "STM32_DEV_PEMPTY", 4 },
		{ "bank_erase", "STM32_DEV_BANK_ERASE", 8 },
		{ "no_ram_access", "STM32_DEV_NO_RAM_ACCESS", 16 },
	};
	unsigned flags = 0;
	if (is_none(s))
		return 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(tok, known[i].name) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			tsv_die("flags: unknown flag '%s'", tok);
		flags |= known[i].bit;
	}
	return flags;
}

static unsigned interfaces_of(const char *s)
{
	static const struct { const char *name; unsigned bit; } known[] = {
		{ "uart", 1 }, { "i2c", 2 }, { "spi", 4 }, { "dfu", 8 },
	};
	unsigned bits = 0;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(tok, known[i].name) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			tsv_die("interfaces: unknown interface '%s'", tok);
		bits |= known[i].bit;
	}
	if (!(bits & 1))
		tsv_die("interfaces: every STM32 bootloader has uart");
	return bits;
}

static void emit_row(FILE *out, int row, char **f, unsigned long *sizes_out)
{
	/* command list */
	const char *cmds = field(f, "commands");
	fprintf(out, "static const uint8_t commands_%d[] = {", row);
	int ncmd = 0;
	char buf[MAX_LINE];
	snprintf(buf, sizeof(buf), "%s", cmds);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%s", tok);
		unsigned long v = number(hex, "commands");
		if (v > 0xFF)
			tsv_die("commands: '%s' is not a byte", tok);
		fprintf(out, "%s0x%02lX", ncmd ? ", " : "", v);
		ncmd++;
	}
	if (ncmd == 0)
		tsv_die("commands: empty");
	fprintf(out, "};\n");

	/* layout: runs separated by ',', banks by '|' */
	const char *layout = field(f, "flash_layout");
	fprintf(out, "static const struct stm32_sector_run layout_%d[] = {", row);
	unsigned long total = 0, bank1_size = 0, bank1_units = 0, units = 0;
	int nruns = 0, banks = 1;
	snprintf(buf, sizeof(buf), "%s", layout);
	char *save_bank;
	for (char *bank = strtok_r(buf, "|", &save_bank); bank; bank = strtok_r(NULL, "|", &save_bank)) {
		if (nruns > 0) {
			if (banks == 2)
				tsv_die("flash_layout: more than two banks");
			banks = 2;
			bank1_size = total;
			bank1_units = units;
		}
		char *save_run;
		for (char *run = strtok_r(bank, ",", &save_run); run; run = strtok_r(NULL, ",", &save_run)) {
			char *star = strchr(run, '*');
			if (!star)
				tsv_die("flash_layout: run '%s' is not SIZE*COUNT", run);
			*star = '\0';
			unsigned long size = size_token(run, "flash_layout");
			unsigned long count = number(star + 1, "flash_layout");
			if (count == 0)
				tsv_die("flash_layout: zero count");
			fprintf(out, "%s{%luu, %luu}", nruns ? ", " : "", size, count);
			total += size * count;
			units += count;
			nruns++;
		}
	}
	fprintf(out, "};\n");
	*sizes_out = total;

	/* option-byte factory values */
	unsigned long opt_size = number(field(f, "opt_size"), "opt_size");
	const char *fac = field(f, "opt_factory");
	int has_factory = !is_none(fac);
	if (has_factory) {
		size_t len = strlen(fac);
		if (len != opt_size * 2)
			tsv_die("opt_factory: %zu hex digits for opt_size %lu", len, opt_size);
		fprintf(out, "static const uint8_t opt_factory_%d[] = {", row);
		for (size_t i = 0; i < len; i += 2) {
			int hi = tsv_hexval(fac[i]), lo = tsv_hexval(fac[i + 1]);
			if (hi < 0 || lo < 0)
				tsv_die("opt_factory: not hex");
			fprintf(out, "%s0x%02X", i ? ", " : "", hi * 16 + lo);
		}
		fprintf(out, "};\n");
	} else if (opt_size) {
		tsv_die("opt_factory: missing for opt_size %lu", opt_size);
	}

	/* erase times "SIZE:MS,..." */
	fprintf(out, "static const struct stm32_erase_time erase_times_%d[] = {", row);
	int nerase = 0;
	snprintf(buf, sizeof(buf), "%s", field(f, "t_erase_ms"));
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		char *colon = strchr(tok, ':');
		if (!colon)
			tsv_die("t_erase_ms: '%s' is not SIZE:MS", tok);
		*colon = '\0';
		fprintf(out, "%s{%luu, %luu}", nerase ? ", " : "", size_token(tok, "t_erase_ms"),
			number(colon + 1, "t_erase_ms"));
		nerase++;
	}
	if (nerase == 0)
		tsv_die("t_erase_ms: empty");
	fprintf(out, "};\n");

	unsigned long flash_start = number(field(f, "flash_start"), "flash_start");
	unsigned long unit = number(field(f, "program_unit"), "program_unit");
	if (unit == 0 || (unit & (unit - 1)) || unit > 256)
		tsv_die("program_unit: %lu is not a power of two up to 256", unit);
	const char *rdp = field(f, "rdp_offset");
	long rdp_offset = is_none(rdp) ? -1 : (long)number(rdp, "rdp_offset");
	if (rdp_offset >= (long)opt_size)
		tsv_die("rdp_offset outside the option area");

	fprintf(out, "#define ROW_%d { \\\n", row);
	fprintf(out, "\t.name = "); tsv_c_string(out, field(f, "name"));
	fprintf(out, ", .aliases = "); tsv_c_string(out, is_none(field(f, "aliases")) ? "" : field(f, "aliases"));
	fprintf(out, ", \\\n\t.pid = 0x%03lX, .description = ", number(field(f, "pid"), "pid"));
	tsv_c_string(out, field(f, "description"));
	fprintf(out, ", .family = "); tsv_c_string(out, field(f, "family"));
	fprintf(out, ", \\\n\t.bootloader_version = 0x%02lX, .commands = commands_%d, .command_count = %d, \\\n",
		number(field(f, "bl_version"), "bl_version"), row, ncmd);
	fprintf(out, "\t.flash_start = 0x%08lXu, .flash_size = 0x%08lXu, .layout = layout_%d, .layout_runs = %d, \\\n",
		flash_start, total, row, nruns);
	fprintf(out, "\t.bank_count = %d, .bank2_start = 0x%08lXu, .bank2_first_sector = %luu, \\\n",
		banks, banks == 2 ? flash_start + bank1_size : 0, banks == 2 ? bank1_units : 0);
	fprintf(out, "\t.ram_start = 0x%08lXu, .ram_end = 0x%08lXu, \\\n",
		number(field(f, "ram_start"), "ram_start"), number(field(f, "ram_end"), "ram_end"));
	char factory_name[32];
	if (has_factory)
		snprintf(factory_name, sizeof(factory_name), "opt_factory_%d", row);
	else
		snprintf(factory_name, sizeof(factory_name), "NULL");
	fprintf(out, "\t.opt_start = 0x%08lXu, .opt_size = %luu, .opt_factory = %s, .rdp_offset = %ld, .rdp_level0 = 0x%02lX, \\\n",
		number(field(f, "opt_start"), "opt_start"), opt_size, factory_name, rdp_offset,
		number(field(f, "rdp_level0"), "rdp_level0"));
	fprintf(out, "\t.sysmem_start = 0x%08lXu, .sysmem_end = 0x%08lXu, .flash_size_reg = 0x%08lXu, .uid_reg = 0x%08lXu, \\\n",
		number(field(f, "sysmem_start"), "sysmem_start"), number(field(f, "sysmem_end"), "sysmem_end"),
		number(field(f, "flash_size_reg"), "flash_size_reg"), number(field(f, "uid_reg"), "uid_reg"));
	/* Optional areas, "-" when the part has none (or it is not recorded). */
	unsigned long otp_start = number(field(f, "otp_start"), "otp_start");
	unsigned long otp_end = number(field(f, "otp_end"), "otp_end");
	unsigned long sysmem2_start = number(field(f, "sysmem2_start"), "sysmem2_start");
	unsigned long sysmem2_end = number(field(f, "sysmem2_end"), "sysmem2_end");
	if ((otp_start || otp_end) && otp_end <= otp_start)
		tsv_die("otp_end 0x%lX must lie above otp_start 0x%lX", otp_end, otp_start);
	if ((sysmem2_start || sysmem2_end) && sysmem2_end <= sysmem2_start)
		tsv_die("sysmem2_end 0x%lX must lie above sysmem2_start 0x%lX", sysmem2_end, sysmem2_start);
	fprintf(out, "\t.otp_start = 0x%08lXu, .otp_end = 0x%08lXu, .sysmem2_start = 0x%08lXu, .sysmem2_end = 0x%08lXu, \\\n",
		otp_start, otp_end, sysmem2_start, sysmem2_end);
	fprintf(out, "\t.program_unit = %luu, .t_prog_us = %luu, .erase_times = erase_times_%d, .erase_time_count = %d, \\\n",
		unit, number(field(f, "t_prog_us"), "t_prog_us"), row, nerase);
	const char *i2c = field(f, "i2c_address");
	long i2c_address = is_none(i2c) ? -1 : (long)number(i2c, "i2c_address");
	if (i2c_address != -1 && (i2c_address < 0x03 || i2c_address > 0x77))
		tsv_die("i2c_address: 0x%lX is not a 7-bit address in 0x03-0x77", i2c_address);
	/* The highest rate the ROM's 0x7F auto-baud is documented (or derived)
	 * to handle: at least AN3155's tested 115200, at most stm32flash's
	 * fastest rate, 4 Mbaud. */
	const char *max_baud = field(f, "uart_max_baud");
	if (is_none(max_baud))
		tsv_die("uart_max_baud: missing (115200, AN3155's tested maximum, unless a higher rate is documented)");
	unsigned long uart_max_baud = number(max_baud, "uart_max_baud");
	if (uart_max_baud < 115200 || uart_max_baud > 4000000)
		tsv_die("uart_max_baud: %lu is outside 115200-4000000", uart_max_baud);
	fprintf(out, "\t.interfaces = 0x%Xu, .i2c_address = %ld, .uart_max_baud = %luu, \\\n",
		interfaces_of(field(f, "interfaces")), i2c_address, uart_max_baud);
	fprintf(out, "\t.t_mass_ms = %luu, .flags = 0x%Xu, .notes = ", number(field(f, "t_mass_ms"), "t_mass_ms"),
		flags_of(field(f, "flags")));
	tsv_c_string(out, field(f, "notes"));
	/* The UF2 family ID (microsoft/uf2 uf2families.json); 0 when none. */
	unsigned long uf2_family = number(field(f, "uf2_family"), "uf2_family");
	if (uf2_family > 0xFFFFFFFFul)
		tsv_die("uf2_family: 0x%lX is wider than 32 bits", uf2_family);
	fprintf(out, ", .uf2_family = 0x%08lXu }\n\n", uf2_family);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen_devices DEVICES.tsv OUTPUT.c\n");
		return 2;
	}
	tsv_path = argv[1];
	FILE *in = fopen(argv[1], "r");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	char tmp_path[4096];
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", argv[2]);
	FILE *out = fopen(tmp_path, "w");
	if (!out) {
		perror(tmp_path);
		return 1;
	}
	fprintf(out, "/* Generated from data/devices.tsv by tools/gen_devices.c: do not edit. */\n");
	fprintf(out, "#include \"stm32boot/device.h\"\n#include \"core/device_table.h\"\n\n");

	char line[MAX_LINE];
	char *fields[TSV_MAX_COLUMNS];
	int have_header = 0, rows = 0;
	char names[512][64];
	while (fgets(line, sizeof(line), in)) {
		tsv_line++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		int n = tsv_split(line, fields);
		if (!have_header) {
			for (size_t i = 0; i < N_REQUIRED; i++) {
				column_of[i] = -1;
				for (int c = 0; c < n; c++)
					if (strcmp(fields[c], required[i]) == 0)
						column_of[i] = c;
				if (column_of[i] < 0)
					tsv_die("header lacks column '%s'", required[i]);
			}
			have_header = n;
			continue;
		}
		if (n != have_header)
			tsv_die("%d columns, the header has %d", n, have_header);
		if (rows == 512)
			tsv_die("too many rows");
		for (int r = 0; r < rows; r++)
			if (strcmp(names[r], field(fields, "name")) == 0)
				tsv_die("duplicate name '%s'", names[r]);
		snprintf(names[rows], sizeof(names[rows]), "%s", field(fields, "name"));
		unsigned long size;
		emit_row(out, rows, fields, &size);
		rows++;
	}
	if (!have_header)
		tsv_die("no header line");
	fprintf(out, "const struct stm32_device stm32_device_table[] = {\n");
	for (int r = 0; r < rows; r++)
		fprintf(out, "\tROW_%d,\n", r);
	fprintf(out, "};\nconst size_t stm32_device_table_count = %d;\n", rows);
	fclose(in);
	if (fclose(out) != 0 || rename(tmp_path, argv[2]) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
