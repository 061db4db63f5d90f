/* The drive back end on its own: marker files, the search under roots, port
 * options, and write_image against a folder that a thread makes behave like
 * the drive's firmware (take the file, or refuse it with FAIL.TXT, or never
 * take it). The e2e tests do the same against the emulator's drive. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stm32boot/drive.h"
#include "stm32boot/format.h"
#include "stm32boot/image.h"

#include "drive/drive_pair.h"

/* ---- a scratch folder tree per test ---- */

struct scratch {
	char root[64];
};

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[600];
	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < sizeof path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static bool exists(const char *dir, const char *name)
{
	char path[600];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void make_dir(char *out, size_t size, const char *parent, const char *name)
{
	snprintf(out, size, "%s/%s", parent, name);
	assert_int_equal(mkdir(out, 0755), 0);
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[600];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int setup(void **state)
{
	struct scratch *s = calloc(1, sizeof *s);
	snprintf(s->root, sizeof s->root, "/tmp/stm32boot-drive-test-XXXXXX");
	if (!s || !mkdtemp(s->root))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct scratch *s = *state;
	remove_tree(s->root);
	free(s);
	return 0;
}

static void stlink_drive(char *out, size_t size, const char *parent, const char *name,
			 const char *board)
{
	make_dir(out, size, parent, name);
	char html[200];
	snprintf(html, sizeof html,
		 "<html><head><meta http-equiv=\"refresh\" content=\"0; "
		 "URL=http://mbed.org/device/?code=%s0000000000000000\"/></head></html>\n", board);
	write_text(out, "MBED.HTM", html);
	write_text(out, "DETAILS.TXT", "Version: 0221\nBuild:   Jan 11 2016 16:12:36\n");
}

static void uf2_drive(char *out, size_t size, const char *parent, const char *name,
		      const char *board_id)
{
	make_dir(out, size, parent, name);
	char text[200];
	snprintf(text, sizeof text, "UF2 Bootloader 0.6.2\nModel: Test board\nBoard-ID: %s\n",
		 board_id);
	write_text(out, "INFO_UF2.TXT", text);
}

/* ---- probe, board IDs, search ---- */

static void test_probe_stlink_from_mbed_htm(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE_F401RE", "0720");
	struct stm32_drive_info info;
	assert_true(stm32_drive_probe(dir, &info));
	assert_int_equal(info.kind, STM32_DRIVE_STLINK);
	assert_string_equal(info.board_id, "0720"); /* the mbed ID cut to its board part */
	assert_string_equal(info.model, "NUCLEO-F401RE");
	assert_non_null(info.device);
	assert_string_equal(info.device->name, "stm32f401xe");
	assert_string_equal(info.path, dir);
}

static void test_probe_stlink_details_only(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	make_dir(dir, sizeof dir, s->root, "DIS_F4");
	write_text(dir, "DETAILS.TXT", "Version: 0221\nUnique ID: 07000221ABCDEF\n");
	struct stm32_drive_info info;
	assert_true(stm32_drive_probe(dir, &info));
	assert_int_equal(info.kind, STM32_DRIVE_STLINK);
	assert_string_equal(info.board_id, "0700");
	assert_string_equal(info.device->name, "stm32f103xb");
}

/* ---- the drive's ST-LINK: its USB serial ---- */

/* A folder on a disk that is no ST USB device: the Unique ID: line names
 * the probe (DAPLink's form; the emulator writes it), else nothing does. */
static void test_stlink_serial_from_details(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE_F401RE", "0720");
	write_text(dir, "DETAILS.TXT", "Version: 0221\r\nBuild:   Jan  1 2024\r\n"
				   "Unique ID: 066DFF485550755187121234\r\n");
	struct stm32_drive_info info;
	assert_true(stm32_drive_probe(dir, &info));
	assert_string_equal(info.board_id, "0720"); /* MBED.HTM still gives the board */
	char serial[64];
	const char *source = NULL;
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_drive_stlink_serial(&info, serial, sizeof serial, &source, &err),
			 STM32_OK);
	assert_string_equal(serial, "066DFF485550755187121234");
	assert_string_equal(source, "DETAILS.TXT");
}

/* A sysfs tree of the test's own: the scratch folder's block device is a
 * partition of a disk on USB device 1-2, whose vendor decides. */
static void fake_usb_disk(const char *sys, const char *dir, const char *vendor)
{
	static const char device[] = "devices/pci0000:00/0000:00:14.0/usb1/1-2";
	static const char disk[] = "1-2:1.1/host3/target3:0:0/3:0:0:0/block/sdb/sdb1";
	char path[600], command[1400];
	snprintf(command, sizeof command, "mkdir -p '%s/%s/%s' '%s/dev/block'", sys, device, disk, sys);
	assert_int_equal(system(command), 0);
	snprintf(path, sizeof path, "%s/%s", sys, device);
	write_text(path, "idVendor", vendor);
	write_text(path, "serial", "066DFF485550755187121234\n");
	snprintf(path, sizeof path, "%s/%s/1-2:1.1", sys, device);
	write_text(path, "bInterfaceClass", "08\n"); /* mass storage: no idVendor here */
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	char link[600], target[600];
	snprintf(link, sizeof link, "%s/dev/block/%u:%u", sys, major(st.st_dev), minor(st.st_dev));
	snprintf(target, sizeof target, "../../%s/%s", device, disk);
	assert_int_equal(symlink(target, link), 0);
}

static void test_stlink_serial_from_the_usb_disk(void **state)
{
	struct scratch *s = *state;
	char dir[300], sys[300], other[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE_F401RE", "0720");
	make_dir(sys, sizeof sys, s->root, "sys");
	fake_usb_disk(sys, dir, "0483\n");
	char serial[64] = "";
	assert_true(drive_usb_serial(sys, dir, serial, sizeof serial));
	assert_string_equal(serial, "066DFF485550755187121234");
	/* A disk on someone else's USB device is no ST-LINK's drive. */
	make_dir(other, sizeof other, s->root, "sys-other");
	fake_usb_disk(other, dir, "0781\n");
	assert_false(drive_usb_serial(other, dir, serial, sizeof serial));
	/* No such block device in sysfs (a folder on tmpfs, say). */
	assert_false(drive_usb_serial(dir, dir, serial, sizeof serial));
}

static void test_stlink_serial_absent_is_said(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE_F401RE", "0720"); /* a real ST-LINK's files */
	struct stm32_drive_info info;
	assert_true(stm32_drive_probe(dir, &info));
	char serial[64] = "x";
	struct stm32_error err;
	stm32_error_clear(&err);
	assert_int_equal(stm32_drive_stlink_serial(&info, serial, sizeof serial, NULL, &err),
			 STM32_E_UNSUPPORTED);
	assert_string_equal(serial, "");
	assert_non_null(strstr(err.message, "does not name its ST-LINK"));
	char uf2[300];
	uf2_drive(uf2, sizeof uf2, s->root, "UF2", "stm32f401xe-tinyuf2");
	assert_true(stm32_drive_probe(uf2, &info));
	assert_int_equal(stm32_drive_stlink_serial(&info, serial, sizeof serial, NULL, &err),
			 STM32_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "UF2"));
}

static void test_probe_unknown_board_has_no_device(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "ODD", "9999");
	struct stm32_drive_info info;
	assert_true(stm32_drive_probe(dir, &info));
	assert_string_equal(info.board_id, "9999");
	assert_null(info.device);
	assert_null(stm32_drive_board_device("9999", NULL));
	const char *board = "unchanged";
	assert_null(stm32_drive_board_device(NULL, &board));
	assert_null(board);
}

