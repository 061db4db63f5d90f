/* Format front end: names, detection, extension mapping, loading files
 * (and refusing bad ones), saving via a temporary file, and round trips. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "test_format_util.h"

/* ---- names and detection ---- */

static void names_and_parsing(void **state)
{
	(void)state;
	assert_string_equal(stm32_format_name(STM32_FORMAT_BINARY), "binary");
	assert_string_equal(stm32_format_name(STM32_FORMAT_IHEX), "Intel HEX");
	assert_string_equal(stm32_format_name(STM32_FORMAT_SREC), "S-record");
	assert_string_equal(stm32_format_name(STM32_FORMAT_ELF), "ELF");
	assert_int_equal(stm32_format_parse("bin"), STM32_FORMAT_BINARY);
	assert_int_equal(stm32_format_parse("HEX"), STM32_FORMAT_IHEX);
	assert_int_equal(stm32_format_parse("ihex"), STM32_FORMAT_IHEX);
	assert_int_equal(stm32_format_parse("srec"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_parse("s19"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_parse("s37"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_parse("elf"), STM32_FORMAT_ELF);
	assert_int_equal(stm32_format_parse("zip"), STM32_FORMAT_AUTO);
	assert_int_equal(stm32_format_parse(""), STM32_FORMAT_AUTO);
}

static void extension_mapping(void **state)
{
	(void)state;
	assert_int_equal(stm32_format_from_extension("fw.hex"), STM32_FORMAT_IHEX);
	assert_int_equal(stm32_format_from_extension("dir/fw.IHEX"), STM32_FORMAT_IHEX);
	assert_int_equal(stm32_format_from_extension("fw.srec"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_from_extension("fw.s19"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_from_extension("fw.s28"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_from_extension("fw.S37"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_from_extension("fw.mot"), STM32_FORMAT_SREC);
	assert_int_equal(stm32_format_from_extension("fw.bin"), STM32_FORMAT_BINARY);
	assert_int_equal(stm32_format_from_extension("fw.elf"), STM32_FORMAT_BINARY);
	assert_int_equal(stm32_format_from_extension("fw"), STM32_FORMAT_BINARY);
	assert_int_equal(stm32_format_from_extension("a.hex/fw"), STM32_FORMAT_BINARY);
	assert_int_equal(stm32_format_from_extension(".hex"), STM32_FORMAT_BINARY);
}

static enum stm32_format detect(const char *text)
{
	return stm32_format_detect((const uint8_t *)text, strlen(text));
}

static void detection_by_content(void **state)
{
	(void)state;
	assert_int_equal(detect("\x7F" "ELF\x01\x01"), STM32_FORMAT_ELF);
	assert_int_equal(detect(":00000001FF\n"), STM32_FORMAT_IHEX);
	assert_int_equal(detect("\r\n\n  :020000040800F2\r\n"), STM32_FORMAT_IHEX);
	assert_int_equal(detect("S0030000FC\n"), STM32_FORMAT_SREC);
	assert_int_equal(detect("\nS1070010DEADBEEFB0"), STM32_FORMAT_SREC);
	/* not all hex on the first line: binary */
	assert_int_equal(detect(":0000 hello\n"), STM32_FORMAT_BINARY);
	assert_int_equal(detect("Subject: hi\n"), STM32_FORMAT_BINARY);
	assert_int_equal(detect("SX030000FC\n"), STM32_FORMAT_BINARY);
	assert_int_equal(detect("\x7F" "EL"), STM32_FORMAT_BINARY);
	assert_int_equal(detect(""), STM32_FORMAT_BINARY);
	assert_int_equal(detect("   \n"), STM32_FORMAT_BINARY);
	uint8_t vectors[8] = { 0x00, 0x50, 0x00, 0x20, 0x09, 0x01, 0x00, 0x08 };
	assert_int_equal(stm32_format_detect(vectors, sizeof(vectors)), STM32_FORMAT_BINARY);
	/* A text file whose first line is longer than any record: binary. */
	char long_line[2048];
	long_line[0] = ':';
	memset(long_line + 1, '0', sizeof(long_line) - 2);
	long_line[sizeof(long_line) - 1] = '\0';
	assert_int_equal(detect(long_line), STM32_FORMAT_BINARY);
}

static void binary_placed_at_base_and_forced(void **state)
{
	(void)state;
	const char *text = ":00000001FF\n";
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_parse_buffer((const uint8_t *)text, strlen(text),
						   STM32_FORMAT_BINARY, 0x08004000, &image,
						   &detected, &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_BINARY);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x08004000);
	assert_bytes_at(&image, 0x08004000, (const uint8_t *)text, strlen(text));
	assert_false(image.has_entry);
	stm32_image_free(&image);

	stm32_image_init(&image);
	assert_int_equal(stm32_format_parse_buffer((const uint8_t *)"", 0, STM32_FORMAT_BINARY, 0,
						   &image, NULL, &err),
			 STM32_E_FORMAT);
	assert_non_null(strstr(err.message, "is empty"));

	uint8_t four[4] = { 1, 2, 3, 4 };
	assert_int_equal(stm32_format_parse_buffer(four, 4, STM32_FORMAT_BINARY, 0xFFFFFFFE, &image,
						   NULL, &err),
			 STM32_E_RANGE);
	assert_int_equal(image.count, 0);
}

static void parse_refuses_a_non_empty_image(void **state)
{
	(void)state;
	struct stm32_image image;
	struct stm32_error err;
	uint8_t one = 1;
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0, &one, 1, &err), STM32_OK);
	assert_int_equal(stm32_format_parse_buffer(&one, 1, STM32_FORMAT_BINARY, 8, &image, NULL,
						   &err),
			 STM32_E_INVALID);
	assert_int_equal(image.count, 1);
	stm32_image_free(&image);
}

/* ---- loading ---- */

static void load_names_file_and_line(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	const char *text = ":0400000001020304F2\n:0400040001020304F3\n";
	const char *path = scratch_path(&s, "bad.hex");
	write_file(path, text, strlen(text));
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_AUTO, 0, &image, NULL, &err),
			 STM32_E_FORMAT);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, path));
	assert_non_null(strstr(err.message, "line 2"));
	assert_int_equal(image.count, 0);
	scratch_close(&s);
}

