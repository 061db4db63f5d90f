# Connecting, naming the chip, --help, --version, --quiet, --verbose.

t_connect_names_chip() {
	run_ok "$(port)"
	out_has "PID 0x410"
	out_has "STM32F10xxx Medium-density"
	out_has "Bootloader:   v2.2"
	out_has "128 KiB, 128 x 1 KiB pages"
	out_has "Readout protection: off"
	out_has "RAM:"
	stat_is .page_erases 0
	stat_is .program_operations 0
	stat_is '.commands["0x02"]' 1
}

t_connect_sector_layout() {
	DEVICE=stm32f407xg
	run_ok "$(port)"
	out_has "PID 0x413"
	out_has "1 MiB: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB sectors"
}

t_help() {
	run_ok --help
	out_has "Usage: stm32boot"
	out_has "--dry-run"
	for opt in -a -b -m -r -w -u -j -k -o -e -v -n -g -s -S -F -f -h -c -i -C -R; do
		grep -qE -- "^ +$opt, --" "$OUT" || fail "--help does not list $opt"
	done
	run_ok -h
	out_has "Usage: stm32boot"
}

t_version() {
	run_ok --version
	grep -qE '^stm32boot [0-9]+\.[0-9]+\.[0-9]+' "$OUT" || fail "no version line"
}

t_quiet_prints_nothing() {
	random_file "$WORK/fw.bin" 2048
	run_ok --quiet -w "$WORK/fw.bin" -v "$(port)"
	[ ! -s "$OUT" ] || fail "--quiet printed to stdout"
	[ ! -s "$ERR" ] || fail "--quiet printed to stderr"
	flash_slice "$WORK/got.bin" 0 2048
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_verbose_lists_commands() {
	run_ok --verbose "$(port)"
	out_has "Commands:"
	out_has "00 01 02 11 21 31"
}

t_unknown_option_is_an_error() {
	run_fail -Z "$(port)"
	error_has "unknown option -Z"
	[ ! -e "$STATS" ] || fail "the emulator was started"
	run_fail --no-such-option "$(port)"
	error_has "unknown option --no-such-option"
}

t_progress_and_summary_without_terminal() {
	random_file "$WORK/fw.bin" 8192
	run_ok -w "$WORK/fw.bin" -v "$(port)"
	err_has "write: 100% (8192/8192 bytes)"
	err_has "verify: 100%"
	grep -qE '^Wrote and verified 8192 bytes in [0-9.]+ s \([0-9.]+ [KM]iB/s\)$' "$OUT" \
		|| fail "no summary line"
}

t_sim_parity_not_warned() {
	run_ok "$(port)"
	err_lacks "parity"
}
