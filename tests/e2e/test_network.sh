# Network serial ports: stm32boot -> ser2net (127.0.0.1 only) -> the
# emulator's pty, with the test interposer preloaded into ser2net so that
# parity, modem lines and BREAK reach the emulated chip.

. "$(dirname "${BASH_SOURCE[0]}")/net_lib.sh"

ENTER='-rts&dtr,-dtr'   # BOOT0 high, pulse NRST low: the bootloader starts
LEAVE='rts&dtr,-dtr'    # BOOT0 low, pulse NRST low: the application starts

net_start() { # net_start [EMULATOR OPTIONS...]
	tty_sim_start "$@"
	trap 'ser2net_stop; e2e_cleanup' EXIT
	ser2net_start "$WORK/tty" "$WORK/control"
}

run_net() { # run_net ARGS... (the port among them): sets STATUS, OUT, ERR
	local pin
	pin=$(stub_pin "$@") # the ROM over the network unless a test says otherwise (lib.sh)
	set -- ${pin:+"$pin"} "$@"
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	printf '%q ' stm32boot "$@" >"$WORK/cmd.$RUNS"
	STATUS=0
	timeout 100 "$STM32BOOT" "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report"
	fi
}

sim_state() { printf 'STATE\n' | socat -t 5 - "UNIX-CONNECT:$WORK/control"; }

t_net_rfc2217_write_and_verify() {
	net_start
	random_file "$WORK/fw.bin" 6000
	run_net -w "$WORK/fw.bin" -v "rfc2217://127.0.0.1:$RFC_PORT"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	out_has "Interface:    rfc2217 127.0.0.1:$RFC_PORT, 115200 8E1"
	out_has "Wrote and verified 6000 bytes"
	err_lacks "warning"
	ser2net_stop
	sim_stop
	flash_slice "$WORK/got.bin" 0 6000
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_net_socket_write_and_verify() {
	net_start
	random_file "$WORK/fw.bin" 6000
	run_net -w "$WORK/fw.bin" -v "socket://127.0.0.1:$RAW_PORT"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	out_has "Wrote and verified 6000 bytes"
	# The server's settings apply, said once.
	[ "$(grep -c 'warning: ' "$ERR")" -eq 1 ] || fail "expected one warning"
	err_has "carries bytes only: the server's baud rate, parity and modem lines apply"
	ser2net_stop
	sim_stop
	flash_slice "$WORK/got.bin" 0 6000
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_net_rfc2217_gpio_entry_and_exit() {
	net_start --boot0 rts --reset dtr
	random_file "$WORK/fw.bin" 2048
	run_net -i "$ENTER:$LEAVE" -w "$WORK/fw.bin" -v "rfc2217://127.0.0.1:$RFC_PORT"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	[ "$(sim_state)" = "STATE application" ] || fail "the exit sequence did not start the application"
	ser2net_settle
	# -R with an exit sequence runs it: back to the bootloader, then out.
	run_net -i "$ENTER:$LEAVE" -R "rfc2217://127.0.0.1:$RFC_PORT"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS (-R)"
	[ "$(sim_state)" = "STATE application" ] || fail "-R did not leave the application running"
	ser2net_stop
	sim_stop
	stat_is .boots_bootloader 3   # power-on, two entry sequences
	stat_is .boots_application 2  # two exit sequences
	flash_slice "$WORK/got.bin" 0 2048
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_net_rfc2217_break_resets_the_chip() {
	# NRST on BREAK: ser2net acks BREAK OFF as BREAK ON; the BREAK still
	# has to reach the chip, and end.
	net_start --boot0 rts --reset brk
	run_net -i '-rts,brk:rts,brk' "rfc2217://127.0.0.1:$RFC_PORT"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS: $(cat "$ERR")"
	[ "$(sim_state)" = "STATE application" ] || fail "the BREAK did not reset the chip into its application"
	ser2net_stop
	sim_stop
	stat_is .boots_bootloader 2
	stat_is .boots_application 1
}

t_net_socket_refuses_modem_lines() {
	# Refused before anything is opened: nothing needs to listen.
	run_net -i "$ENTER" socket://127.0.0.1:1
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "expected one error line"
	error_has "socket://127.0.0.1:1 carries bytes only: it has no modem lines"
	hint_has "rfc2217://"
	# Without modem lines in the sequence it is not refused (and fails to connect).
	run_net -i "100" socket://127.0.0.1:1
	err_lacks "no modem lines"
	error_has "cannot connect to socket://127.0.0.1:1"
}

t_net_bad_addresses() {
	local address reason
	while IFS='|' read -r address reason; do
		run_net "$address"
		[ "$STATUS" -eq 1 ] || fail "$address: exit status $STATUS, expected 1"
		[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "$address: expected one error line"
		error_has "$address: $reason"
	done <<'LIST'
rfc2217://127.0.0.1|no port (expected rfc2217://HOST:PORT)
rfc2217://127.0.0.1:0|the port must be a number from 1 to 65535
socket://127.0.0.1:99999|the port must be a number from 1 to 65535
socket://::1:4000|put an IPv6 address in brackets
socket://[::1]4000|an IPv6 address is written [ADDRESS]:PORT
rfc2217://127.0.0.1:1?colour=red|unknown option 'colour'
LIST
}

t_net_rfc2217_client_on_a_raw_port_is_refused() {
	net_start
	run_net "rfc2217://127.0.0.1:$RAW_PORT"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	error_has "COM-PORT-OPTION"
	error_has "socket://127.0.0.1:$RAW_PORT"
}

t_net_server_killed_mid_write() {
	# At 115200 baud in realtime 64 KiB take seconds: ser2net dies while
	# Write Memory commands are under way.
	net_start --speed realtime
	random_file "$WORK/fw.bin" 65536
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	timeout 100 "$STM32BOOT" --no-stub -w "$WORK/fw.bin" -v "rfc2217://127.0.0.1:$RFC_PORT" \
		>"$OUT" 2>"$ERR" </dev/null &
	local pid=$! i
	for i in $(seq 500); do grep -q '^write: 10%' "$ERR" && break; sleep 0.02; done
	grep -q '^write: 10%' "$ERR" || fail "the write never got under way"
	kill -KILL "$S2N_PID"
	wait "$S2N_PID" 2>/dev/null
	S2N_PID=
	STATUS=0
	wait "$pid" || STATUS=$?
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "expected one error line"
	error_has "the connection to 127.0.0.1:$RFC_PORT"
	error_has "bytes sent"
	error_has "Write Memory"
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR" || fail "sanitizer report"
	sim_stop
}
