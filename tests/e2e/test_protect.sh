# -j, -k, -u and what a read-protected chip does to the other actions.

t_read_protect_then_refuses_read() {
	seed_chip
	run_ok -j "$(port)"
	stat_is .rdp_level 1
	run_fail -r "$WORK/dump.bin" "$(port)"
	error_has "read-protected"
	hint_has "-k removes protection"
	[ ! -e "$WORK/dump.bin" ] || fail "a dump file was left behind"
	run_fail -w "$WORK/seed.bin" "$(port)"
	hint_has "-k removes protection"
	nothing_written
}

t_read_unprotect_erases() {
	seed_chip
	run_ok -j "$(port)"
	run_ok -k "$(port)"
	stat_is .rdp_level 0
	extract_flash "$WORK/now.flash"
	erased_file "$WORK/erased.bin" "$(flash_size)"
	same_bytes "$WORK/now.flash" "$WORK/erased.bin"
	run_ok -r "$WORK/dump.bin" -S 0x08000000:1024 "$(port)"
}

t_write_unprotect() {
	run_ok -u "$(port)"
	stat_is '.commands["0x73"]' 1
	stat_at_least .resets 1
	out_has "Write-unprotecting"
}

t_protect_commands_refuse_reset() {
	run_ok -u -R "$(port)"
	# The chip resets itself after 0x73; -R adds no reset of its own.
	stat_is .resets 1
}
