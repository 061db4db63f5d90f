# Smart flashing: --diff, --verify=HOW, skipping blank blocks, --preserve,
# --dry-run's view of them, and the option-byte lock guard. Every check
# looks at what the emulator saw (its stats) or holds (its image file).

F=0x08000000

t_diff_identical_erases_and_programs_nothing() {
	random_file "$WORK/fw.bin" 65536
	run_ok -w "$WORK/fw.bin" -v "$(port)"
	run_ok -w "$WORK/fw.bin" -v --diff "$(port)"
	stat_is .page_erases 0
	stat_is .mass_erases 0
	stat_is .program_operations 0
	stat_is '.commands["0x31"] // 0' 0
	out_has "Unchanged: 64 of 64 pages"
	flash_slice "$WORK/got.bin" 0 65536
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_diff_one_page_changed_erases_one_page() {
	random_file "$WORK/fw.bin" 65536
	run_ok -w "$WORK/fw.bin" "$(port)"
	printf 'changed' | dd of="$WORK/fw.bin" bs=1 seek=$((5 * 1024 + 100)) conv=notrunc status=none
	run_ok -w "$WORK/fw.bin" -v --diff "$(port)"
	stat_is .page_erases 1
	stat_is '.erased_pages | keys' '["5"]'
	stat_is .program_operations 4
	out_has "Unchanged: 63 of 64 pages"
	flash_slice "$WORK/got.bin" 0 65536
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_diff_on_blank_chip_writes_without_erasing() {
	random_file "$WORK/fw.bin" 8192
	run_ok -w "$WORK/fw.bin" -v --diff "$(port)"
	stat_is .page_erases 0
	stat_is .program_operations 32
	out_has "8 written without erase (blank)"
	flash_slice "$WORK/got.bin" 0 8192
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_verify_crc_on_h563_uses_get_checksum() {
	DEVICE=stm32h563zi
	random_file "$WORK/fw.bin" 65536
	run_ok "$(port)"
	local connect_reads
	connect_reads=$(jq '.commands["0x11"] // 0' "$STATS")
	run_ok -w "$WORK/fw.bin" --verify=crc "$(port)"
	stat_at_least '.commands["0xa1"]' 1
	stat_is '.commands["0x11"] // 0' "$connect_reads"
	out_has "verified (by CRC)"
	# The same image again with --diff: one CRC over the whole image says
	# nothing changed.
	run_ok -w "$WORK/fw.bin" -v --diff "$(port)"
	stat_is '.commands["0xa1"]' 1
	stat_is '.commands["0x11"] // 0' "$connect_reads"
	stat_is .page_erases 0
	stat_is .program_operations 0
	# One byte changed: the whole-image CRC differs, then one CRC per 8 KiB
	# sector finds the one to rewrite, then one CRC verifies it.
	printf '\x01' | dd of="$WORK/fw.bin" bs=1 seek=20000 conv=notrunc 2>/dev/null
	run_ok -w "$WORK/fw.bin" -v --diff "$(port)"
	stat_is '.commands["0xa1"]' 10
	stat_is .page_erases 1
	stat_is '.commands["0x11"] // 0' "$connect_reads"
}

t_verify_read_and_none() {
	DEVICE=stm32h563zi
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" --verify=read "$(port)"
	stat_is '.commands["0xa1"] // 0' 0
	stat_at_least '.commands["0x11"]' 16
	run_ok -w "$WORK/fw.bin" -v --verify=none "$(port)"
	out_lacks "verified"
	run_fail -w "$WORK/fw.bin" --verify=maybe "$(port)"
	error_has "invalid --verify method"
}

t_blank_blocks_are_not_sent() {
	random_file "$WORK/a.bin" 1024
	erased_file "$WORK/ff.bin" 2048
	cat "$WORK/a.bin" "$WORK/ff.bin" "$WORK/a.bin" >"$WORK/fw.bin"
	seed_chip
	run_ok -w "$WORK/fw.bin" -v "$(port)"
	stat_is .page_erases 4
	stat_is .program_operations 8
	flash_slice "$WORK/got.bin" 0 4096
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_preserve_keeps_neighbouring_bytes() {
	seed_chip
	random_file "$WORK/small.bin" 512
	run_ok -S 0x08000500 -w "$WORK/small.bin" --preserve -v "$(port)"
	stat_is .page_erases 1
	extract_flash "$WORK/now.flash"
	cmp -s -n 1280 "$WORK/now.flash" "$WORK/seeded.flash" || fail "bytes before the file were lost"
	cmp -s -i 1792 "$WORK/now.flash" "$WORK/seeded.flash" || fail "bytes after the file were lost"
	flash_slice "$WORK/got.bin" 0x500 512
	same_bytes "$WORK/got.bin" "$WORK/small.bin"
	out_has "Kept 512 bytes"
}

t_without_preserve_the_erase_loses_neighbours() {
	seed_chip
	random_file "$WORK/small.bin" 512
	run_ok -S 0x08000500 -w "$WORK/small.bin" --dry-run "$(port)"
	out_has "lost:   the erase destroys 512 bytes outside the file"
	out_has "0x08000400..0x080004FF (256 bytes)"
	nothing_written
	run_ok -S 0x08000500 -w "$WORK/small.bin" "$(port)"
	extract_flash "$WORK/now.flash"
	! cmp -s -i 1024 -n 256 "$WORK/now.flash" "$WORK/seeded.flash" || fail "the neighbours survived without --preserve"
}

t_dry_run_shows_diff_compare_and_estimate() {
	run_ok "$(port)"
	local connect_reads
	connect_reads=$(jq '.commands["0x11"] // 0' "$STATS")
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -v --diff --dry-run "$(port)"
	out_has "Plan (write, incremental)"
	out_has "compare: 4 pages"
	out_has "if nothing differs"
	nothing_written
	stat_is '.commands["0x11"] // 0' "$connect_reads"
}

t_option_bytes_rdp_level2_refused() {
	DEVICE=stm32g071rb
	# RDP byte 0xCC at the start of the option area: level 2.
	{ hex_record 4 0 0x1F 0xFF; hex_record 0 0x7800 0xCC 0xFE 0xFF 0xFF; hex_record 1 0; } >"$WORK/opt.hex"
	run_fail -w "$WORK/opt.hex" "$(port)"
	error_has "readout protection level 2"
	hint_has "--allow-permanent-lock"
	nothing_written
	run_fail -w "$WORK/opt.hex" --dry-run "$(port)"
	nothing_written
}

t_option_bytes_boot_pin_lock_refused_on_g4() {
	DEVICE=stm32g431
	# OPTR with nSWBOOT0 (bit 26) cleared and nBOOT0 (bit 27) set.
	{ hex_record 4 0 0x1F 0xFF; hex_record 0 0x7800 0xAA 0xF8 0xEF 0xFB; hex_record 1 0; } >"$WORK/opt.hex"
	run_fail -w "$WORK/opt.hex" "$(port)"
	error_has "BOOT0 pin ignored"
	nothing_written
}

t_option_bytes_dry_run_shows_old_and_new() {
	DEVICE=stm32g071rb
	# A harmless change: the BOR level bits of byte 1.
	{ hex_record 4 0 0x1F 0xFF; hex_record 0 0x7800 0xAA 0xFC 0xFF 0xFF; hex_record 1 0; } >"$WORK/opt.hex"
	run_ok -w "$WORK/opt.hex" --dry-run "$(port)"
	out_has "option: 0x1FFF7801: 0xFE -> 0xFC"
	nothing_written
}

t_smart_options_need_write() {
	run_fail --diff "$(port)"
	error_has "only apply to -w"
	random_file "$WORK/fw.bin" 1024
	run_fail -w "$WORK/fw.bin" --diff -e 0 "$(port)"
	error_has "cannot be combined with -e 0"
}

t_help_lists_smart_options() {
	run_ok --help
	out_has "--diff"
	out_has "--preserve"
	out_has "--verify[=HOW]"
	out_has "--allow-permanent-lock"
}

# F1 bootloaders erase every option byte before programming those sent: a
# file that sets a few of them must not wipe the rest (user byte, WRP).
t_option_bytes_write_keeps_the_bytes_the_file_leaves_out() {
	DEVICE=stm32f103xb
	run_ok -r "$WORK/before.bin" -S 0x1FFFF800:16 "$(port)"
	# USER = 0xFE (hardware watchdog), nUSER = 0x01.
	{ hex_record 4 0 0x1F 0xFF; hex_record 0 0xF802 0xFE 0x01; hex_record 1 0; } >"$WORK/user.hex"
	run_ok -w "$WORK/user.hex" "$(port)"
	out_has "reset itself to load the new option bytes"
	# RDP level 0 again (no change): the user byte set above must stay.
	{ hex_record 4 0 0x1F 0xFF; hex_record 0 0xF800 0xA5 0x5A; hex_record 1 0; } >"$WORK/rdp.hex"
	run_ok -w "$WORK/rdp.hex" "$(port)"
	run_ok -r "$WORK/after.bin" -S 0x1FFFF800:16 "$(port)"
	printf '\xa5\x5a\xfe\x01' >"$WORK/want.bin"
	tail -c 12 "$WORK/before.bin" >>"$WORK/want.bin"
	same_bytes "$WORK/after.bin" "$WORK/want.bin"
}
