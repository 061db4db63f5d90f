# -r to binary, Intel HEX and S-record, stdout, ranges; --format.

t_read_bin_whole_flash() {
	seed_chip
	run_ok -r "$WORK/dump.bin" "$(port)"
	same_bytes "$WORK/dump.bin" "$WORK/seeded.flash"
	nothing_written
}

t_read_range_to_hex() {
	seed_chip
	run_ok -r "$WORK/dump.hex" -S 0x08000400:1000 "$(port)"
	head -1 "$WORK/dump.hex" | grep -q '^:' || fail "not Intel HEX"
	objcopy -I ihex -O binary "$WORK/dump.hex" "$WORK/dump.bin" || fail "objcopy cannot read the HEX"
	dd if="$WORK/seeded.flash" of="$WORK/want.bin" bs=1 skip=1024 count=1000 status=none
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
}

t_read_to_srec() {
	seed_chip
	run_ok -r "$WORK/dump.srec" -S 0x08001000:512 "$(port)"
	head -1 "$WORK/dump.srec" | grep -q '^S' || fail "not an S-record file"
	objcopy -I srec -O binary "$WORK/dump.srec" "$WORK/dump.bin" || fail "objcopy cannot read the S-record"
	dd if="$WORK/seeded.flash" of="$WORK/want.bin" bs=1 skip=4096 count=512 status=none
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
}

t_read_format_option_overrides_extension() {
	seed_chip
	run_ok -r "$WORK/dump.bin" --format hex -S 0x08000000:64 "$(port)"
	head -1 "$WORK/dump.bin" | grep -q '^:' || fail "--format hex was not honoured"
}

t_read_to_stdout() {
	seed_chip
	run_ok -r - -S 0x08000000:2048 "$(port)"
	dd if="$WORK/seeded.flash" of="$WORK/want.bin" bs=1 count=2048 status=none
	same_bytes "$OUT" "$WORK/want.bin"
	err_has "Chip:"
}

t_read_pages() {
	seed_chip
	run_ok -r "$WORK/dump.bin" -s 2 -e 3 "$(port)"
	dd if="$WORK/seeded.flash" of="$WORK/want.bin" bs=1024 skip=2 count=3 status=none
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
}

t_read_small_frames() {
	seed_chip
	run_ok -r "$WORK/dump.bin" -S 0x08000000:1000 -F 100 "$(port)"
	dd if="$WORK/seeded.flash" of="$WORK/want.bin" bs=1 count=1000 status=none
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
	# 1000 bytes in reads of at most 100: at least 10 Read Memory commands.
	stat_at_least '.commands["0x11"]' 10
}

# A Read Memory reply has no checksum: bytes the line flips on their way
# back would land in the file. -v reads a second time and settles the blocks
# whose two reads differ (the F103 has no Get Checksum).
t_read_verify_repairs_bytes_flipped_on_the_way_back() {
	seed_chip
	run_ok -r "$WORK/dump.bin" -v "$(port "faults=corrupt-out=2e-4,seed=5")"
	stat_at_least .faults.corrupt_out 1
	same_bytes "$WORK/dump.bin" "$WORK/seeded.flash"
	out_has "Checked by a second read"
	out_has "had come back wrong"
	# Read twice: at least two Read Memory commands per 256-byte block.
	stat_at_least '.commands["0x11"]' $(( 2 * $(flash_size) / 256 ))
}

# Where the bootloader has Get Checksum, -r checks by it unasked: one CRC
# for a clean read, and the blocks that differ found by halving.
t_read_checks_by_get_checksum_unasked() {
	DEVICE=stm32h563zi
	random_file "$WORK/want.bin" 65536
	run_ok -w "$WORK/want.bin" "$(port)"
	run_ok -r "$WORK/dump.bin" -S 0x08000000:65536 "$(port)"
	stat_is '.commands["0xa1"]' 1
	out_has "Checked by the chip's checksum: every byte as read"
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
	run_ok -r "$WORK/dump.bin" -S 0x08000000:65536 "$(port "faults=corrupt-out=2e-4,seed=3")"
	stat_at_least .faults.corrupt_out 1
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
	out_has "had come back wrong"
}

t_read_verify_none_does_not_check() {
	DEVICE=stm32h563zi
	random_file "$WORK/fw.bin" 8192
	run_ok -w "$WORK/fw.bin" "$(port)"
	run_ok -r "$WORK/dump.bin" -S 0x08000000:4096 --verify=none "$(port)"
	stat_is '.commands["0xa1"] // 0' 0
	out_lacks "Checked"
	# A range that ends off a word boundary: the middle by CRC, the last
	# bytes by a second read.
	run_ok -r "$WORK/dump.bin" -S 0x08000004:4001 --verify=crc "$(port)"
	stat_is '.commands["0xa1"]' 1
	out_has "Checked by the chip's checksum"
	dd if="$WORK/fw.bin" of="$WORK/want.bin" bs=1 skip=4 count=4001 status=none
	same_bytes "$WORK/dump.bin" "$WORK/want.bin"
}

# G0B1's OTP area (1 KiB at 0x1FFF7000) reads as 0xFF on a new chip; a file
# that would write it is refused before anything is sent.
t_read_otp_area() {
	DEVICE=stm32g0b1
	run_ok -r "$WORK/otp.bin" -S 0x1FFF7000:1024 "$(port)"
	head -c 1024 /dev/zero | tr '\0' '\377' >"$WORK/blank.bin"
	same_bytes "$WORK/otp.bin" "$WORK/blank.bin"
	printf 'OTP' >"$WORK/otp-data.bin"
	run_fail -w "$WORK/otp-data.bin" -S 0x1FFF7000 "$(port)"
	err_has "one-time programmable"
	nothing_written
}
