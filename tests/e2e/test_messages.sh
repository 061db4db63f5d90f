# Messages that say what happened: -S lengths too large, phases that did
# nothing, the same bytes counted by write and verify.

t_messages_length_too_large_says_the_largest() {
	run_fail -r "$WORK/dump.bin" -S 0x08000000:0x100000000 "$(port)"
	error_has "is too large"
	error_has "the largest from 0x08000000 is 0xF8000000"
	err_lacks "non-zero"
}

t_messages_length_past_the_address_space_says_the_largest() {
	run_fail -r "$WORK/dump.bin" -S 0xFFFFFF00:0x101 "$(port)"
	error_has "the largest from 0xFFFFFF00 is 0x100"
}

t_messages_diff_with_nothing_to_do_prints_no_empty_phases() {
	run_ok -w "$E2E_EXAMPLES/blinky.hex" "$(port)"
	run_ok --diff -v -w "$E2E_EXAMPLES/blinky.hex" "$(port)"
	out_has "Already on the chip"
	err_lacks "(0/0 "
	err_lacks "write:"
}

t_messages_write_and_verify_count_the_file_bytes() {
	run_ok -w "$E2E_EXAMPLES/blinky.hex" -v "$(port)"
	local write verify
	write=$(grep -o 'write: 100% ([0-9]*/[0-9]* bytes)' "$ERR") || fail "no write progress"
	verify=$(grep -o 'verify: 100% ([0-9]*/[0-9]* bytes)' "$ERR") || fail "no verify progress"
	[ "${write#write: }" = "${verify#verify: }" ] || fail "write counted $write, verify $verify"
	err_has "write: 100% (170/170 bytes)"
}
