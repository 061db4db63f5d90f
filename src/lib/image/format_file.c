/* Loading and saving image files: the file-system side of the formats.
 *
 * Regular files are mapped, not read, and the pages a parser has finished
 * with are dropped as it goes, so a large text file costs little more memory
 * than the image it describes. Output to a new name or a regular file goes
 * to a temporary file beside it (beside the file a symlink leads to) and is
 * renamed over it only when complete; a device or FIFO is written in place. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/format_internal.h"

#define LOAD_LIMIT 0x100000000ull /* files of 4 GiB or more are refused */

static enum stm32_status io_error(struct stm32_error *err, int error_number, const char *what,
				  const char *name)
{
	stm32_error_set(err, STM32_E_IO, "%s %s: %s", what, name, strerror(error_number));
	if (err)
		err->sys_errno = error_number;
	return STM32_E_IO;
}

/* "name: message", keeping the status, line and address already recorded. */
static void name_the_file(struct stm32_error *err, const char *name)
{
	if (!err)
		return;
	format_prefix_error(err, ": ");
	format_prefix_error(err, name);
}

struct mapped_file {
	const uint8_t *base;
	size_t released;
	size_t page_size;
};

static void release_pages(void *context, size_t bytes_done)
{
	struct mapped_file *map = context;
	size_t upto = bytes_done - bytes_done % map->page_size;
	if (upto <= map->released)
		return;
	madvise((void *)(map->base + map->released), upto - map->released, MADV_DONTNEED);
	map->released = upto;
}

static enum stm32_status parse_named(const struct format_input *in, const char *name,
				     enum stm32_format format, struct stm32_image *image,
				     enum stm32_format *detected, struct stm32_error *err)
{
	enum stm32_status status = format_parse_input(in, format, image, detected, err);
	if (status != STM32_OK)
		name_the_file(err, name);
	return status;
}

static enum stm32_status load_mapped(int fd, const char *name, size_t size,
				     enum stm32_format format, uint32_t binary_base,
				     struct stm32_image *image, enum stm32_format *detected,
				     struct stm32_error *err)
{
	void *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED)
		return io_error(err, errno, "cannot map", name);
	madvise(base, size, MADV_SEQUENTIAL);
	long page_size = sysconf(_SC_PAGESIZE);
	struct mapped_file map = { .base = base, .page_size = page_size > 0 ? (size_t)page_size : 4096 };
	struct format_input in = {
		.data = base,
		.length = size,
		.binary_base = binary_base,
		.consumed = release_pages,
		.context = &map,
	};
	enum stm32_status status = parse_named(&in, name, format, image, detected, err);
	munmap(base, size);
	return status;
}

/* Pipes, terminals and the like: read to the end, within the size limit. */
static enum stm32_status load_stream(int fd, const char *name, enum stm32_format format,
				     uint32_t binary_base, struct stm32_image *image,
				     enum stm32_format *detected, struct stm32_error *err)
{
	size_t capacity = 1 << 16, length = 0;
	uint8_t *buffer = malloc(capacity);
	if (!buffer)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory reading %s", name);
	for (;;) {
		if (length == capacity) {
			if (capacity >= LOAD_LIMIT) {
				free(buffer);
				return stm32_error_set(err, STM32_E_RANGE,
						       "%s is too large (4 GiB or more)", name);
			}
			uint8_t *bigger = realloc(buffer, capacity * 2);
			if (!bigger) {
				free(buffer);
				return stm32_error_set(err, STM32_E_NOMEM, "out of memory reading %s",
						       name);
			}
			buffer = bigger;
			capacity *= 2;
		}
		ssize_t got = read(fd, buffer + length, capacity - length);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			free(buffer);
			return io_error(err, saved, "cannot read", name);
		}
		length += (size_t)got;
	}
	enum stm32_status status;
	if (length == 0) {
		status = stm32_error_set(err, STM32_E_FORMAT, "%s is empty", name);
		stm32_error_reason(err, STM32_REASON_EMPTY_INPUT);
	} else {
		struct format_input in = { .data = buffer, .length = length, .binary_base = binary_base };
		status = parse_named(&in, name, format, image, detected, err);
	}
	free(buffer);
	return status;
}

static enum stm32_status load_descriptor(int fd, const char *path, enum stm32_format format,
					 uint32_t binary_base, struct stm32_image *image,
					 enum stm32_format *detected, struct stm32_error *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return io_error(err, errno, "cannot examine", path);
	if (S_ISDIR(st.st_mode)) {
		stm32_error_set(err, STM32_E_IO, "%s is a directory", path);
		if (err)
			err->sys_errno = EISDIR;
		return STM32_E_IO;
	}
	if (!S_ISREG(st.st_mode))
		return load_stream(fd, path, format, binary_base, image, detected, err);
	/* Checked before reading anything, so a huge sparse file fails at once. */
	if ((unsigned long long)st.st_size >= LOAD_LIMIT)
		return stm32_error_set(err, STM32_E_RANGE,
				       "%s is too large (%lld bytes; files must be under 4 GiB)", path,
				       (long long)st.st_size);
	if (st.st_size == 0) {
		stm32_error_set(err, STM32_E_FORMAT, "%s is empty", path);
		stm32_error_reason(err, STM32_REASON_EMPTY_INPUT);
		return STM32_E_FORMAT;
	}
	return load_mapped(fd, path, (size_t)st.st_size, format, binary_base, image, detected, err);
}

