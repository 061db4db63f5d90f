/* The drive back end's target: write_image only. ST-LINK: the image as
 * Intel HEX under a name the firmware ignores, fsync'ed, renamed to
 * FIRMWARE.HEX; then the wait for the drive to take it (go away, come back
 * without the file) and FAIL.TXT. UF2: NEW.UF2 in the chip family's blocks;
 * success is the drive going away. A failed copy leaves no file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stm32boot/drive.h"
#include "stm32boot/format.h"

#include "core/named_transport.h"
#include "core/util.h"

#define DRIVE_PREFIX "drive:"
#define POLL_MS 10u
#define STLINK_NAME "FIRMWARE.HEX"
#define STLINK_TEMPORARY "FIRMWARE.TMP"
#define UF2_NAME "NEW.UF2"

struct drive {
	struct stm32_target target;
	struct stm32_drive_info info;
	unsigned timeout_ms;
};

void stm32_drive_options_default(struct stm32_drive_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->timeout_ms = 30000;
}

bool stm32_port_is_drive(const char *port)
{
	return port && strncmp(port, DRIVE_PREFIX, strlen(DRIVE_PREFIX)) == 0;
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* Write bytes to dir/temporary, fsync, rename to dir/name, fsync dir; on
 * any failure nothing is left. */
