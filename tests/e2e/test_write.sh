# -w with every input format, -v, -S, -s, -e 0, -f, stdin, -F, -n, -b, -m.

F=0x08000000

t_write_bin_verify() {
	random_file "$WORK/fw.bin" 5000
	run_ok -w "$WORK/fw.bin" -v "$(port)"
	flash_slice "$WORK/got.bin" 0 5000
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# Only the 5 pages the file touches are erased; the rest stays erased.
	stat_is .page_erases 5
	stat_is '.erased_pages | keys | length' 5
	stat_is .mass_erases 0
	stat_at_least '.commands["0x11"]' 1
	out_has "Wrote and verified 5000 bytes"
}

t_write_without_verify_reads_nothing_back() {
	run_ok "$(port)"
	local reads_to_connect
	reads_to_connect=$(jq '.commands["0x11"] // 0' "$STATS")
	random_file "$WORK/fw.bin" 1024
	run_ok -w "$WORK/fw.bin" "$(port)"
	stat_is '.commands["0x11"] // 0' "$reads_to_connect"
	out_has "Wrote 1024 bytes"
	out_lacks "verified"
}

t_write_hex() {
	random_file "$WORK/a.bin" 700
	random_file "$WORK/b.bin" 300
	{ bin_to_hex "$WORK/a.bin" 0x08000400 | sed '$d'; bin_to_hex "$WORK/b.bin" 0x08003000; } >"$WORK/fw.hex"
	seed_chip
	run_ok -w "$WORK/fw.hex" -v "$(port)"
	flash_slice "$WORK/got.bin" 0x400 700
	same_bytes "$WORK/got.bin" "$WORK/a.bin"
	flash_slice "$WORK/got.bin" 0x3000 300
	same_bytes "$WORK/got.bin" "$WORK/b.bin"
	# The gap is neither erased nor written: pages 1 and 12 only.
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["1","12"]'
	stat_is .bytes_programmed 1000
	# Bytes outside the data but inside the erased pages are erased.
	flash_slice "$WORK/got.bin" 0 0x400
	extract_flash "$WORK/now.flash"
	cmp -s -n 1024 "$WORK/now.flash" "$WORK/seeded.flash" || fail "page 0 changed"
}

t_write_srec() {
	random_file "$WORK/fw.bin" 1500
	bin_to_srec "$WORK/fw.bin" 0x08002000 >"$WORK/fw.srec"
	run_ok -w "$WORK/fw.srec" -v "$(port)"
	flash_slice "$WORK/got.bin" 0x2000 1500
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	out_has "Wrote and verified 1500 bytes"
}