enum stm32_status stm32_format_load(const char *path, enum stm32_format format,
				    uint32_t binary_base, struct stm32_image *image,
				    enum stm32_format *detected, struct stm32_error *err)
{
	stm32_error_clear(err);
	if (!path || !*path || !image)
		return stm32_error_set(err, STM32_E_INVALID, "no input file given");
	if (strcmp(path, "-") == 0)
		return load_stream(STDIN_FILENO, "standard input",
				   format == STM32_FORMAT_AUTO ? STM32_FORMAT_BINARY : format,
				   binary_base, image, detected, err);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return io_error(err, errno, "cannot open", path);
	enum stm32_status status =
		load_descriptor(fd, path, format, binary_base, image, detected, err);
	close(fd);
	return status;
}

/* ---- saving ---- */

/* What to write: the format, and the family ID a UF2 output carries. */
struct save_spec {
	enum stm32_format format;
	uint32_t uf2_family;
};

static enum stm32_status write_image(FILE *out, const struct save_spec *spec,
				     const struct stm32_image *image, struct stm32_error *err)
{
	enum stm32_format format = spec->format;
	switch (format) {
	case STM32_FORMAT_BINARY: return format_binary_write(out, image, err);
	case STM32_FORMAT_IHEX: return format_ihex_write(out, image, err);
	case STM32_FORMAT_SREC: return format_srec_write(out, image, err);
	case STM32_FORMAT_UF2: return format_uf2_write(out, image, spec->uf2_family, err);
	case STM32_FORMAT_DFU: return format_dfu_write(out, image, err);
	case STM32_FORMAT_ELF:
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "writing ELF files is not supported");
	case STM32_FORMAT_AUTO: break;
	}
	return stm32_error_set(err, STM32_E_INVALID, "unknown output format %d", (int)format);
}

/* Open path.tmp-XXXXXX exclusively (mode 0666 less the umask, like any new
 * file). The suffix mixes the pid, the clock and the attempt number. */
static int create_temporary(const char *path, char *name, size_t name_size)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint32_t seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now.tv_nsec ^
			(uint32_t)now.tv_sec * 40503u;
	for (unsigned attempt = 0; attempt < 100; attempt++) {
		seed = seed * 1103515245u + 12345u + attempt;
		snprintf(name, name_size, "%s.tmp-%06X", path, (unsigned)(seed >> 8) & 0xFFFFFFu);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Write the image and flush; a failure is "cannot write NAME: <errno text>". */
static enum stm32_status write_and_flush(FILE *out, const char *name, const struct save_spec *format,
					 const struct stm32_image *image, struct stm32_error *err)
{
	errno = 0;
	enum stm32_status status = write_image(out, format, image, err);
	if (status == STM32_E_IO && err && err->sys_errno)
		return io_error(err, err->sys_errno, "cannot write", name);
	if (status != STM32_OK)
		return status;
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return io_error(err, errno ? errno : EIO, "cannot write", name);
	return STM32_OK;
}

static enum stm32_status save_to_stdout(const struct save_spec *format, const struct stm32_image *image,
					struct stm32_error *err)
{
	return write_and_flush(stdout, "standard output", format, image, err);
}

/* A character device, a FIFO, a socket: written where it is, never
 * replaced (a rename would put a regular file in its place). */
static enum stm32_status save_in_place(const char *path, const struct save_spec *format,
				       const struct stm32_image *image, struct stm32_error *err)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return io_error(err, errno, "cannot open", path);
	FILE *out = fdopen(fd, "wb");
	if (!out) {
		enum stm32_status status = io_error(err, errno, "cannot write", path);
		close(fd);
		return status;
	}
	enum stm32_status status = write_and_flush(out, path, format, image, err);
	if (fclose(out) != 0 && status == STM32_OK)
		status = io_error(err, errno ? errno : EIO, "cannot write", path);
	return status;
}

/* target is the file a new or regular output ends as (the end of any
 * symlinks): the temporary sits beside it, so the rename replaces the
 * file and leaves the links that lead to it. Messages name shown. */