static void load_detects_and_maps(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	char text[256] = "";
	uint8_t upper[2] = { 0x08, 0x00 }, data[3] = { 9, 8, 7 };
	append_ihex(text, 0x04, 0, upper, 2);
	append_ihex(text, 0x00, 0x100, data, 3);
	strcat(text, ":00000001FF\n");
	const char *path = scratch_path(&s, "fw.bin"); /* content wins over the name */
	write_file(path, text, strlen(text));
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_AUTO, 0, &image, &detected, &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_IHEX);
	assert_bytes_at(&image, 0x08000100, data, 3);
	stm32_image_free(&image);

	stm32_image_init(&image);
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_BINARY, 0x08000000, &image, &detected,
					   &err),
			 STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_BINARY);
	assert_int_equal(stm32_image_size(&image), strlen(text));
	stm32_image_free(&image);
	scratch_close(&s);
}

static void load_refuses_directory_missing_and_empty(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);

	assert_int_equal(stm32_format_load(s.dir, STM32_FORMAT_AUTO, 0, &image, NULL, &err),
			 STM32_E_IO);
	assert_non_null(strstr(err.message, "is a directory"));
	assert_non_null(strstr(err.message, s.dir));

	const char *missing = scratch_path(&s, "missing.hex");
	assert_int_equal(stm32_format_load(missing, STM32_FORMAT_AUTO, 0, &image, NULL, &err),
			 STM32_E_IO);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.message, missing));
	assert_non_null(strstr(err.message, strerror(ENOENT)));

	const char *empty = scratch_path(&s, "empty.bin");
	write_file(empty, "", 0);
	assert_int_equal(stm32_format_load(empty, STM32_FORMAT_AUTO, 0, &image, NULL, &err),
			 STM32_E_FORMAT);
	assert_non_null(strstr(err.message, "is empty"));
	assert_int_equal(image.count, 0);
	scratch_close(&s);
}