static void test_probe_uf2_board_id_names_device(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	uf2_drive(dir, sizeof dir, s->root, "F4BOOT", "stm32f401xe-blackpill");
	struct stm32_drive_info info;
	assert_true(stm32_drive_probe(dir, &info));
	assert_int_equal(info.kind, STM32_DRIVE_UF2);
	assert_string_equal(info.model, "Test board");
	assert_string_equal(info.board_id, "stm32f401xe-blackpill");
	assert_non_null(info.device);
	assert_string_equal(info.device->name, "stm32f401xe");
}

static void test_probe_plain_folder_is_no_drive(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	make_dir(dir, sizeof dir, s->root, "USBSTICK");
	write_text(dir, "README.TXT", "just a stick\n");
	struct stm32_drive_info info;
	assert_false(stm32_drive_probe(dir, &info));
	/* A folder named like a marker is not a marker file. */
	char fake[400];
	make_dir(fake, sizeof fake, dir, "DETAILS.TXT");
	assert_false(stm32_drive_probe(dir, &info));
}

static void test_find_two_levels_sorted(void **state)
{
	struct scratch *s = *state;
	char media[300], user[400], a[500], b[500], other[500];
	make_dir(media, sizeof media, s->root, "media");
	make_dir(user, sizeof user, media, "alice");
	/* /media/alice/X (two levels) and /media/Y (one level) are both found. */
	stlink_drive(b, sizeof b, user, "NODE_B", "0720");
	uf2_drive(a, sizeof a, media, "A_UF2", "none");
	make_dir(other, sizeof other, user, "PHOTOS");
	struct stm32_drive_info found[4];
	assert_int_equal(stm32_drive_find(media, found, 4), 2);
	assert_string_equal(found[0].path, a);
	assert_string_equal(found[1].path, b);
	/* Fewer slots than drives: the count is still the truth. */
	assert_int_equal(stm32_drive_find(media, found, 1), 2);
	/* Roots that do not exist are skipped. */
	char roots[700];
	snprintf(roots, sizeof roots, "%s/none:%s", s->root, media);
	assert_int_equal(stm32_drive_find(roots, found, 4), 2);
}

