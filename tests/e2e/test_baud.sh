# -b and the chip's documented UART maximum (data/devices.tsv uart_max_baud,
# 115200 for the stm32f103xb used here): an emulator given --max-baud does
# not answer a 0x7F sent faster than that (without it, any rate), stm32boot
# hints -b 115200 when the sync fails above 115200, warns once when a chip
# answers above its documented maximum, and without -b runs a sim: port at
# the fastest rate its emulated chip handles.

# One run's warning lines.
warnings() { grep -c '^stm32boot: warning: ' "$ERR"; }

t_sync_refused_above_the_documented_maximum() {
	run_fail -b 460800 "$(port max-baud=115200)"
	error_has "no answer"
	hint_has "-b 115200"
	# The chip heard the sync bytes and sent nothing back.
	stat_at_least .bytes_in 1
	stat_is .bytes_out 0
	stat_is .state '"bootloader"'
	# At the documented maximum the same chip answers, with no warning.
	run_ok -b 115200 "$(port max-baud=115200)"
	out_has "Interface:    sim 115200 8E1"
	[ "$(warnings)" -eq 0 ] || fail "a warning at the documented rate"
}

# A sync that fails at 115200 or below is not blamed on the rate's limit.
t_sync_refused_at_115200_gives_the_usual_hint() {
	run_fail "$(port max-baud=57600)"
	error_has "no answer"
	hint_has "is the baud rate too high?"
	! grep '^hint: ' "$ERR" | grep -qF -- "-b 115200" || fail "the hint suggests -b 115200 at 115200"
	run_ok -b 57600 "$(port max-baud=57600)"
}

t_answer_above_the_documented_maximum_warns_once() {
	random_file "$WORK/fw.bin" 2048
	run_ok -b 460800 -w "$WORK/fw.bin" -v "$(port max-baud=460800)"
	out_has "Interface:    sim 460800 8E1"
	[ "$(warnings)" -eq 1 ] || fail "$(warnings) warning lines, expected one"
	err_has "warning: 460800 baud is above 115200, the highest rate documented for the STM32F10xxx Medium-density bootloader"
	flash_slice "$WORK/got.bin" 0 2048
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# Raising the emulator's limit is not what silences the warning: the
	# documented maximum is the chip's, so only a rate within it does.
	run_ok -b 115200 "$(port max-baud=460800)"
	[ "$(warnings)" -eq 0 ] || fail "a warning at 115200"
}

t_default_rate_follows_the_emulated_chip() {
	run_ok "$(port)"
	out_has "Interface:    sim 115200 8E1"
	[ "$(warnings)" -eq 0 ] || fail "a warning at the default rate"
	# The emulated chip handles 921600: without -b that is the rate used,
	# above the documented maximum, so the warning says so.
	run_ok "$(port max-baud=921600)"
	out_has "Interface:    sim 921600 8E1"
	[ "$(warnings)" -eq 1 ] || fail "$(warnings) warning lines, expected one"
	# A limit between two rates: the fastest settable rate within it (not
	# 256000, which termios has no constant for).
	run_ok "$(port max-baud=300000)"
	out_has "Interface:    sim 230400 8E1"
	# -b wins over the chip's limit.
	run_ok -b 57600 "$(port max-baud=921600)"
	out_has "Interface:    sim 57600 8E1"
	[ "$(warnings)" -eq 0 ] || fail "a warning at 57600"
}

# A tty port (the chip unknown until identified) through the test
# interposer, which tells the emulator the host's termios (lib.sh).
t_tty_port_through_the_interposer() {
	tty_sim_start --max-baud 115200
	run_on_tty -b 230400
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	hint_has "-b 115200"
	# The rate is the host's to choose: the same emulator answers at 115200.
	run_on_tty -b 115200
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS at 115200: $(cat "$ERR")"
	out_has "PID 0x410"
	sim_stop
	tty_sim_start --max-baud 2000000
	run_on_tty -b 2000000
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS at 2000000: $(cat "$ERR")"
	[ "$(warnings)" -eq 1 ] || fail "$(warnings) warning lines, expected one"
	err_has "2000000 baud is above 115200"
	# Not a sim: port, so no -b means 115200 whatever the emulator allows.
	run_on_tty
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS without -b: $(cat "$ERR")"
	[ "$(warnings)" -eq 0 ] || fail "a warning without -b"
	sim_stop
}

t_emulator_max_baud_option_is_checked() {
	local status=0
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --max-baud fast >"$WORK/o" 2>"$WORK/e" || status=$?
	[ "$status" -eq 2 ] || fail "--max-baud fast: exit status $status, expected 2"
	grep -qF "bad --max-baud 'fast'" "$WORK/e" || fail "no clear error: $(cat "$WORK/e")"
	status=0
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --max-baud 5000000 >"$WORK/o" 2>"$WORK/e" || status=$?
	[ "$status" -eq 2 ] || fail "--max-baud 5000000: exit status $status, expected 2"
	"$STM32BOOT_SIM_PROGRAM" --help | grep -F -- "--max-baud N" >/dev/null || fail "--help lacks --max-baud"
}