/* A 4 GiB sparse file is refused from its size alone (reading it would take
 * minutes and 4 GiB of memory; this test would time out instead). */
static void load_refuses_4_gib_file(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	const char *path = scratch_path(&s, "huge.bin");
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	if (ftruncate(fd, 0x100000000ll) != 0)
		fail_msg("cannot make a 4 GiB sparse file: %s", strerror(errno));
	close(fd);
	struct stm32_image image;
	struct stm32_error err;
	stm32_image_init(&image);
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_AUTO, 0, &image, NULL, &err),
			 STM32_E_RANGE);
	assert_non_null(strstr(err.message, "too large"));
	assert_non_null(strstr(err.message, path));
	assert_int_equal(image.count, 0);
	scratch_close(&s);
}

/* Unreadable file: as root, permission bits do not stop reads, so the load
 * runs in a child that has given up root. */
static void load_refuses_unreadable_file(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	assert_int_equal(chmod(s.dir, 0755), 0);
	const char *path = scratch_path(&s, "secret.bin");
	write_file(path, "abc", 3);
	assert_int_equal(chmod(path, 0000), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (geteuid() == 0) {
			struct passwd *nobody = getpwnam("nobody");
			uid_t uid = nobody ? nobody->pw_uid : 65534;
			gid_t gid = nobody ? nobody->pw_gid : 65534;
			if (setgid(gid) != 0 || setuid(uid) != 0)
				_exit(10);
		}
		struct stm32_image image;
		struct stm32_error err;
		stm32_image_init(&image);
		enum stm32_status st = stm32_format_load(path, STM32_FORMAT_AUTO, 0, &image, NULL,
							 &err);
		if (st != STM32_E_IO)
			_exit(11);
		if (err.sys_errno != EACCES || !strstr(err.message, strerror(EACCES)) ||
		    !strstr(err.message, path))
			_exit(12);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	scratch_close(&s);
}

static void load_stdin_is_binary(void **state)
{
	(void)state;
	int pipe_fds[2];
	assert_int_equal(pipe(pipe_fds), 0);
	const char *text = ":00000001FF\n"; /* would be HEX if detected */
	assert_int_equal(write(pipe_fds[1], text, strlen(text)), (ssize_t)strlen(text));
	close(pipe_fds[1]);
	int saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(pipe_fds[0], STDIN_FILENO) >= 0);
	close(pipe_fds[0]);
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected;
	stm32_image_init(&image);
	enum stm32_status st =
		stm32_format_load("-", STM32_FORMAT_AUTO, 0x08000000, &image, &detected, &err);
	assert_true(dup2(saved, STDIN_FILENO) >= 0);
	close(saved);
	assert_int_equal(st, STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_BINARY);
	assert_bytes_at(&image, 0x08000000, (const uint8_t *)text, strlen(text));
	stm32_image_free(&image);
}

/* ---- saving ---- */

static void fill_random(uint8_t *data, size_t length, uint32_t *seed)
{
	for (size_t i = 0; i < length; i++) {
		*seed = *seed * 1664525u + 1013904223u;
		data[i] = (uint8_t)(*seed >> 24);
	}
}

/* About 1 MiB in several segments: one crossing a 64 KiB boundary, one
 * ending at the top of the address space, odd lengths. */
static void build_large_image(struct stm32_image *image, bool with_entry)
{
	static const struct {
		uint32_t address, length;
	} spans[] = {
		{ 0x00000010, 0x3 },
		{ 0x0800FF00, 0xC0001 },
		{ 0x08100003, 0x20000 },
		{ 0x20000000, 0x1234 },
		{ 0xFFFFFF00, 0x100 },
	};
	uint32_t seed = 12345;
	stm32_image_init(image);
	for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		uint8_t *data = malloc(spans[i].length);
		assert_non_null(data);
		fill_random(data, spans[i].length, &seed);
		assert_int_equal(stm32_image_add(image, spans[i].address, data, spans[i].length, NULL),
				 STM32_OK);
		free(data);
	}
	image->has_entry = with_entry;
	image->entry = with_entry ? 0x0800FF01 : 0;
}

