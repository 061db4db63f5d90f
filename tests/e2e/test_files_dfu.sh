# DfuSe .dfu files (UM0391) on a UART sim: port: what -r writes is accepted
# by dfu-util's own tools (dfu-suffix, dfuse-pack), a file dfuse-pack made
# is flashed and reads back equal, and damaged files are refused with
# nothing erased. The USB DFU port's side is in test_dfu.sh.

need_tool() { command -v "$1" >/dev/null || { echo "SKIP: $1 not installed (dfu-util)"; exit 77; }; }

# dfuse_pack ARGS...: dfuse-pack, skipping when its -i lacks python3-intelhex.
dfuse_pack() {
	need_tool dfuse-pack
	dfuse-pack "$@" >"$WORK/pack.out" 2>&1 || fail "dfuse-pack $*: $(cat "$WORK/pack.out")"
	if grep -q "IntelHex python module could not be found" "$WORK/pack.out"; then
		echo "SKIP: dfuse-pack -i needs python3-intelhex"
		exit 77
	fi
}

# hex_two_ranges OUT: an Intel HEX of $WORK/a.bin at 0x08000000 and
# $WORK/b.bin at 0x08002000 (a gap between them).
hex_two_ranges() {
	random_file "$WORK/a.bin" 1024
	random_file "$WORK/b.bin" 512
	{ bin_to_hex "$WORK/a.bin" 0x08000000 | grep -v '^:00000001FF$'
	  bin_to_hex "$WORK/b.bin" 0x08002000; } >"$1"
}

t_dfu_file_from_r_is_accepted_by_dfu_util_tools() {
	seed_chip
	run_ok -r "$WORK/dump.dfu" -S 0x08000000:4096 "$(port)"
	need_tool dfu-suffix
	dfu-suffix -c "$WORK/dump.dfu" >"$WORK/suffix.out" 2>&1 || fail "dfu-suffix -c: $(cat "$WORK/suffix.out")"
	grep -q 'contains a DFU suffix' "$WORK/suffix.out" || fail "dfu-suffix: $(cat "$WORK/suffix.out")"
	grep -q 'Vendor ID:.0x0483' "$WORK/suffix.out" || fail "vendor: $(cat "$WORK/suffix.out")"
	grep -q 'Product ID:.0xDF11' "$WORK/suffix.out" || fail "product: $(cat "$WORK/suffix.out")"
	grep -q 'BCD DFU:.0x011A' "$WORK/suffix.out" || fail "bcdDFU: $(cat "$WORK/suffix.out")"
	(cd "$WORK" && dfuse_pack -d dump.dfu)
	! grep -qE 'CRC ERROR|PARSE ERROR' "$WORK/pack.out" || fail "dfuse-pack -d: $(cat "$WORK/pack.out")"
	grep -q 'address: 0x08000000, size: 4096' "$WORK/pack.out" || fail "dfuse-pack -d: $(cat "$WORK/pack.out")"
	head -c 4096 "$WORK/seed.bin" >"$WORK/want.bin"
	same_bytes "$WORK/dump.dfu.target0.image0.bin" "$WORK/want.bin"
}

t_dfu_file_from_dfuse_pack_is_flashed_and_reads_back() {
	seed_chip
	hex_two_ranges "$WORK/fw.hex"
	dfuse_pack -i "$WORK/fw.hex" "$WORK/fw.dfu"
	run_ok -w "$WORK/fw.dfu" -v "$(port)"
	out_has "Wrote and verified 1536 bytes"
	run_ok -r "$WORK/a.back" -S 0x08000000:1024 "$(port)"
	same_bytes "$WORK/a.back" "$WORK/a.bin"
	run_ok -r "$WORK/b.back" -S 0x08002000:512 "$(port)"
	same_bytes "$WORK/b.back" "$WORK/b.bin"
	# The gap between the two elements was neither written nor invented.
	flash_slice "$WORK/gap.now" 1024 1024
	dd if="$WORK/seed.bin" of="$WORK/gap.seed" bs=1024 skip=1 count=1 status=none
	same_bytes "$WORK/gap.now" "$WORK/gap.seed"
}

t_dfu_file_with_bad_crc_is_refused_before_any_erase() {
	seed_chip
	run_fail -w "$E2E_BAD/dfu-bad-crc.dfu" "$(port)"
	error_has "dfu-bad-crc.dfu: DfuSe file, offset 0x141: bad CRC"
	nothing_written
	flash_unchanged
	# One byte changed in a good file is the same fault.
	hex_two_ranges "$WORK/fw.hex"
	dfuse_pack -i "$WORK/fw.hex" "$WORK/fw.dfu"
	printf '\x00' | dd of="$WORK/fw.dfu" bs=1 seek=300 conv=notrunc status=none
	run_fail -w "$WORK/fw.dfu" "$(port)"
	error_has "bad CRC"
	nothing_written
	flash_unchanged
}

t_dfu_file_outside_flash_is_refused_before_any_erase() {
	seed_chip
	random_file "$WORK/x.bin" 256
	# The STM32F103xB's 128 KiB of flash end at 0x08020000.
	dfuse_pack -b "0x0801FF00:$WORK/x.bin" -b "0x08020000:$WORK/x.bin" "$WORK/x.dfu"
	run_fail -w "$WORK/x.dfu" "$(port)"
	error_has "0x08020000"
	nothing_written
	flash_unchanged
}

t_dfu_file_format_option() {
	seed_chip
	random_file "$WORK/fw.bin" 64
	run_fail --format dfu -w "$WORK/fw.bin" "$(port)"
	error_has 'no "DfuSe" signature'
	nothing_written
	flash_unchanged
	run_ok -r "$WORK/dump.out" --format dfu -S 0x08000000:64 "$(port)"
	[ "$(head -c 5 "$WORK/dump.out")" = DfuSe ] || fail "--format dfu was not honoured"
	run_ok -w "$WORK/dump.out" --format dfu "$(port)"
	out_has "Wrote 64 bytes"
}