static enum stm32_status save_via_temporary(const char *target, const char *shown,
					    const struct save_spec *format,
					    const struct stm32_image *image,
					    struct stm32_error *err)
{
	size_t name_size = strlen(target) + 16;
	char *temporary = malloc(name_size);
	if (!temporary)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	enum stm32_status status = STM32_OK;
	int fd = create_temporary(target, temporary, name_size);
	if (fd < 0) {
		status = io_error(err, errno, "cannot create", temporary);
		free(temporary);
		return status;
	}
	FILE *out = fdopen(fd, "wb");
	if (!out) {
		status = io_error(err, errno, "cannot write", shown);
		close(fd);
	} else {
		setvbuf(out, NULL, _IOFBF, 1 << 16);
		status = write_and_flush(out, shown, format, image, err);
		int failure = 0;
		if (status == STM32_OK && fsync(fd) != 0)
			failure = errno;
		errno = 0;
		if (fclose(out) != 0 && !failure && status == STM32_OK)
			failure = errno ? errno : EIO;
		if (failure)
			status = io_error(err, failure, "cannot write", shown);
	}
	if (status == STM32_OK && rename(temporary, target) != 0)
		status = io_error(err, errno, "cannot rename the finished file to", target);
	if (status != STM32_OK)
		unlink(temporary);
	free(temporary);
	return status;
}

#define SYMLINK_HOPS 40 /* as the kernel's MAXSYMLINKS */

/* Follow path's symlinks to the name they end at: *target (malloc'd) and,
 * when something is there, its *st (*exists). A dangling link ends at the
 * name it points to, which the save then creates. */
static enum stm32_status resolve_output(const char *path, char **target, bool *exists,
					struct stat *st, struct stm32_error *err)
{
	char *current = strdup(path);
	if (!current)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
	for (unsigned hop = 0;; hop++) {
		if (lstat(current, st) != 0) {
			int error_number = errno;
			if (error_number == ENOENT) {
				*exists = false;
				*target = current;
				return STM32_OK;
			}
			free(current);
			return io_error(err, error_number, "cannot examine", path);
		}
		if (!S_ISLNK(st->st_mode)) {
			*exists = true;
			*target = current;
			return STM32_OK;
		}
		if (hop == SYMLINK_HOPS) {
			free(current);
			return io_error(err, ELOOP, "cannot follow", path);
		}
		size_t room = (size_t)st->st_size + 1 > 256 ? (size_t)st->st_size + 1 : 256;
		char *link = malloc(room);
		ssize_t length = link ? readlink(current, link, room) : -1;
		if (length < 0 || (size_t)length >= room) {
			int error_number = link ? (length < 0 ? errno : ENAMETOOLONG) : ENOMEM;
			free(link);
			free(current);
			return io_error(err, error_number, "cannot follow", path);
		}
		link[length] = '\0';
		const char *slash = strrchr(current, '/');
		char *next;
		if (link[0] == '/' || !slash) {
			next = link;
		} else {
			size_t dir = (size_t)(slash - current) + 1;
			next = malloc(dir + (size_t)length + 1);
			if (next) {
				memcpy(next, current, dir);
				memcpy(next + dir, link, (size_t)length + 1);
			}
			free(link);
		}
		free(current);
		if (!next)
			return stm32_error_set(err, STM32_E_NOMEM, "out of memory");
		current = next;
	}
}

enum stm32_status stm32_format_save(const char *path, enum stm32_format format,
				    const struct stm32_image *image, struct stm32_error *err)
{
	return stm32_format_save_family(path, format, image, 0, err);
}

enum stm32_status stm32_format_save_family(const char *path, enum stm32_format format,
					   const struct stm32_image *image, uint32_t uf2_family,
					   struct stm32_error *err)
{
	stm32_error_clear(err);
	if (!path || !*path || !image)
		return stm32_error_set(err, STM32_E_INVALID, "no output file given");
	bool to_stdout = strcmp(path, "-") == 0;
	if (format == STM32_FORMAT_AUTO)
		format = to_stdout ? STM32_FORMAT_BINARY : stm32_format_from_extension(path);
	struct save_spec spec = {.format = format, .uf2_family = uf2_family};
	if (format != STM32_FORMAT_BINARY && format != STM32_FORMAT_IHEX &&
	    format != STM32_FORMAT_SREC && format != STM32_FORMAT_UF2 &&
	    format != STM32_FORMAT_DFU)
		return write_image(NULL, &spec, image, err);
	if (to_stdout)
		return save_to_stdout(&spec, image, err);
	char *target = NULL;
	bool exists = false;
	struct stat st;
	enum stm32_status status = resolve_output(path, &target, &exists, &st, err);
	if (status != STM32_OK)
		return status;
	if (exists && S_ISDIR(st.st_mode)) {
		stm32_error_set(err, STM32_E_IO, "%s is a directory", path);
		if (err)
			err->sys_errno = EISDIR;
		status = STM32_E_IO;
	} else if (exists && !S_ISREG(st.st_mode)) {
		status = save_in_place(target, &spec, image, err);
	} else {
		status = save_via_temporary(target, path, &spec, image, err);
	}
	free(target);
	return status;
}