static void round_trip(enum stm32_format format, const char *name, bool with_entry)
{
	struct scratch s;
	scratch_open(&s);
	struct stm32_image original, loaded;
	struct stm32_error err;
	build_large_image(&original, with_entry);
	const char *path = scratch_path(&s, name);
	assert_int_equal(stm32_format_save(path, STM32_FORMAT_AUTO, &original, &err), STM32_OK);
	assert_int_equal(count_entries(s.dir), 1); /* no temporary left behind */
	enum stm32_format detected;
	stm32_image_init(&loaded);
	if (stm32_format_load(path, STM32_FORMAT_AUTO, 0, &loaded, &detected, &err) != STM32_OK)
		fail_msg("reload failed: %s", err.message);
	assert_int_equal(detected, format);
	assert_images_equal(&original, &loaded);
	stm32_image_free(&original);
	stm32_image_free(&loaded);
	scratch_close(&s);
}

static void round_trip_ihex(void **state)
{
	(void)state;
	round_trip(STM32_FORMAT_IHEX, "fw.hex", true);
	round_trip(STM32_FORMAT_IHEX, "fw.ihex", false);
}

static void round_trip_srec(void **state)
{
	(void)state;
	round_trip(STM32_FORMAT_SREC, "fw.s37", true);
	round_trip(STM32_FORMAT_SREC, "fw.srec", false);
}

static void round_trip_binary(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image original, loaded;
	struct stm32_error err;
	uint8_t data[0x3000];
	uint32_t seed = 99;
	fill_random(data, sizeof(data), &seed);
	stm32_image_init(&original);
	assert_int_equal(stm32_image_add(&original, 0x08000000, data, sizeof(data), NULL), STM32_OK);
	const char *path = scratch_path(&s, "fw.bin");
	assert_int_equal(stm32_format_save(path, STM32_FORMAT_AUTO, &original, &err), STM32_OK);
	stm32_image_init(&loaded);
	assert_int_equal(stm32_format_load(path, STM32_FORMAT_AUTO, 0x08000000, &loaded, NULL, &err),
			 STM32_OK);
	assert_images_equal(&original, &loaded);
	stm32_image_free(&original);
	stm32_image_free(&loaded);
	scratch_close(&s);
}

static void binary_save_fills_gaps(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image image;
	struct stm32_error err;
	uint8_t a[3] = { 1, 2, 3 }, b[2] = { 4, 5 };
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0x08000010, a, 3, NULL), STM32_OK);
	assert_int_equal(stm32_image_add(&image, 0x08001000, b, 2, NULL), STM32_OK);
	const char *path = scratch_path(&s, "out.dat");
	assert_int_equal(stm32_format_save(path, STM32_FORMAT_AUTO, &image, &err), STM32_OK);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t got[0x2000];
	size_t n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, 0x1000 - 0x10 + 2);
	assert_memory_equal(got, a, 3);
	for (size_t i = 3; i < 0x1000 - 0x10; i++)
		assert_int_equal(got[i], 0xFF);
	assert_memory_equal(got + 0x1000 - 0x10, b, 2);
	stm32_image_free(&image);
	scratch_close(&s);
}

static void save_writes_expected_ihex_and_srec_text(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image image;
	struct stm32_error err;
	uint8_t data[4] = { 0x01, 0x02, 0x03, 0x04 };
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0x08000000, data, 4, NULL), STM32_OK);
	image.has_entry = true;
	image.entry = 0x08000131;
	const char *path = scratch_path(&s, "x.txt");
	assert_int_equal(stm32_format_save(path, STM32_FORMAT_IHEX, &image, &err), STM32_OK);
	char text[512] = "", want[512] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	uint8_t upper[2] = { 0x08, 0x00 }, entry[4] = { 0x08, 0x00, 0x01, 0x31 };
	append_ihex(want, 0x04, 0, upper, 2);
	append_ihex(want, 0x00, 0, data, 4);
	append_ihex(want, 0x05, 0, entry, 4);
	strcat(want, ":00000001FF\n");
	assert_string_equal(text, want);

	assert_int_equal(stm32_format_save(path, STM32_FORMAT_SREC, &image, &err), STM32_OK);
	f = fopen(path, "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	want[0] = '\0';
	append_srec(want, 0, 0, (const uint8_t *)"stm32boot", 9);
	append_srec(want, 3, 0x08000000, data, 4);
	append_srec(want, 5, 1, NULL, 0);
	append_srec(want, 7, 0x08000131, NULL, 0);
	assert_string_equal(text, want);
	stm32_image_free(&image);
	scratch_close(&s);
}

