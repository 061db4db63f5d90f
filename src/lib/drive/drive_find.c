/* Flashing drives: the marker files, the board ID, the search for mounted
 * drives, and the ST-LINK board IDs this library knows. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stm32boot/drive.h"

#define DEFAULT_ROOTS "/media:/run/media:/mnt"

/* mbed board IDs of Nucleo boards (mbed-ls's platform table; drives.md §1
 * names 0720 and 0796) and the device row of their chip. */
static const struct {
	const char *id, *board, *device;
} boards[] = {
	{"0700", "NUCLEO-F103RB", "stm32f103xb"}, {"0720", "NUCLEO-F401RE", "stm32f401xe"},
	{"0725", "NUCLEO-F030R8", "stm32f030x8"}, {"0729", "NUCLEO-G071RB", "stm32g071rb"},
	{"0740", "NUCLEO-F411RE", "stm32f411xe"}, {"0765", "NUCLEO-L476RG", "stm32l476rg"},
	{"0770", "NUCLEO-L432KC", "stm32l43x"},   {"0796", "NUCLEO-F429ZI", "stm32f429zi"},
};

const struct stm32_device *stm32_drive_board_device(const char *board_id, const char **board)
{
	if (board)
		*board = NULL;
	for (size_t i = 0; board_id && i < sizeof boards / sizeof boards[0]; i++)
		if (strncasecmp(board_id, boards[i].id, 4) == 0) {
			if (board)
				*board = boards[i].board;
			return stm32_device_find(boards[i].device);
		}
	return NULL;
}

static bool is_file(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file's text (at most size-1 bytes), "" when absent. */
static void read_text(const char *dir, const char *name, char *buf, size_t size)
{
	buf[0] = '\0';
	char path[1024];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The value of a "Key: value" line, cut at the line's end. */
static bool key_value(const char *text, const char *key, char *out, size_t size)
{
	size_t length = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncasecmp(line, key, length) != 0)
			continue;
		const char *v = line + length;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t n = strcspn(v, "\r\n");
		if (n >= size)
			n = size - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return n > 0;
	}
	return false;
}

/* MBED.HTM: the link's "code=" (or "auth=") carries the mbed ID. */
static void board_from_mbed_htm(const char *text, char *out, size_t size)
{
	const char *at = strstr(text, "code=");
	if (!at)
		at = strstr(text, "auth=");
	if (!at)
		return;
	at += 5;
	size_t n = 0;
	while (n + 1 < size && ((at[n] >= '0' && at[n] <= '9') || (at[n] >= 'A' && at[n] <= 'F') ||
				(at[n] >= 'a' && at[n] <= 'f')))
		n++;
	memcpy(out, at, n);
	out[n] = '\0';
}

bool stm32_drive_probe(const char *dir, struct stm32_drive_info *info)
{
	memset(info, 0, sizeof *info);
	if ((size_t)snprintf(info->path, sizeof info->path, "%s", dir) >= sizeof info->path)
		return false;
	char text[4096];
	if (is_file(dir, "INFO_UF2.TXT")) {
		info->kind = STM32_DRIVE_UF2;
		read_text(dir, "INFO_UF2.TXT", text, sizeof text);
		key_value(text, "Board-ID:", info->board_id, sizeof info->board_id);
		key_value(text, "Model:", info->model, sizeof info->model);
		/* A Board-ID that is a device name ("stm32f401xe-..."): that row. */
		char name[sizeof info->board_id];
		snprintf(name, sizeof name, "%s", info->board_id);
		name[strcspn(name, "- ")] = '\0';
		info->device = name[0] ? stm32_device_find(name) : NULL;
		return true;
	}
	bool mbed = is_file(dir, "MBED.HTM"), details = is_file(dir, "DETAILS.TXT");
	if (!mbed && !details)
		return false;
	info->kind = STM32_DRIVE_STLINK;
	if (mbed) {
		read_text(dir, "MBED.HTM", text, sizeof text);
		board_from_mbed_htm(text, info->board_id, sizeof info->board_id);
	}
	if (!info->board_id[0] && details) {
		read_text(dir, "DETAILS.TXT", text, sizeof text);
		if (!key_value(text, "Unique ID:", info->board_id, sizeof info->board_id))
			key_value(text, "Board ID:", info->board_id, sizeof info->board_id);
	}
	/* The mbed ID's first four characters are the board ID. */
	if (strlen(info->board_id) > 4)
		info->board_id[4] = '\0';
	const char *board = NULL;
	info->device = stm32_drive_board_device(info->board_id, &board);
	if (board)
		snprintf(info->model, sizeof info->model, "%s", board);
	return true;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct stm32_drive_info *)a)->path,
		      ((const struct stm32_drive_info *)b)->path);
}

/* dir itself, and its subfolders to depth levels. */
static size_t search(const char *dir, int depth, struct stm32_drive_info *out, size_t max,
		     size_t count)
{
	struct stm32_drive_info info;
	if (stm32_drive_probe(dir, &info)) {
		if (count < max)
			out[count] = info;
		return count + 1;
	}
	if (depth == 0)
		return count;
	DIR *d = opendir(dir);
	if (!d)
		return count;
	struct dirent *entry;
	while ((entry = readdir(d))) {
		if (entry->d_name[0] == '.')
			continue;
		char path[1024];
		struct stat st;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, entry->d_name) >= sizeof path ||
		    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		count = search(path, depth - 1, out, max, count);
	}
	closedir(d);
	return count;
}

size_t stm32_drive_find(const char *roots, struct stm32_drive_info *out, size_t max)
{
	char list[2048];
	snprintf(list, sizeof list, "%s", roots && *roots ? roots : DEFAULT_ROOTS);
	size_t count = 0;
	char *save = NULL;
	for (char *root = strtok_r(list, ":", &save); root; root = strtok_r(NULL, ":", &save)) {
		/* The root's folders (/mnt/X) and their folders (/media/USER/X). */
		DIR *d = opendir(root);
		if (!d)
			continue;
		struct dirent *entry;
		while ((entry = readdir(d))) {
			char path[1024];
			struct stat st;
			if (entry->d_name[0] == '.' ||
			    (size_t)snprintf(path, sizeof path, "%s/%s", root, entry->d_name) >= sizeof path ||
			    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			count = search(path, 1, out, max, count);
		}
		closedir(d);
	}
	qsort(out, count < max ? count : max, sizeof *out, by_path);
	return count;
}
