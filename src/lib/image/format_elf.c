/* ELF: the bytes of each PT_LOAD program header that has file contents,
 * placed at its physical address (the load address, where flash contents
 * live), entry = e_entry. Zero-initialised memory (p_memsz beyond p_filesz,
 * i.e. .bss) is not part of the image: it is not programmed. */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "image/format_internal.h"

static const char *elf_reason(void)
{
	const char *reason = elf_errmsg(-1);
	return reason ? reason : "no reason given";
}

static enum stm32_status elf_segment(const struct format_input *in, struct stm32_image *image,
				     size_t index, const GElf_Phdr *ph, struct stm32_error *err)
{
	if (ph->p_offset > in->length || ph->p_filesz > in->length - ph->p_offset)
		return stm32_error_set(err, STM32_E_FORMAT,
				       "ELF program header %zu: its %llu bytes at file offset 0x%llX run past the end of the file (%zu bytes): truncated?",
				       index, (unsigned long long)ph->p_filesz,
				       (unsigned long long)ph->p_offset, in->length);
	if (ph->p_paddr + ph->p_filesz > 0x100000000ull || ph->p_paddr + ph->p_filesz < ph->p_paddr)
		return stm32_error_set(err, STM32_E_RANGE,
				       "ELF program header %zu: %llu bytes at physical address 0x%llX lie outside the 4 GiB address space",
				       index, (unsigned long long)ph->p_filesz,
				       (unsigned long long)ph->p_paddr);
	uint32_t address = (uint32_t)ph->p_paddr;
	if (stm32_image_covers_any(image, address, ph->p_filesz)) {
		stm32_error_set(err, STM32_E_FORMAT,
				"ELF program header %zu: data at 0x%08X overlaps another segment",
				index, (unsigned)address);
		stm32_error_address(err, address);
		return STM32_E_FORMAT;
	}
	return stm32_image_add(image, address, in->data + ph->p_offset, (size_t)ph->p_filesz, err);
}

static enum stm32_status elf_segments(const struct format_input *in, Elf *elf,
				      struct stm32_image *image, struct stm32_error *err)
{
	GElf_Ehdr header;
	if (!gelf_getehdr(elf, &header))
		return stm32_error_set(err, STM32_E_FORMAT, "ELF header is truncated or invalid (%s)",
				       elf_reason());
	size_t count;
	if (elf_getphdrnum(elf, &count) != 0)
		return stm32_error_set(err, STM32_E_FORMAT,
				       "ELF program headers are unreadable (%s)", elf_reason());
	size_t loaded = 0;
	for (size_t i = 0; i < count; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return stm32_error_set(err, STM32_E_FORMAT,
					       "ELF program header %zu is truncated or invalid (%s)", i,
					       elf_reason());
		if (ph.p_type != PT_LOAD || ph.p_filesz == 0)
			continue;
		enum stm32_status status = elf_segment(in, image, i, &ph, err);
		if (status != STM32_OK)
			return status;
		loaded++;
	}
	if (loaded == 0)
		return stm32_error_set(err, STM32_E_FORMAT,
				       "ELF file has no loadable data (no PT_LOAD program header with file contents)");
	image->has_entry = header.e_entry != 0 && header.e_entry <= 0xFFFFFFFFu;
	image->entry = image->has_entry ? (uint32_t)header.e_entry : 0;
	return STM32_OK;
}

enum stm32_status format_elf_read(const struct format_input *in, struct stm32_image *image,
				  struct stm32_error *err)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return stm32_error_set(err, STM32_E_UNSUPPORTED, "libelf is out of date (%s)",
				       elf_reason());
	/* libelf may rewrite a private in-memory image (byte-order conversion),
	 * and our input is read-only: hand it a copy. */
	char *copy = malloc(in->length ? in->length : 1);
	if (!copy)
		return stm32_error_set(err, STM32_E_NOMEM, "out of memory for a %zu-byte ELF file",
				       in->length);
	memcpy(copy, in->data, in->length);
	enum stm32_status status;
	Elf *elf = elf_memory(copy, in->length);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		status = stm32_error_set(err, STM32_E_FORMAT, "not a valid ELF file (%s)",
					 elf_reason());
	else
		status = elf_segments(in, elf, image, err);
	if (elf)
		elf_end(elf);
	free(copy);
	return status;
}