/* ---- opening ports ---- */

static void opts_for(struct stm32_drive_options *o, const char *roots)
{
	stm32_drive_options_default(o);
	o->roots = roots;
}

static void test_open_refuses_bad_port_options(void **state)
{
	struct scratch *s = *state;
	char dir[300], port[600];
	stlink_drive(dir, sizeof dir, s->root, "N", "0720");
	struct stm32_drive_options o;
	opts_for(&o, s->root);
	struct stm32_transport *t;
	struct stm32_target *target;
	struct stm32_error err;
	snprintf(port, sizeof port, "drive:%s,colour=blue", dir);
	assert_int_equal(stm32_drive_open_port(port, &o, &t, &target, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "unknown option 'colour=blue'"));
	assert_null(target);
	snprintf(port, sizeof port, "drive:%s,timeout=0", dir);
	assert_int_equal(stm32_drive_open_port(port, &o, &t, &target, &err), STM32_E_INVALID);
	assert_non_null(strstr(err.message, "bad timeout '0'"));
	snprintf(port, sizeof port, "drive:%s,device=stm32f999", dir);
	assert_int_equal(stm32_drive_open_port(port, &o, &t, &target, &err), STM32_E_UNKNOWN_DEVICE);
	assert_non_null(strstr(err.message, "unknown device 'stm32f999'"));
	assert_int_equal(stm32_drive_open_port("/dev/ttyUSB0", &o, &t, &target, &err), STM32_E_INVALID);
	snprintf(port, sizeof port, "drive:%s", s->root); /* the parent: no markers */
	assert_int_equal(stm32_drive_open_port(port, &o, &t, &target, &err), STM32_E_IO);
	assert_non_null(strstr(err.message, "is not a flashing drive"));
	assert_int_equal(err.op, STM32_OP_CONNECT);
}

static void test_open_several_refused_none_refused(void **state)
{
	struct scratch *s = *state;
	char parent[300], a[400], b[400];
	make_dir(parent, sizeof parent, s->root, "mnt");
	struct stm32_drive_options o;
	opts_for(&o, parent);
	struct stm32_transport *t;
	struct stm32_target *target;
	struct stm32_error err;
	assert_int_equal(stm32_drive_open_port("drive:", &o, &t, &target, &err), STM32_E_IO);
	assert_non_null(strstr(err.message, "no flashing drive mounted under"));
	stlink_drive(a, sizeof a, parent, "ONE", "0720");
	stlink_drive(b, sizeof b, parent, "TWO", "0700");
	assert_int_equal(stm32_drive_open_port("drive:", &o, &t, &target, &err), STM32_E_BUSY);
	assert_non_null(strstr(err.message, "2 flashing drives mounted"));
	assert_non_null(strstr(err.message, a));
	assert_non_null(strstr(err.message, b));
	assert_non_null(strstr(err.message, "drive:PATH"));
}