static void save_failure_leaves_nothing(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image image;
	struct stm32_error err;
	uint8_t one = 0x42;
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0, &one, 1, NULL), STM32_OK);

	/* target is a directory: rename fails, temporary removed */
	const char *sub = scratch_path(&s, "target.hex");
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(stm32_format_save(sub, STM32_FORMAT_AUTO, &image, &err), STM32_E_IO);
	assert_non_null(strstr(err.message, sub));
	assert_int_equal(count_entries(s.dir), 1);

	/* directory does not exist */
	const char *missing = scratch_path(&s, "no/such/dir/x.hex");
	assert_int_equal(stm32_format_save(missing, STM32_FORMAT_AUTO, &image, &err), STM32_E_IO);
	assert_int_equal(err.sys_errno, ENOENT);

	/* ELF output is not offered */
	assert_int_equal(stm32_format_save(scratch_path(&s, "x.elf"), STM32_FORMAT_ELF, &image, &err),
			 STM32_E_UNSUPPORTED);
	assert_int_equal(count_entries(s.dir), 1);

	/* an existing file is replaced whole */
	const char *existing = scratch_path(&s, "keep.bin");
	write_file(existing, "old contents", 12);
	assert_int_equal(stm32_format_save(existing, STM32_FORMAT_AUTO, &image, &err), STM32_OK);
	struct stat st;
	assert_int_equal(stat(existing, &st), 0);
	assert_int_equal(st.st_size, 1);
	stm32_image_free(&image);
	scratch_close(&s);
}

static void save_dash_writes_stdout(void **state)
{
	(void)state;
	struct scratch s;
	scratch_open(&s);
	struct stm32_image image;
	struct stm32_error err;
	uint8_t data[3] = { 'a', 'b', 'c' };
	stm32_image_init(&image);
	assert_int_equal(stm32_image_add(&image, 0x100, data, 3, NULL), STM32_OK);
	const char *path = scratch_path(&s, "stdout.txt");
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	close(fd);
	enum stm32_status st = stm32_format_save("-", STM32_FORMAT_AUTO, &image, &err);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	assert_int_equal(st, STM32_OK);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char got[16] = "";
	assert_int_equal(fread(got, 1, sizeof(got), f), 3);
	fclose(f);
	assert_memory_equal(got, "abc", 3);
	stm32_image_free(&image);
	scratch_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_and_parsing),
		cmocka_unit_test(extension_mapping),
		cmocka_unit_test(detection_by_content),
		cmocka_unit_test(binary_placed_at_base_and_forced),
		cmocka_unit_test(parse_refuses_a_non_empty_image),
		cmocka_unit_test(load_names_file_and_line),
		cmocka_unit_test(load_detects_and_maps),
		cmocka_unit_test(load_refuses_directory_missing_and_empty),
		cmocka_unit_test(load_refuses_4_gib_file),
		cmocka_unit_test(load_refuses_unreadable_file),
		cmocka_unit_test(load_stdin_is_binary),
		cmocka_unit_test(round_trip_ihex),
		cmocka_unit_test(round_trip_srec),
		cmocka_unit_test(round_trip_binary),
		cmocka_unit_test(binary_save_fills_gaps),
		cmocka_unit_test(save_writes_expected_ihex_and_srec_text),
		cmocka_unit_test(save_failure_leaves_nothing),
		cmocka_unit_test(save_dash_writes_stdout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
