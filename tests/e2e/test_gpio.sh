# -i with rts/dtr against an emulator wired BOOT0 = RTS, NRST = DTR, through
# the test interposer (which forwards modem lines to the emulator).
#
# stm32flash's convention: "rts" asserts the modem bit (the pin goes LOW on a
# USB-UART adapter), "-rts" clears it (pin HIGH).

ENTER='-rts&dtr,-dtr'   # BOOT0 high, pulse NRST low: the bootloader starts
LEAVE='rts&dtr,-dtr'    # BOOT0 low, pulse NRST low: the application starts

wired_sim_start() { # wired_sim_start [EXTRA EMULATOR OPTIONS...]
	tty_sim_start --boot0 rts --reset dtr "$@"
}

sim_state() {
	printf 'STATE\n' | socat -t 5 - "UNIX-CONNECT:$WORK/control"
}

t_gpio_entry_and_exit_sequences() {
	wired_sim_start
	random_file "$WORK/fw.bin" 1024
	run_on_tty -i "$ENTER:$LEAVE" -w "$WORK/fw.bin" -v
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	[ "$(sim_state)" = "STATE application" ] || fail "the exit sequence did not start the application"
	sim_stop
	stat_is .boots_bootloader 2   # power-on, then the entry sequence
	stat_is .boots_application 1  # the exit sequence
	stat_is .resets 2
	flash_slice "$WORK/got.bin" 0 1024
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

# The chip resets itself in the middle of the write: the executor finds it
# silent, runs the -i entry sequence again and carries on.
t_gpio_entry_sequence_rerun_after_a_reset() {
	# reset-after counts bytes: 1500 lands inside the fifth Write Memory. The
	# data holds no 0x7F, so the reset chip stays silent until synced.
	wired_sim_start --faults reset-after=1500 --seed 1
	head -c 4096 /dev/zero | tr '\0' 'Z' >"$WORK/fw.bin"
	run_on_tty -i "$ENTER:$LEAVE" -w "$WORK/fw.bin" -v
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS: $(cat "$ERR")"
	grep -q 'running the -i entry sequence again' "$ERR" || fail "the entry sequence was not run again"
	sim_stop
	stat_is .faults.reset 1
	stat_is .boots_bootloader 4  # power-on, entry, the fault's reset, entry again
	flash_slice "$WORK/got.bin" 0 4096
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_gpio_wrong_entry_sequence_fails() {
	wired_sim_start
	# Resetting with BOOT0 low starts the application: nobody answers 0x7F.
	run_on_tty -i "$LEAVE"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	grep -q '^stm32boot: error: no answer' "$ERR" || fail "no 'no answer' error"
	grep -q '^hint: is BOOT0 high' "$ERR" || fail "no BOOT0 hint"
	sim_stop
	stat_is .program_operations 0
}

t_gpio_reset_uses_exit_sequence() {
	wired_sim_start
	run_on_tty -i "$ENTER:$LEAVE" -R
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	[ "$(sim_state)" = "STATE application" ] || fail "-R did not run the exit sequence"
	sim_stop
	# Only GPIO resets (entry + exit), no software reset stub.
	stat_is .resets 2
	stat_is '.commands["0x21"] // 0' 0
}

t_gpio_parity_from_mode_reaches_the_chip() {
	wired_sim_start
	# Through the interposer the emulator sees the real framing: 8O1 is garbage.
	run_on_tty -m 8o1
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	grep -q '^hint: is BOOT0 high' "$ERR" || fail "no hint"
	run_on_tty -m 8e1
	[ "$STATUS" -eq 0 ] || fail "8e1 did not connect"
	sim_stop
}
