/* Layout strings: @NAME/0xSTART/COUNT*SIZE[MULT]TYPE[,...][/0xSTART/...].
 * MULT is K (KiB), M (MiB), B or a space (bytes); TYPE a letter a..g. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dfu/dfu_layout.h"

static bool parse_run(const char **p, struct dfu_layout *out)
{
	char *end;
	unsigned long count = strtoul(*p, &end, 10);
	if (end == *p || *end != '*')
		return false;
	const char *size_text = end + 1;
	unsigned long size = strtoul(size_text, &end, 10);
	if (end == size_text || count == 0 || size == 0)
		return false;
	if (*end == 'K')
		size *= 1024u;
	else if (*end == 'M')
		size *= 1024u * 1024u;
	else if (*end != 'B' && *end != ' ')
		end--; /* no multiplier: bytes */
	end++;
	if (*end < 'a' || *end > 'g')
		return false;
	if (out->run_count == DFU_LAYOUT_MAX_RUNS || size > UINT32_MAX / count)
		return false;
	out->runs[out->run_count++] = (struct stm32_sector_run){(uint32_t)size, (uint32_t)count};
	out->size += (uint32_t)(size * count);
	*p = end + 1;
	return true;
}

bool dfu_layout_parse(const char *text, struct dfu_layout *out)
{
	memset(out, 0, sizeof *out);
	if (text[0] != '@')
		return false;
	const char *slash = strchr(text, '/');
	if (!slash)
		return false;
	size_t name_length = (size_t)(slash - text - 1);
	while (name_length && isspace((unsigned char)text[name_length]))
		name_length--;
	if (name_length >= sizeof out->name)
		name_length = sizeof out->name - 1;
	memcpy(out->name, text + 1, name_length);
	out->contiguous = true;
	const char *p = slash;
	for (unsigned ranges = 0; *p == '/'; ranges++) {
		char *end;
		unsigned long start = strtoul(p + 1, &end, 16);
		if (end == p + 1 || *end != '/')
			return false;
		if (ranges == 0)
			out->start = (uint32_t)start;
		else if (start != (uint64_t)out->start + out->size)
			out->contiguous = false;
		p = end + 1;
		if (!parse_run(&p, out))
			return false;
		while (*p == ',') {
			p++;
			if (!parse_run(&p, out))
				return false;
		}
	}
	return out->run_count > 0;
}

bool dfu_layout_matches(const struct dfu_layout *layout, const struct stm32_device *dev)
{
	if (layout->start != dev->flash_start || layout->size != dev->flash_size)
		return false;
	/* Compare unit by unit: the table splits runs at banks, ROMs may not. */
	size_t a = 0, b = 0;
	uint32_t left_a = layout->run_count ? layout->runs[0].count : 0;
	uint32_t left_b = dev->layout_runs ? dev->layout[0].count : 0;
	while (a < layout->run_count && b < dev->layout_runs) {
		if (layout->runs[a].size != dev->layout[b].size)
			return false;
		uint32_t step = left_a < left_b ? left_a : left_b;
		left_a -= step;
		left_b -= step;
		if (!left_a && ++a < layout->run_count)
			left_a = layout->runs[a].count;
		if (!left_b && ++b < dev->layout_runs)
			left_b = dev->layout[b].count;
	}
	return a == layout->run_count && b == dev->layout_runs;
}