t_write_elf() {
	command -v ld >/dev/null || fail "ld (binutils) is needed to build the ELF input"
	random_file "$WORK/fw.bin" 3000
	printf 'SECTIONS { . = 0x08001000; .text : { *(.data) } }\n' >"$WORK/elf.ld"
	(cd "$WORK" && ld -m elf_i386 -T elf.ld -b binary fw.bin --oformat elf32-i386 -e 0x08001000 -o fw.elf) \
		|| fail "could not build the ELF input"
	run_ok -w "$WORK/fw.elf" -v "$(port)"
	flash_slice "$WORK/got.bin" 0x1000 3000
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_write_example_blinky() {
	run_ok -w "$E2E_EXAMPLES/blinky.hex" -v -g 0 "$(port)"
	out_has "Wrote and verified 170 bytes"
	flash_slice "$WORK/vectors.bin" 0 8
	[ "$(od -An -tx4 --endian=little "$WORK/vectors.bin" | tr -s ' ')" = " 20005000 08000041" ] \
		|| fail "vector table not in flash"
	stat_is .state '"application"'
}

t_write_start_address() {
	random_file "$WORK/fw.bin" 2048
	seed_chip
	run_ok -w "$WORK/fw.bin" -S 0x08004000 "$(port)"
	flash_slice "$WORK/got.bin" 0x4000 2048
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["16","17"]'
	# Everything before is untouched.
	extract_flash "$WORK/now.flash"
	cmp -s -n 16384 "$WORK/now.flash" "$WORK/seeded.flash" || fail "flash before -S changed"
}

t_write_start_page() {
	random_file "$WORK/fw.bin" 1024
	run_ok -w "$WORK/fw.bin" -s 7 -v "$(port)"
	flash_slice "$WORK/got.bin" $((7 * 1024)) 1024
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	stat_is '.erased_pages | keys' '["7"]'
}

t_write_no_erase() {
	random_file "$WORK/fw.bin" 1024
	run_ok -w "$WORK/fw.bin" -e 0 "$(port)"
	stat_is .page_erases 0
	stat_is .mass_erases 0
	flash_slice "$WORK/got.bin" 0 1024
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_write_force_binary() {
	random_file "$WORK/a.bin" 64
	bin_to_hex "$WORK/a.bin" 0x08000000 >"$WORK/fw.hex"
	run_ok -f -w "$WORK/fw.hex" -v "$(port)"
	flash_slice "$WORK/got.bin" 0 "$(stat -c %s "$WORK/fw.hex")"
	same_bytes "$WORK/got.bin" "$WORK/fw.hex"
}

t_write_stdin() {
	random_file "$WORK/fw.bin" 3000
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	STATUS=0
	"$STM32BOOT" --sim "$STM32BOOT_SIM_PROGRAM" --no-stub -w - -v "$(port)" <"$WORK/fw.bin" >"$OUT" 2>"$ERR" || STATUS=$?
	[ "$STATUS" -eq 0 ] || fail "stdin write failed"
	flash_slice "$WORK/got.bin" 0 3000
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_write_frame_size() {
	random_file "$WORK/fw.bin" 1024
	run_ok -w "$WORK/fw.bin" -F 256:66 -v "$(port)"
	flash_slice "$WORK/got.bin" 0 1024
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# (66 - 2) = 64-byte blocks: 16 Write Memory commands.
	stat_is .program_operations 16
}

# The emulator refuses 3% of the command stages, seeded: the same commands
# meet the same refusals (seed 12: none while connecting, some while writing).
t_write_retries_count() {
	pattern_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -n 10 -v "$(port "faults=nack=0.03,seed=12")"
	flash_slice "$WORK/got.bin" 0 4096
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	stat_at_least .nacks 1
	stat_at_least '.commands["0x31"]' 17  # a refused Write Memory was sent again
}

t_write_zero_retries_fails_on_nack() {
	pattern_file "$WORK/fw.bin" 4096
	run_fail -w "$WORK/fw.bin" -n 0 "$(port "faults=nack=0.2,seed=1")"
	error_has "NACK"
	# a refused address is not readout protection
	err_lacks "read-protected"
}

t_baud_rate() {
	run_ok -b 57600 "$(port)"
	out_has "57600"
	run_ok -b 0 "$(port)"
}

t_mode() {
	run_ok -m 8n1 "$(port)"
	out_has "8N1"
}

# L0/L1 flash erases to zeros: bytes of 0xFF in the image are data there and
# must be programmed (elsewhere they are what erased flash holds already).
t_write_l0_programs_0xff_runs_that_erased_flash_does_not_hold() {
	DEVICE=stm32l07x
	random_file "$WORK/a.bin" 512
	head -c 1024 /dev/zero | tr '\0' '\377' >"$WORK/ff.bin"
	random_file "$WORK/b.bin" 512
	cat "$WORK/a.bin" "$WORK/ff.bin" "$WORK/b.bin" >"$WORK/fw.bin"
	run_ok -w "$WORK/fw.bin" "$(port)"
	flash_slice "$WORK/got.bin" 0 2048
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# The rest of the page-aligned area stays erased, as zeros.
	flash_slice "$WORK/rest.bin" 2048 2048
	head -c 2048 /dev/zero >"$WORK/zeros.bin"
	same_bytes "$WORK/rest.bin" "$WORK/zeros.bin"
	run_ok -w "$WORK/fw.bin" -v "$(port)"
	out_has "Wrote and verified 2048 bytes"
}
