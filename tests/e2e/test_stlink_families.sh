# The SWD RAM loader (stub/loader.c) on the families whose flash driver or
# SRAM placement came after F0-F4/G0/G4/L4: L0/L1 (stub/flash_pecr.c), H7
# (stub/flash_h7.c), WB/WL (stub/flash_dword.c with the 0x58004000
# controller) and F7 (the loader in SRAM1, off the DTCM). Against
# stm32boot-sim --interface stlink, as test_stlink.sh (whose helpers these
# tests use); the flash each gives is compared with what the ROM
# bootloader's own writes over UART give.

. "$(dirname "${BASH_SOURCE[0]}")/test_stlink.sh"

# The loader did the work, not the register path: it parked on BKPT (the
# register path never runs the core), the chip's CRC unit verified, and
# the data was not read back over SWD.
loader_did_it() { # loader_did_it BYTES
	stat_at_least .stlink.breakpoints 1
	stat_at_least .core.peripherals.CRC.writes $(($1 / 4))
	[ "$(jq .stlink.memory_read_bytes "$STATS")" -lt "$1" ] ||
		fail "$DEVICE: $(jq .stlink.memory_read_bytes "$STATS") bytes read over SWD"
	stat_at_least .stlink.memory_written_bytes "$1"
}

# Random bytes with a run of 0xFF and a run of 0x00 in them: on L0/L1
# flash erases to 0x00, so the 0xFF run must be programmed and the 0x00
# run may be skipped; elsewhere the other way round.
firmware_with_runs() { # firmware_with_runs OUT SIZE
	{
		head -c 1000 /dev/urandom
		head -c 700 /dev/zero | tr '\0' '\377'
		head -c 300 /dev/urandom
		head -c 600 /dev/zero
		head -c $(($2 - 2600)) /dev/urandom
	} >"$1"
}

