# --stub on H7: the h7 image (stub/flash_h7.c on the controller at
# 0x52002000, stub/chip_h7.h: HSI at 64 MHz, USART1 in D2, IWDG1 and the
# CRC unit where RM0433 and RM0455 put them). Flash words of 32 bytes (16
# on H7A3/B3), 128 KiB sectors (8 KiB on H7A3/B3), two banks on H74x. As
# test_stub.sh, whose helpers these tests use: the flash through the stub
# must be the flash the ROM's own writes give.

. "$(dirname "${BASH_SOURCE[0]}")/test_stub.sh"

# Random bytes with a run of 0xFF holding whole flash words (skipped by
# the stub, as erased cells already hold them) and an end that is not a
# whole flash word.
firmware_with_gap() { # firmware_with_gap OUT SIZE
	{
		head -c 5000 /dev/urandom
		head -c 3000 /dev/zero | tr '\0' '\377'
		head -c $(($2 - 8000)) /dev/urandom
	} >"$1"
}

# The three H7 lines: H74x (two banks, the ROM on HSI), H72x (the ROM on a
# 66 MHz PLL, which the stub leaves for HSI) and H7A3 (RM0455: 16-byte
# words, its CR layout, its CRC unit at 0x40023000).
t_write_verify_h7_parts_give_the_flash_the_rom_gives() {
	needs_core
	for DEVICE in stm32h743zi stm32h72x stm32h7a3; do
		IMG=$WORK/$DEVICE.img
		rm -f "$IMG"
		firmware_with_gap "$WORK/fw.bin" 40004
		write_both "$WORK/fw.bin"
		same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
		flash_slice "$WORK/written.bin" 0 40004
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		out_has "RAM stub h7"
		out_has "running at 0x20004100"
		out_has "verified (by CRC)"
		# HSI's 64 MHz makes 2 Mbaud with 32 clocks a bit: no PLL.
		out_has "USART clock 64000000 Hz"
		out_has "Stub running at 2000000 baud 8N1"
		stat_is '.core.faults' 0
		stat_is '.core.lockups' 0
		few_overruns
		stat_is '.commands."0x31" <= 24' true # only the image, in 256-byte blocks
		# Its waits refresh IWDG1 at 0x58004800 (0x40003000 is no IWDG on H7).
		stat_at_least '.core.peripherals.IWDG.writes' 100
		stat_is '.core.resets.iwdg' 0
	done
}

# Across the H743's banks: sector 7 is bank 1's last, sector 8 bank 2's
# first (its own KEYR/CR/SR at +0x100).
t_write_verify_across_the_h743_banks_gives_the_flash_the_rom_gives() {
	needs_core
	DEVICE=stm32h743zi
	random_file "$WORK/fw.bin" 98304
	write_both "$WORK/fw.bin" -S 0x080F0000
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	flash_slice "$WORK/written.bin" $((0xF0000)) 98304
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	err_has "erase: 100% (2/2 sectors)" # sectors 7 and 8
	out_has "verified (by CRC)"
	stat_is '.core.faults' 0
}

# Read and CRC through the stub give what the ROM wrote; a whole-chip erase
# through it erases both banks.
t_read_crc_and_erase_through_the_h743_stub() {
	needs_core
	DEVICE=stm32h743zi
	random_file "$WORK/a.bin" 65536
	random_file "$WORK/b.bin" 32768
	run_ok --no-stub -w "$WORK/a.bin" "$(port)"
	run_ok --no-stub -w "$WORK/b.bin" -S 0x08100000 "$(port)"
	run_ok --stub -r "$WORK/got.bin" -S 0x08100000:32768 "$(port)"
	same_bytes "$WORK/got.bin" "$WORK/b.bin"
	out_has "Checked by the chip's checksum"
	run_ok --no-stub -C -S 0x08000000:65536 "$(port)"
	grep '^CRC(' "$OUT" >"$WORK/rom.crc" || fail "no CRC line over the ROM"
	run_ok --stub -C -S 0x08000000:65536 "$(port)"
	grep '^CRC(' "$OUT" >"$WORK/stub.crc" || fail "no CRC line through the stub"
	same_bytes "$WORK/stub.crc" "$WORK/rom.crc"
	stat_at_least '.core.peripherals.CRC.writes' 16384 # one word at a time
	run_ok --stub -o "$(port)"
	extract_flash "$WORK/now.flash"
	erased_file "$WORK/erased.bin" 2097152
	same_bytes "$WORK/now.flash" "$WORK/erased.bin"
	stat_is '.core.faults' 0
}

# Sector erases on the H7A3 (RM0455: 8 KiB sectors, SNB at 12:6, START
# bit 5): held back by the stub with nothing written, still done, and only
# the sectors named.
t_sector_erase_through_the_h7a3_stub_erases_those_sectors_only() {
	needs_core
	DEVICE=stm32h7a3
	random_file "$WORK/seed.bin" 65536
	run_ok --no-stub -w "$WORK/seed.bin" "$(port)"
	extract_flash "$WORK/seeded.flash"
	run_ok --stub -o -s 3 -e 2 "$(port)"
	extract_flash "$WORK/now.flash"
	cp "$WORK/seeded.flash" "$WORK/want.flash"
	erased_file "$WORK/ff.bin" 16384
	dd if="$WORK/ff.bin" of="$WORK/want.flash" bs=8192 seek=3 conv=notrunc status=none
	same_bytes "$WORK/now.flash" "$WORK/want.flash"
	stat_is '.core.faults' 0
}

# By default a large H7 write goes through the stub: --dry-run names the
# image and the rate, and changes nothing.
t_dry_run_on_h7_chooses_the_h7_stub() {
	needs_core
	DEVICE=stm32h743zi
	random_file "$WORK/fw.bin" 262144
	E2E_STUB_DEFAULT=1 run_ok --dry-run -w "$WORK/fw.bin" "$(port)"
	grep -F -- "--stub:" "$OUT" "$ERR" | grep -qF "RAM stub h7 at 2000000 baud" ||
		fail "the dry run does not name the h7 image at 2000000 baud"
	grep -F -- "--stub:" "$OUT" "$ERR" | grep -qF "the stub is used" ||
		fail "the dry run does not choose the stub"
	nothing_written
}