static void test_open_unknown_board_needs_device(void **state)
{
	struct scratch *s = *state;
	char dir[300], port[600];
	stlink_drive(dir, sizeof dir, s->root, "ODD", "9999");
	struct stm32_transport *t;
	struct stm32_target *target;
	struct stm32_error err;
	snprintf(port, sizeof port, "drive:%s", dir);
	assert_int_equal(stm32_drive_open_port(port, NULL, &t, &target, &err),
			 STM32_E_UNKNOWN_DEVICE);
	assert_non_null(strstr(err.message, "board ID 9999"));
	assert_non_null(strstr(err.message, "device=NAME"));
	snprintf(port, sizeof port, "drive:%s,device=stm32f103xb", dir);
	assert_int_equal(stm32_drive_open_port(port, NULL, &t, &target, &err), STM32_OK);
	assert_string_equal(target->desc.device->name, "stm32f103xb");
	assert_int_equal(target->desc.caps, STM32_CAP_WRITE_IMAGE);
	char description[300];
	t->ops->describe(t, description, sizeof description);
	assert_non_null(strstr(description, dir));
	/* What a drive cannot do is refused by name, not pretended. */
	uint8_t byte;
	assert_int_equal(stm32_target_read(target, 0x08000000, &byte, 1, &err), STM32_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "a drive cannot read memory"));
	stm32_target_close(target);
	stm32_transport_close(t);
}

/* ---- write_image against a folder that acts as the drive ---- */

enum firmware_mood { TAKES_IT, REFUSES_IT, RESETS_AWAY };

struct firmware {
	const char *dir;
	const char *file;   /* what it waits for */
	off_t complete_size; /* NEW.UF2 is written in place: read it once whole */
	enum firmware_mood mood;
	struct stm32_image seen; /* what the "firmware" read from the file */
	int parse_status;
};

static void pause_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

static void *firmware_thread(void *arg)
{
	struct firmware *fw = arg;
	char path[600];
	snprintf(path, sizeof path, "%s/%s", fw->dir, fw->file);
	struct stat st;
	for (int i = 0; i < 2500; i++) {
		if (stat(path, &st) == 0 && st.st_size >= fw->complete_size)
			break;
		pause_ms(2);
	}
	struct stm32_error err;
	stm32_image_init(&fw->seen);
	fw->parse_status = stm32_format_load(path, STM32_FORMAT_AUTO, 0x08000000, &fw->seen, NULL, &err);
	if (fw->mood == RESETS_AWAY) {
		/* tinyuf2: the drive goes away (and comes back as the application). */
		char marker[600];
		snprintf(marker, sizeof marker, "%s/INFO_UF2.TXT", fw->dir);
		unlink(marker);
		unlink(path);
		return NULL;
	}
	if (fw->mood == REFUSES_IT)
		write_text(fw->dir, "FAIL.TXT", "The hex file cannot be decoded.\r\n Checksum error.\r\n");
	unlink(path);
	return NULL;
}

static void image_two_segments(struct stm32_image *image)
{
	stm32_image_init(image);
	uint8_t a[300], b[40];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)(i * 7 + 1);
	memset(b, 0x5A, sizeof b);
	assert_int_equal(stm32_image_add(image, 0x08000000, a, sizeof a, NULL), STM32_OK);
	assert_int_equal(stm32_image_add(image, 0x08004010, b, sizeof b, NULL), STM32_OK);
}

static struct stm32_target *open_dir(const char *dir, unsigned timeout_ms,
				     struct stm32_transport **t)
{
	char port[600];
	snprintf(port, sizeof port, "drive:%s,timeout=%u", dir, timeout_ms);
	struct stm32_target *target;
	struct stm32_error err;
	assert_int_equal(stm32_drive_open_port(port, NULL, t, &target, &err), STM32_OK);
	return target;
}

