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
