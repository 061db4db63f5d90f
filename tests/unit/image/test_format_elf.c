/* ELF reader: PT_LOAD file bytes at physical addresses; refusals. The test
 * files are assembled here from <elf.h> structures. */
#include <elf.h>

#include "test_format_util.h"

struct elf32_file {
	Elf32_Ehdr header;
	Elf32_Phdr programs[4];
	uint8_t text[16];
	uint8_t data[8];
};

/* A Cortex-M style image: .text at 0x08000000, .data with its load address
 * (paddr) in flash right after .text but its run address in RAM, a .bss-only
 * segment and a note. */
static void build_elf32(struct elf32_file *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->header.e_ident, ELFMAG, SELFMAG);
	f->header.e_ident[EI_CLASS] = ELFCLASS32;
	f->header.e_ident[EI_DATA] = ELFDATA2LSB;
	f->header.e_ident[EI_VERSION] = EV_CURRENT;
	f->header.e_type = ET_EXEC;
	f->header.e_machine = EM_ARM;
	f->header.e_version = EV_CURRENT;
	f->header.e_entry = 0x08000009;
	f->header.e_phoff = offsetof(struct elf32_file, programs);
	f->header.e_ehsize = sizeof(Elf32_Ehdr);
	f->header.e_phentsize = sizeof(Elf32_Phdr);
	f->header.e_phnum = 4;
	for (size_t i = 0; i < sizeof(f->text); i++)
		f->text[i] = (uint8_t)(0x10 + i);
	for (size_t i = 0; i < sizeof(f->data); i++)
		f->data[i] = (uint8_t)(0xA0 + i);
	f->programs[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct elf32_file, text),
				       .p_vaddr = 0x08000000, .p_paddr = 0x08000000,
				       .p_filesz = 16, .p_memsz = 16, .p_flags = PF_R | PF_X };
	f->programs[1] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct elf32_file, data),
				       .p_vaddr = 0x20000000, .p_paddr = 0x08000010,
				       .p_filesz = 8, .p_memsz = 40, .p_flags = PF_R | PF_W };
	f->programs[2] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0,
				       .p_vaddr = 0x20000100, .p_paddr = 0x20000100,
				       .p_filesz = 0, .p_memsz = 64, .p_flags = PF_R | PF_W };
	f->programs[3] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct elf32_file, data),
				       .p_vaddr = 0x30000000, .p_paddr = 0x30000000,
				       .p_filesz = 8, .p_memsz = 8 };
}

static enum stm32_status parse_bytes(const void *data, size_t length, struct stm32_image *image,
				     struct stm32_error *err, enum stm32_format *detected)
{
	stm32_image_init(image);
	return stm32_format_parse_buffer(data, length, STM32_FORMAT_AUTO, 0, image, detected, err);
}

static void loads_physical_addresses_and_skips_bss(void **state)
{
	(void)state;
	struct elf32_file f;
	build_elf32(&f);
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_format detected;
	assert_int_equal(parse_bytes(&f, sizeof(f), &image, &err, &detected), STM32_OK);
	assert_int_equal(detected, STM32_FORMAT_ELF);
	assert_int_equal(image.count, 1); /* .text and .data's load image touch */
	assert_int_equal(image.segments[0].address, 0x08000000);
	assert_int_equal(image.segments[0].length, 24);
	assert_bytes_at(&image, 0x08000000, f.text, 16);
	assert_bytes_at(&image, 0x08000010, f.data, 8);
	assert_false(stm32_image_covers_any(&image, 0x20000000, 0x200)); /* nothing at run addresses */
	assert_true(image.has_entry);
	assert_int_equal(image.entry, 0x08000009);
	stm32_image_free(&image);
}

static void loads_elf64(void **state)
{
	(void)state;
	struct {
		Elf64_Ehdr header;
		Elf64_Phdr program;
		uint8_t text[12];
	} f;
	memset(&f, 0, sizeof(f));
	memcpy(f.header.e_ident, ELFMAG, SELFMAG);
	f.header.e_ident[EI_CLASS] = ELFCLASS64;
	f.header.e_ident[EI_DATA] = ELFDATA2LSB;
	f.header.e_ident[EI_VERSION] = EV_CURRENT;
	f.header.e_type = ET_EXEC;
	f.header.e_machine = EM_AARCH64;
	f.header.e_version = EV_CURRENT;
	f.header.e_entry = 0x1000;
	f.header.e_phoff = offsetof(__typeof__(f), program);
	f.header.e_ehsize = sizeof(Elf64_Ehdr);
	f.header.e_phentsize = sizeof(Elf64_Phdr);
	f.header.e_phnum = 1;
	for (size_t i = 0; i < sizeof(f.text); i++)
		f.text[i] = (uint8_t)(0x55 ^ i);
	f.program = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(__typeof__(f), text),
				  .p_vaddr = 0x1000, .p_paddr = 0x1000, .p_filesz = 12, .p_memsz = 12 };
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_bytes(&f, sizeof(f), &image, &err, NULL), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_bytes_at(&image, 0x1000, f.text, 12);
	assert_int_equal(image.entry, 0x1000);
	stm32_image_free(&image);
}