# Writes fw.bin over SWD (-v) and over the ROM (UART, --no-stub); the two
# flashes must be the same.
swd_and_rom_agree() {
	IMG=$WORK/$DEVICE.swd.img
	rm -f "$IMG"
	probe_ok -w "$WORK/fw.bin" -v stlink:
	out_has "($DEVICE), through the ST-LINK (SWD)"
	out_has "Wrote and verified (by CRC) $(stat -c %s "$WORK/fw.bin") bytes"
	loader_did_it "$(stat -c %s "$WORK/fw.bin")"
	extract_flash "$WORK/swd.flash"
	IMG=$WORK/$DEVICE.rom.img
	rm -f "$IMG"
	run_ok -w "$WORK/fw.bin" --no-stub "sim:$DEVICE,image=$IMG"
	extract_flash "$WORK/rom.flash"
	same_bytes "$WORK/swd.flash" "$WORK/rom.flash"
	flash_slice "$WORK/written.bin" 0 "$(stat -c %s "$WORK/fw.bin")"
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_l0_and_l1_write_through_the_loader_as_the_rom_does() {
	for DEVICE in stm32l07x stm32l05x stm32l1-cat1 stm32l1-cat5; do
		# Not a multiple of the half page, and starting mid-page: both the
		# half-page and the word paths of flash_pecr.c run.
		firmware_with_runs "$WORK/fw.bin" 9004
		swd_and_rom_agree
		# The rest of the last page stays erased: zeros.
		IMG=$WORK/$DEVICE.swd.img
		flash_slice "$WORK/rest.bin" 9004 20
		head -c 20 /dev/zero >"$WORK/zeros.bin"
		same_bytes "$WORK/rest.bin" "$WORK/zeros.bin"
	done
}

t_l0_erase_through_the_loader_leaves_zeros() {
	DEVICE=stm32l05x
	random_file "$WORK/fw.bin" 4096
	probe_ok -w "$WORK/fw.bin" stlink:
	# No mass-erase bit on L0/L1: the loader erases every page.
	probe_ok -o stlink:
	stat_at_least .stlink.breakpoints 1
	extract_flash "$WORK/all.flash"
	head -c "$(stat -c %s "$WORK/all.flash")" /dev/zero >"$WORK/zeros.bin"
	same_bytes "$WORK/all.flash" "$WORK/zeros.bin"
}

# Through the loader (L07x) and the register path (L01x, no room for it).
t_l0_write_protected_page_is_refused_before_anything_is_erased() {
	for DEVICE in stm32l07x stm32l01x; do
		rm -f "$IMG"
		random_file "$WORK/old.bin" 2048
		probe_ok -w "$WORK/old.bin" -S 0x08001000 stlink:
		# Sector 0 (pages 0-31) protected through the ROM, a path of its own.
		run_ok --write-protect 0 "sim:$DEVICE,image=$IMG"
		random_file "$WORK/fw.bin" 6144
		probe_fail -w "$WORK/fw.bin" stlink:
		# The plan names the protected pages it would touch (0-31 of 0-47).
		error_has "pages 0-31 are write-protected: the chip would refuse; nothing was erased"
		flash_slice "$WORK/now.bin" 4096 2048
		same_bytes "$WORK/now.bin" "$WORK/old.bin"
	done
}

# L011/L021: 2 KiB of SRAM hold no loader, so the flash controller's own
# registers do it over SWD (src/lib/stlink/stlink_flash_pecr.c): half pages
# where whole ones fall, words around them, the core never run; verified
# by reading back. The flash is what the ROM's writes give.
t_l01x_without_room_for_the_loader_writes_through_the_registers() {
	DEVICE=stm32l01x
	# From 32 bytes into a half page, 9004 bytes: words, half pages, words.
	firmware_with_runs "$WORK/fw.bin" 9004
	IMG=$WORK/$DEVICE.swd.img
	probe_ok -w "$WORK/fw.bin" -v -S 0x08000020 stlink:
	out_has "Wrote and verified 9004 bytes"
	out_lacks "(by CRC)"
	stat_is .stlink.breakpoints 0
	stat_is '.core.instructions // 0' 0
	stat_at_least .stlink.memory_read_bytes 9004
	extract_flash "$WORK/swd.flash"
	flash_slice "$WORK/written.bin" 32 9004
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	IMG=$WORK/$DEVICE.rom.img
	run_ok -w "$WORK/fw.bin" --no-stub -S 0x08000020 "sim:$DEVICE,image=$IMG"
	extract_flash "$WORK/rom.flash"
	same_bytes "$WORK/swd.flash" "$WORK/rom.flash"
	# -o: no mass-erase bit, every page erased by the registers: zeros.
	IMG=$WORK/$DEVICE.swd.img
	probe_ok -o stlink:
	extract_flash "$WORK/all.flash"
	head -c "$(stat -c %s "$WORK/all.flash")" /dev/zero >"$WORK/zeros.bin"
	same_bytes "$WORK/all.flash" "$WORK/zeros.bin"
}

# The loader raises the clock to the PLL from HSI (stub/clock.c) on
# F0/F1/F3 when it programs (the RCC written: PLL, bus prescalers, SW),
# not when it only computes CRCs (--diff of what is already there: only
# the CRC unit's clock, put back after). The F03x's 4 KiB of SRAM take the
# f1small image, which keeps the clock, so two buffers still fit; F2/F4/F7
# keep HSI16 (stlink_loader_family.c says why).
t_the_loader_raises_the_clock_to_program_not_to_compare() {
	for DEVICE in stm32f103x8 stm32f04x; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 8000
		probe_ok -w "$WORK/fw.bin" -v stlink:
		stat_at_least .core.peripherals.RCC.writes 4
		probe_ok --diff -w "$WORK/fw.bin" -v stlink:
		out_has "Already on the chip"
		[ "$(jq .core.peripherals.RCC.writes "$STATS")" -le 2 ] ||
			fail "$DEVICE: the RCC was written $(jq .core.peripherals.RCC.writes "$STATS") times for a compare"
	done
	for DEVICE in stm32f03xx6 stm32f407xg; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 8000
		probe_ok -w "$WORK/fw.bin" -v stlink:
		out_has "Wrote and verified (by CRC) 8000 bytes"
		[ "$(jq .core.peripherals.RCC.writes "$STATS")" -le 2 ] || fail "$DEVICE: the loader raised the clock"
	done
}

t_f7_writes_through_the_loader_in_sram1() {
	for DEVICE in stm32f72x stm32f74x stm32f76x; do
		firmware_with_runs "$WORK/fw.bin" 40000
		swd_and_rom_agree
	done
}

t_wb_and_wl_write_through_the_loader_as_the_rom_does() {
	for DEVICE in stm32wb55 stm32wb15 stm32wl55; do
		firmware_with_runs "$WORK/fw.bin" 20000
		swd_and_rom_agree
	done
}

t_h7_writes_through_the_loader_across_its_banks() {
	DEVICE=stm32h743zi
	random_file "$WORK/fw.bin" 16384
	# The last 8 KiB of bank 1 and the first of bank 2.
	probe_ok -w "$WORK/fw.bin" -v -S 0x080FE000 stlink:
	out_has "Wrote and verified (by CRC) 16384 bytes"
	loader_did_it 16384
	flash_slice "$WORK/written.bin" $((0xFE000)) 16384
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	probe_ok -o stlink:
	stat_at_least .stlink.breakpoints 1
	flash_all_erased
	# H72x (RM0468, one bank) and H7A3 (RM0455: 16-byte flash words, 8 KiB
	# sectors, its CRC unit on AHB1).
	for DEVICE in stm32h72x stm32h7a3; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 20000
		probe_ok -w "$WORK/fw.bin" -v stlink:
		out_has "Wrote and verified (by CRC) 20000 bytes"
		loader_did_it 20000
		flash_slice "$WORK/written.bin" 0 20000
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	done
}

t_h7_flash_word_written_twice_is_reported_with_its_address() {
	DEVICE=stm32h743zi
	random_file "$WORK/old.bin" 4096
	probe_ok -w "$WORK/old.bin" stlink:
	# -e 0: over the old flash words unerased; the controller refuses the
	# first (OPERR: its ECC) and says where.
	random_file "$WORK/fw.bin" 4096
	probe_fail -w "$WORK/fw.bin" -e 0 stlink:
	error_has "the flash controller refused programming 0x08000000 (SR 0x"
	error_has "through the RAM loader"
	flash_slice "$WORK/now.bin" 0 4096
	same_bytes "$WORK/now.bin" "$WORK/old.bin"
}

# WB: the flash from FLASH_SFR.SFSA up (FSD clear) is CPU2's secure area
# (its wireless stack): refused before anything is erased or written.
t_wb_secure_flash_of_cpu2_is_not_touched() {
	DEVICE=stm32wb55
	random_file "$WORK/fw.bin" 4096
	probe_ok -w "$WORK/fw.bin" stlink: # a factory chip: FSD set, no secure area
	# The option word at 0x70 (SFR): SFSA 0xF0 (0x080F0000), FSD clear.
	local options=$((32 + $(image_u32 12)))
	printf '\360\376\377\377\017\001\000\000' |
		dd of="$IMG" bs=1 seek=$((options + 0x70)) conv=notrunc status=none
	extract_flash "$WORK/before.flash"
	probe_fail -w "$WORK/fw.bin" -S 0x080EF800 stlink: # its second half in the area
	error_has "would reach 0x080F0000, CPU2's secure flash (from 0x080F0000, FLASH_SFR.SFSA 0xF0)"
	probe_fail -o stlink:
	error_has "a mass or bank erase would reach 0x080F0000, CPU2's secure flash"
	extract_flash "$WORK/after.flash"
	same_bytes "$WORK/after.flash" "$WORK/before.flash"
	# Below it, as before.
	random_file "$WORK/low.bin" 8192
	probe_ok -w "$WORK/low.bin" -v -S 0x080E0000 stlink:
	flash_slice "$WORK/written.bin" $((0xE0000)) 8192
	same_bytes "$WORK/written.bin" "$WORK/low.bin"
}