/* Every byte of a is in b at its address, and b holds b_size bytes. */
static void assert_holds(const struct stm32_image *a, const struct stm32_image *b, uint64_t b_size)
{
	assert_int_equal(stm32_image_size(b), b_size);
	for (size_t i = 0; i < a->count; i++) {
		/* Read with two fills: a byte missing from b cannot match both. */
		uint8_t fill[2] = {0x00, 0xFF};
		for (int f = 0; f < 2; f++) {
			uint8_t buf[512];
			assert_true(a->segments[i].length <= sizeof buf);
			stm32_image_read(b, a->segments[i].address, buf, a->segments[i].length, fill[f]);
			assert_memory_equal(buf, a->segments[i].data, a->segments[i].length);
		}
	}
}

static void test_stlink_copy_taken(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE", "0720");
	struct stm32_transport *t;
	struct stm32_target *target = open_dir(dir, 5000, &t);
	struct stm32_drive_info opened;
	assert_true(stm32_drive_target_info(target, &opened)); /* which drive, for the verify */
	assert_string_equal(opened.path, dir);
	assert_false(stm32_drive_target_info(NULL, &opened));
	struct firmware fw = {.dir = dir, .file = "FIRMWARE.HEX", .mood = TAKES_IT};
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, firmware_thread, &fw), 0);
	struct stm32_image image;
	image_two_segments(&image);
	struct stm32_error err;
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_OK);
	pthread_join(thread, NULL);
	/* What landed was Intel HEX with every byte at its address (a .bin
	 * would have put the second segment at the wrong place). */
	assert_int_equal(fw.parse_status, STM32_OK);
	assert_holds(&image, &fw.seen, stm32_image_size(&image));
	assert_false(exists(dir, "FIRMWARE.TMP"));
	stm32_image_free(&fw.seen);
	stm32_image_free(&image);
	stm32_target_close(target);
	stm32_transport_close(t);
}

static void test_stlink_fail_txt_is_the_error(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE", "0720");
	/* An old FAIL.TXT from an earlier copy is not this copy's failure... */
	write_text(dir, "FAIL.TXT", "old failure\n");
	struct stm32_transport *t;
	struct stm32_target *target = open_dir(dir, 5000, &t);
	struct firmware fw = {.dir = dir, .file = "FIRMWARE.HEX", .mood = TAKES_IT};
	pthread_t thread;
	struct stm32_image image;
	image_two_segments(&image);
	struct stm32_error err;
	assert_int_equal(pthread_create(&thread, NULL, firmware_thread, &fw), 0);
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_OK);
	pthread_join(thread, NULL);
	stm32_image_free(&fw.seen);
	/* ...but a new one is, with its lines on one line. */
	char old_fail[400];
	snprintf(old_fail, sizeof old_fail, "%s/FAIL.TXT", dir);
	assert_int_equal(unlink(old_fail), 0);
	fw.mood = REFUSES_IT;
	assert_int_equal(pthread_create(&thread, NULL, firmware_thread, &fw), 0);
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_E_NACK);
	pthread_join(thread, NULL);
	assert_non_null(strstr(err.message, "FAIL.TXT says \"The hex file cannot be decoded.; "
						"Checksum error.\""));
	stm32_image_free(&fw.seen);
	stm32_image_free(&image);
	stm32_target_close(target);
	stm32_transport_close(t);
}

static void test_stlink_not_taken_leaves_nothing(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE", "0720");
	struct stm32_transport *t;
	struct stm32_target *target = open_dir(dir, 60, &t);
	struct stm32_image image;
	image_two_segments(&image);
	struct stm32_error err;
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_E_TIMEOUT);
	assert_non_null(strstr(err.message, "did not take the file within 60 ms"));
	assert_false(exists(dir, "FIRMWARE.HEX"));
	assert_false(exists(dir, "FIRMWARE.TMP"));
	stm32_image_free(&image);
	stm32_target_close(target);
	stm32_transport_close(t);
}