static enum stm32_status place_file(const struct drive *d, const char *temporary, const char *name,
				    const uint8_t *data, size_t length, struct stm32_error *err)
{
	char tmp_path[1100], final_path[1100];
	join(tmp_path, sizeof tmp_path, d->info.path, temporary);
	join(final_path, sizeof final_path, d->info.path, name);
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		stm32_error_set(err, STM32_E_IO, "cannot create %s: %s", tmp_path, strerror(errno));
		err->sys_errno = errno;
		return STM32_E_IO;
	}
	size_t done = 0;
	int failure = 0;
	while (done < length && !failure) {
		ssize_t n = write(fd, data + done, length - done);
		if (n < 0 && errno != EINTR)
			failure = errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (!failure && fsync(fd) != 0)
		failure = errno;
	if (close(fd) != 0 && !failure)
		failure = errno;
	if (!failure && strcmp(temporary, name) != 0 && rename(tmp_path, final_path) != 0)
		failure = errno;
	if (failure) {
		unlink(tmp_path);
		stm32_error_set(err, STM32_E_IO, "cannot write %s: %s", final_path, strerror(failure));
		err->sys_errno = failure;
		return STM32_E_IO;
	}
	int dir = open(d->info.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	return STM32_OK;
}

static bool marker_present(const struct drive *d)
{
	struct stm32_drive_info now;
	return stm32_drive_probe(d->info.path, &now) && now.kind == d->info.kind;
}

static bool file_present(const char *dir, const char *name, struct stat *st)
{
	char path[1100];
	struct stat local;
	join(path, sizeof path, dir, name);
	return stat(path, st ? st : &local) == 0;
}

/* FAIL.TXT's text on one line ("; " between its lines). */
static void read_fail(const char *dir, char *out, size_t size)
{
	char path[1100], text[1024];
	join(path, sizeof path, dir, "FAIL.TXT");
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	size_t used = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ')
			line++;
		if (!*line)
			continue;
		int w = snprintf(out + used, size - used, "%s%s", used ? "; " : "", line);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
}

static enum stm32_status stlink_write(struct drive *d, const struct stm32_image *image,
				      struct stm32_error *err)
{
	const struct stm32_device *dev = d->target.desc.device;
	for (size_t i = 0; i < image->count; i++)
		if (!stm32_device_in_flash(dev, image->segments[i].address, image->segments[i].length))
			return stm32_error_set(err, STM32_E_RANGE,
					       "0x%08X-0x%08X is outside the %s's flash "
					       "(0x%08X-0x%08X): the drive cannot write it",
					       (unsigned)image->segments[i].address,
					       (unsigned)(image->segments[i].address +
							  image->segments[i].length - 1),
					       dev->name, (unsigned)dev->flash_start,
					       (unsigned)(dev->flash_start + dev->flash_size - 1));
	/* The HEX text goes to a private temporary first (the format layer
	 * writes files), then its bytes to the drive. */
	char local[] = "/tmp/stm32boot-drive-XXXXXX.hex";
	int fd = mkstemps(local, 4);
	if (fd < 0)
		return stm32_error_set(err, STM32_E_IO, "cannot create a temporary file: %s",
				       strerror(errno));
	close(fd);
	enum stm32_status s = stm32_format_save(local, STM32_FORMAT_IHEX, image, err);
	uint8_t *bytes = NULL;
	size_t size = 0;
	if (s == STM32_OK) {
		FILE *f = fopen(local, "rb");
		struct stat st;
		if (f && fstat(fileno(f), &st) == 0 && (bytes = malloc((size_t)st.st_size + 1)) &&
		    fread(bytes, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
			size = (size_t)st.st_size;
		else
			s = stm32_error_set(err, STM32_E_IO, "cannot read back %s", local);
		if (f)
			fclose(f);
	}
	unlink(local);
	if (s != STM32_OK) {
		free(bytes);
		return s;
	}
	struct stat fail_before;
	bool had_fail = file_present(d->info.path, "FAIL.TXT", &fail_before);
	s = place_file(d, STLINK_TEMPORARY, STLINK_NAME, bytes, size, err);
	free(bytes);
	if (s != STM32_OK)
		return s;
	/* Wait: the drive goes away, comes back, the file is gone. */
	uint64_t deadline = core_monotonic_ms() + d->timeout_ms;
	bool went_away = false;
	for (;;) {
		/* The file first, then the drive: a drive that goes away between
		 * the two looks away, never "back without the file". */
		bool file_gone = !file_present(d->info.path, STLINK_NAME, NULL);
		bool present = marker_present(d);
		if (!present)
			went_away = true;
		else if (file_gone)
			break;
		if (core_monotonic_ms() >= deadline) {
			if (present) {
				char path[1100];
				join(path, sizeof path, d->info.path, STLINK_NAME);
				unlink(path);
				return stm32_error_set(err, STM32_E_TIMEOUT,
						       "%s did not take the file within %u ms (it was "
						       "still there; removed)", d->info.path, d->timeout_ms);
			}
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "%s went away and did not come back within %u ms",
					       d->info.path, d->timeout_ms);
		}
		core_sleep_ms(POLL_MS);
	}
	struct stat fail_after;
	if (file_present(d->info.path, "FAIL.TXT", &fail_after) &&
	    (!had_fail || went_away || fail_after.st_mtime != fail_before.st_mtime ||
	     fail_after.st_ino != fail_before.st_ino)) {
		char text_fail[600];
		read_fail(d->info.path, text_fail, sizeof text_fail);
		return stm32_error_set(err, STM32_E_NACK, "the drive refused the file: FAIL.TXT says \"%s\"",
				       text_fail[0] ? text_fail : "(empty)");
	}
	return STM32_OK;
}

static enum stm32_status uf2_write(struct drive *d, const struct stm32_image *image,
				   struct stm32_error *err)
{
	const struct stm32_device *dev = d->target.desc.device;
	if (!dev->uf2_family)
		return stm32_error_set(err, STM32_E_UNSUPPORTED,
				       "the device table has no UF2 family ID for %s", dev->name);
	for (size_t i = 0; i < image->count; i++)
		if (!stm32_device_in_flash(dev, image->segments[i].address, image->segments[i].length))
			return stm32_error_set(err, STM32_E_RANGE,
					       "0x%08X-0x%08X is outside the %s's flash: the drive "
					       "cannot write it", (unsigned)image->segments[i].address,
					       (unsigned)(image->segments[i].address +
							  image->segments[i].length - 1), dev->name);
	uint8_t *blocks;
	size_t length;
	enum stm32_status s = stm32_format_uf2_encode(image, dev->uf2_family, &blocks, &length, err);
	if (s != STM32_OK)
		return s;
	/* The firmware reads blocks, not names: NEW.UF2 directly, removed on failure. */
	s = place_file(d, UF2_NAME, UF2_NAME, blocks, length, err);
	free(blocks);
	if (s != STM32_OK)
		return s;
	uint64_t deadline = core_monotonic_ms() + d->timeout_ms;
	while (marker_present(d)) {
		if (core_monotonic_ms() >= deadline) {
			char path[1100];
			join(path, sizeof path, d->info.path, UF2_NAME);
			unlink(path);
			return stm32_error_set(err, STM32_E_TIMEOUT,
					       "%s did not reset within %u ms after NEW.UF2 (wrong "
					       "family, or an address the bootloader refuses?); removed "
					       "the file", d->info.path, d->timeout_ms);
		}
		core_sleep_ms(POLL_MS);
	}
	return STM32_OK;
}

static enum stm32_status drive_write_image(struct stm32_target *t, const struct stm32_image *image,
					   struct stm32_error *err)
{
	struct drive *d = t->backend;
	if (stm32_image_size(image) == 0)
		return stm32_error_set(err, STM32_E_INVALID, "nothing to write");
	return d->info.kind == STM32_DRIVE_UF2 ? uf2_write(d, image, err) : stlink_write(d, image, err);
}

static void drive_close(struct stm32_target *t)
{
	free(t->backend);
}

static enum stm32_status not_through_drive(struct stm32_error *err, const char *what)
{
	return stm32_error_set(err, STM32_E_UNSUPPORTED, "a drive cannot %s: it only takes a whole image",
			       what);
}

static enum stm32_status drive_read(struct stm32_target *t, uint32_t a, uint8_t *p, size_t n,
				    struct stm32_error *err)
{
	(void)t, (void)a, (void)p, (void)n;
	return not_through_drive(err, "read memory");
}

static enum stm32_status drive_write(struct stm32_target *t, uint32_t a, const uint8_t *p,
				     size_t n, struct stm32_error *err)
{
	(void)t, (void)a, (void)p, (void)n;
	return not_through_drive(err, "write single blocks");
}

static enum stm32_status drive_erase(struct stm32_target *t, const struct stm32_erase_request *r,
				     struct stm32_error *err)
{
	(void)t, (void)r;
	return not_through_drive(err, "erase");
}

static const struct stm32_target_ops drive_ops = {
	.read = drive_read, .write = drive_write, .erase = drive_erase,
	.write_image = drive_write_image, .close = drive_close,
};

bool stm32_drive_target_info(const struct stm32_target *target, struct stm32_drive_info *info)
{
	if (!target || target->ops != &drive_ops)
		return false;
	*info = ((const struct drive *)target->backend)->info;
	return true;
}

#define MAX_DRIVES 16

/* "drive:[PATH][,device=NAME][,timeout=MS]": the options go into *opts. */
static enum stm32_status parse_port(const char *port, char *path, size_t size,
				    struct stm32_drive_options *opts, struct stm32_error *err)
{
	const char *spec = port + strlen(DRIVE_PREFIX);
	const char *comma = strchr(spec, ',');
	size_t length = comma ? (size_t)(comma - spec) : strlen(spec);
	if (length >= size)
		return stm32_error_set(err, STM32_E_INVALID, "%s: path too long", port);
	memcpy(path, spec, length);
	path[length] = '\0';
	while (comma) {
		const char *item = comma + 1;
		comma = strchr(item, ',');
		size_t n = comma ? (size_t)(comma - item) : strlen(item);
		char value[80];
		if (n >= sizeof value)
			return stm32_error_set(err, STM32_E_INVALID, "%s: option too long", port);
		if (n > 7 && strncmp(item, "device=", 7) == 0) {
			memcpy(value, item + 7, n - 7);
			value[n - 7] = '\0';
			opts->device = stm32_device_find(value);
			if (!opts->device)
				return stm32_error_set(err, STM32_E_UNKNOWN_DEVICE,
						       "%s: unknown device '%s'", port, value);
		} else if (n > 8 && strncmp(item, "timeout=", 8) == 0) {
			memcpy(value, item + 8, n - 8);
			value[n - 8] = '\0';
			char *end;
			errno = 0;
			unsigned long ms = strtoul(value, &end, 10);
			if (errno || *end || end == value || ms == 0 || ms > 3600000)
				return stm32_error_set(err, STM32_E_INVALID,
						       "%s: bad timeout '%s' (milliseconds, 1-3600000)",
						       port, value);
			opts->timeout_ms = (unsigned)ms;
		} else {
			return stm32_error_set(err, STM32_E_INVALID,
					       "%s: unknown option '%.*s' (device=NAME, timeout=MS)",
					       port, (int)n, item);
		}
	}
	return STM32_OK;
}

static enum stm32_status choose_drive(const char *path, const struct stm32_drive_options *opts,
				      struct stm32_drive_info *info, struct stm32_error *err)
{
	if (*path) {
		if (!stm32_drive_probe(path, info))
			return stm32_error_set(err, STM32_E_IO,
					       "%s is not a flashing drive (no DETAILS.TXT, MBED.HTM "
					       "or INFO_UF2.TXT there)", path);
		return STM32_OK;
	}
	struct stm32_drive_info found[MAX_DRIVES];
	size_t count = stm32_drive_find(opts->roots, found, MAX_DRIVES);
	const char *where = opts->roots && *opts->roots ? opts->roots : "/media:/run/media:/mnt";
	if (count == 0)
		return stm32_error_set(err, STM32_E_IO, "no flashing drive mounted under %s", where);
	if (count > 1) {
		char list[400] = "";
		size_t used = 0;
		for (size_t i = 0; i < count && i < MAX_DRIVES; i++) {
			int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
					 found[i].path);
			if (w < 0 || (size_t)w >= sizeof list - used)
				break;
			used += (size_t)w;
		}
		return stm32_error_set(err, STM32_E_BUSY, "%zu flashing drives mounted (%s): name one "
				       "as drive:PATH", count, list);
	}
	*info = found[0];
	return STM32_OK;
}

enum stm32_status stm32_drive_open_port(const char *port, const struct stm32_drive_options *opts,
					struct stm32_transport **transport,
					struct stm32_target **out, struct stm32_error *err)
{
	stm32_error_clear(err);
	*transport = NULL;
	*out = NULL;
	struct stm32_drive_options local;
	if (opts)
		local = *opts;
	else
		stm32_drive_options_default(&local);
	opts = &local;
	if (!stm32_port_is_drive(port))
		return stm32_error_set(err, STM32_E_INVALID, "%s is not a drive: port", port);
	char path[512];
	struct stm32_drive_info info;
	enum stm32_status s = parse_port(port, path, sizeof path, &local, err);
	if (s == STM32_OK)
		s = choose_drive(path, opts, &info, err);
	if (s != STM32_OK) {
		err->op = STM32_OP_CONNECT;
		return s;
	}
	const struct stm32_device *dev = opts->device ? opts->device : info.device;
	if (!dev) {
		stm32_error_set(err, STM32_E_UNKNOWN_DEVICE,
				"%s: the drive does not say which chip it has (%s%s): name it "
				"(drive:PATH,device=NAME)", info.path,
				info.board_id[0] ? "board ID " : "no board ID",
				info.board_id);
		err->op = STM32_OP_CONNECT;
		return STM32_E_UNKNOWN_DEVICE;
	}
	struct drive *d = calloc(1, sizeof *d);
	if (!d)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	d->info = info;
	d->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 30000;
	d->target.ops = &drive_ops;
	d->target.backend = d;
	d->target.desc.name = "drive";
	d->target.desc.device = dev;
	d->target.desc.caps = STM32_CAP_WRITE_IMAGE;
	d->target.desc.max_read = 0;
	d->target.desc.max_write = 0;
	char description[700];
	snprintf(description, sizeof description, "%s %s%s%s%s%s%s",
		 info.kind == STM32_DRIVE_UF2 ? "UF2" : "ST-LINK", info.path,
		 info.model[0] || info.board_id[0] ? " (" : "", info.model,
		 info.model[0] && info.board_id[0] ? ", board " : info.board_id[0] ? "board " : "",
		 info.board_id[0] ? info.board_id : "", info.model[0] || info.board_id[0] ? ")" : "");
	*transport = core_named_transport("drive", "a drive", description);
	if (!*transport) {
		free(d);
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	}
	*out = &d->target;
	return STM32_OK;
}