static void put_be(uint8_t *at, uint32_t value, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		at[i] = (uint8_t)(value >> (8 * (bytes - 1 - i)));
}

/* A big-endian ELF32 (libelf converts); one PT_LOAD of 8 bytes at 0x1000. */
static void loads_big_endian_elf32(void **state)
{
	(void)state;
	uint8_t f[52 + 32 + 8] = { 0x7F, 'E', 'L', 'F', ELFCLASS32, ELFDATA2MSB, EV_CURRENT };
	put_be(f + 16, ET_EXEC, 2);
	put_be(f + 18, EM_PPC, 2);
	put_be(f + 20, EV_CURRENT, 4);
	put_be(f + 24, 0x1004, 4); /* e_entry */
	put_be(f + 28, 52, 4);     /* e_phoff */
	put_be(f + 40, 52, 2);     /* e_ehsize */
	put_be(f + 42, 32, 2);     /* e_phentsize */
	put_be(f + 44, 1, 2);      /* e_phnum */
	const uint32_t program[8] = { PT_LOAD, 84, 0x1000, 0x1000, 8, 8, PF_R | PF_X, 4 };
	for (size_t i = 0; i < 8; i++)
		put_be(f + 52 + 4 * i, program[i], 4);
	for (size_t i = 0; i < 8; i++)
		f[84 + i] = (uint8_t)(i + 1);
	struct stm32_image image;
	struct stm32_error err;
	assert_int_equal(parse_bytes(f, sizeof(f), &image, &err, NULL), STM32_OK);
	assert_int_equal(image.count, 1);
	assert_int_equal(image.segments[0].address, 0x1000);
	assert_bytes_at(&image, 0x1000, f + 84, 8);
	assert_int_equal(image.entry, 0x1004);
	stm32_image_free(&image);
}

static void expect_refusal(const void *data, size_t length, enum stm32_status status,
			   const char *mentions)
{
	struct stm32_image image;
	struct stm32_error err;
	enum stm32_status got = parse_bytes(data, length, &image, &err, NULL);
	if (got != status || !strstr(err.message, mentions))
		fail_msg("got %d \"%s\"; wanted %d mentioning \"%s\"", got, err.message, status,
			 mentions);
	assert_int_equal(image.count, 0);
	stm32_image_free(&image);
}

static void refuses_no_loadable_data(void **state)
{
	(void)state;
	struct elf32_file f;
	build_elf32(&f);
	f.programs[0].p_type = PT_NULL;
	f.programs[1].p_filesz = 0;
	expect_refusal(&f, sizeof(f), STM32_E_FORMAT, "no loadable data");
}

static void refuses_truncated_header(void **state)
{
	(void)state;
	struct elf32_file f;
	build_elf32(&f);
	expect_refusal(&f, 20, STM32_E_FORMAT, "ELF");
	expect_refusal(ELFMAG, 4, STM32_E_FORMAT, "ELF");
}

static void refuses_segment_past_end_of_file(void **state)
{
	(void)state;
	struct elf32_file f;
	build_elf32(&f);
	f.programs[1].p_filesz = 4096;
	expect_refusal(&f, sizeof(f), STM32_E_FORMAT, "past the end of the file");
	/* or the file itself cut short inside the segment bytes */
	build_elf32(&f);
	expect_refusal(&f, sizeof(f) - 4, STM32_E_FORMAT, "truncated");
}

static void refuses_overlapping_segments(void **state)
{
	(void)state;
	struct elf32_file f;
	build_elf32(&f);
	f.programs[1].p_paddr = 0x08000008;
	expect_refusal(&f, sizeof(f), STM32_E_FORMAT, "overlaps");
}

static void refuses_addresses_past_4_gib(void **state)
{
	(void)state;
	struct elf32_file f;
	build_elf32(&f);
	f.programs[1].p_paddr = 0xFFFFFFFC;
	expect_refusal(&f, sizeof(f), STM32_E_RANGE, "4 GiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_physical_addresses_and_skips_bss),
		cmocka_unit_test(loads_elf64),
		cmocka_unit_test(loads_big_endian_elf32),
		cmocka_unit_test(refuses_no_loadable_data),
		cmocka_unit_test(refuses_truncated_header),
		cmocka_unit_test(refuses_segment_past_end_of_file),
		cmocka_unit_test(refuses_overlapping_segments),
		cmocka_unit_test(refuses_addresses_past_4_gib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
