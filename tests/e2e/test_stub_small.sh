# --stub on the parts whose bootloader leaves too little RAM for their
# family's image: the small images (docs/stub-protocol.md "The small
# image"; no LZ4, no held-back erases, 256-byte frames). As test_stub.sh
# (whose helpers these tests use): --dry-run names the image it would
# load, and the flash through it is the flash the ROM's own writes give.

. "$(dirname "${BASH_SOURCE[0]}")/test_stub.sh"

# small_write_matches_rom DEVICE IMAGE WINDOW: a random write with -v,
# not a whole number of pages, through the named small image and through
# the ROM.
small_write_matches_rom() {
	DEVICE=$1
	IMG=$WORK/$DEVICE.img
	random_file "$WORK/fw.bin" 24001
	run_ok --dry-run --stub -w "$WORK/fw.bin" -v "$(port)"
	out_has "through the RAM stub $2 at"
	stat_is '.commands."0x31" // 0' 0
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	flash_slice "$WORK/written.bin" 0 24001
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	out_has "RAM stub $2 ("
	out_has "window $3,"
	out_has "verified (by CRC)"
	stat_is '.core.faults' 0
	stat_is '.core.lockups' 0
	# Only the stub went through the ROM's Write Memory (256-byte blocks).
	stat_is '.commands."0x31" <= 20' true # the image in 256-byte blocks: 5028 bytes at most (g4small)
	stat_is '.commands."0x21"' 1
}

# F10x medium-density value line: 7.5 KiB from 0x20000200.
t_write_verify_f10x_mdvl_through_f1small() {
	needs_core
	small_write_matches_rom stm32f10x-mdvl f1small 7
}

# F303x8: 6 KiB from 0x20001800.
t_write_verify_f303x8_through_f3small() {
	needs_core
	small_write_matches_rom stm32f303x8 f3small 2
}

# G431: 6 KiB from 0x20004000. The G4 PLL code (64 MHz for 2 Mbaud)
# leaves room for one slot there: window 1, and every byte taken.
t_write_verify_g431_through_g4small() {
	needs_core
	small_write_matches_rom stm32g431 g4small 1
	out_has "USART clock 64000000 Hz"
	out_has "Stub running at 2000000 baud 8N1"
	stat_is '.core.usart_rx_errors' 0
	few_overruns
}

# Neither --stub nor --no-stub: a 60 KiB write to the F303x8 pays for
# loading its small image, and goes through it.
t_by_default_a_large_write_to_f303x8_goes_through_f3small() {
	needs_core
	DEVICE=stm32f303x8
	random_file "$WORK/fw.bin" 61440
	E2E_STUB_DEFAULT=1 run_ok --dry-run -w "$WORK/fw.bin" -v "$(port)"
	out_has "through the RAM stub f3small at"
	out_has "the stub is used: it pays for loading it"
	E2E_STUB_DEFAULT=1 run_ok --verbose -w "$WORK/fw.bin" -v "$(port)"
	out_has "RAM stub f3small"
	out_has "verified (by CRC)"
	flash_slice "$WORK/now.flash" 0 61440
	same_bytes "$WORK/now.flash" "$WORK/fw.bin"
	stat_is '.commands."0x21"' 1
}

# Read and erase through a small image: what the ROM wrote is read back,
# and a mass erase leaves erased flash.
t_read_and_erase_through_g4small() {
	needs_core
	DEVICE=stm32g431
	random_file "$WORK/fw.bin" 8192
	run_ok --no-stub -w "$WORK/fw.bin" "$(port)"
	run_ok --stub --verbose -r "$WORK/got.bin" -S 0x08000000:8192 "$(port)"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	out_has "RAM stub g4small"
	run_ok --stub -o "$(port)"
	extract_flash "$WORK/all.flash"
	head -c "$(stat -c %s "$WORK/all.flash")" /dev/zero | tr '\0' '\377' >"$WORK/ones.bin"
	same_bytes "$WORK/all.flash" "$WORK/ones.bin"
}

# Parts no image fits: --dry-run says why, --stub fails with the same
# reason before anything is written to RAM.
t_parts_no_image_fits_are_refused_with_the_reason() {
	random_file "$WORK/fw.bin" 1024
	for DEVICE in stm32g03x stm32l05x; do
		IMG=$WORK/$DEVICE.img
		run_ok --dry-run --stub -w "$WORK/fw.bin" "$(port)"
		out_has "--stub: not possible: "
		out_has "does not fit the 4096 bytes of RAM the $DEVICE bootloader leaves"
		run_fail --stub -w "$WORK/fw.bin" "$(port)"
		error_has "does not fit the 4096 bytes"
		stat_is '.commands."0x31" // 0' 0
	done
	DEVICE=stm32l031
	IMG=$WORK/l031.img
	run_ok --dry-run --stub -w "$WORK/fw.bin" "$(port)"
	out_has "--stub: not possible: the stm32l031 bootloader cannot write RAM"
}