static void test_outside_flash_refused_before_copy(void **state)
{
	struct scratch *s = *state;
	char dir[300];
	stlink_drive(dir, sizeof dir, s->root, "NODE", "0720"); /* F401RE: 512 KiB */
	struct stm32_transport *t;
	struct stm32_target *target = open_dir(dir, 60, &t);
	struct stm32_image image;
	stm32_image_init(&image);
	uint8_t data[16] = {0};
	assert_int_equal(stm32_image_add(&image, 0x08080000, data, sizeof data, NULL), STM32_OK);
	struct stm32_error err;
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_E_RANGE);
	assert_non_null(strstr(err.message, "outside the stm32f401xe's flash"));
	assert_false(exists(dir, "FIRMWARE.HEX"));
	assert_false(exists(dir, "FIRMWARE.TMP"));
	stm32_image_free(&image);
	/* An empty image is refused too: nothing to copy. */
	stm32_image_init(&image);
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_E_INVALID);
	stm32_target_close(target);
	stm32_transport_close(t);
}

static void test_uf2_copy_and_reset(void **state)
{
	struct scratch *s = *state;
	char dir[300], port[600];
	uf2_drive(dir, sizeof dir, s->root, "F4BOOT", "stm32f401xe-blackpill");
	struct stm32_transport *t;
	struct stm32_target *target;
	struct stm32_error err;
	snprintf(port, sizeof port, "drive:%s,timeout=5000", dir);
	assert_int_equal(stm32_drive_open_port(port, NULL, &t, &target, &err), STM32_OK);
	struct stm32_image image;
	image_two_segments(&image);
	/* 0x08000000-0x0800012B and 0x08004010-0x08004037: three 256-byte
	 * windows, a 512-byte block each. */
	struct firmware fw = {.dir = dir, .file = "NEW.UF2", .mood = RESETS_AWAY,
			      .complete_size = 3 * 512};
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, firmware_thread, &fw), 0);
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_OK);
	pthread_join(thread, NULL);
	assert_int_equal(fw.parse_status, STM32_OK);
	/* Whole 256-byte windows, the bytes the image does not hold 0xFF. */
	assert_holds(&image, &fw.seen, 3 * 256);
	uint8_t gap[256 - 0x12C % 256];
	stm32_image_read(&fw.seen, 0x0800012C, gap, sizeof gap, 0x00);
	for (size_t i = 0; i < sizeof gap; i++)
		assert_int_equal(gap[i], 0xFF);
	stm32_image_free(&fw.seen);
	stm32_image_free(&image);
	stm32_target_close(target);
	stm32_transport_close(t);
}

static void test_uf2_ignored_file_removed(void **state)
{
	struct scratch *s = *state;
	char dir[300], port[600];
	uf2_drive(dir, sizeof dir, s->root, "F4BOOT", "stm32f401xe-blackpill");
	struct stm32_transport *t;
	struct stm32_target *target;
	struct stm32_error err;
	snprintf(port, sizeof port, "drive:%s,timeout=60", dir);
	assert_int_equal(stm32_drive_open_port(port, NULL, &t, &target, &err), STM32_OK);
	struct stm32_image image;
	image_two_segments(&image);
	assert_int_equal(stm32_target_write_image(target, &image, &err), STM32_E_TIMEOUT);
	assert_non_null(strstr(err.message, "did not reset within 60 ms"));
	assert_false(exists(dir, "NEW.UF2"));
	stm32_image_free(&image);
	stm32_target_close(target);
	stm32_transport_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_stlink_from_mbed_htm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_stlink_details_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stlink_serial_from_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stlink_serial_from_the_usb_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stlink_serial_absent_is_said, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_unknown_board_has_no_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_uf2_board_id_names_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_plain_folder_is_no_drive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_two_levels_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_bad_port_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_several_refused_none_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_unknown_board_needs_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stlink_copy_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stlink_fail_txt_is_the_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stlink_not_taken_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_flash_refused_before_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uf2_copy_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uf2_ignored_file_removed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
