# --list, and a run without PORT, against a sysfs tree of the test's own
# (STM32BOOT_SYSFS_ROOT, STM32BOOT_DEV_ROOT).

t_list_shows_usb_serial_adapters() {
	fake_sysfs "$WORK/sys" ttyUSB9:0403:6001:A50285BI
	STM32BOOT_SYSFS_ROOT=$WORK/sys run_ok --list
	out_has "/dev/ttyUSB9"
	out_has "serial, USB 0403:6001 FTDI FT232R USB UART, serial A50285BI"
	out_lacks "ttyS0"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "expected one board"
}

t_list_without_boards_says_where_it_looked() {
	fake_sysfs "$WORK/sys"
	STM32BOOT_SYSFS_ROOT=$WORK/sys run_ok --list
	err_has "No boards found (looked for serial ports in /sys/class/tty"
	[ ! -s "$OUT" ] || fail "stdout should be empty"
}

t_list_refuses_a_port_and_an_action() {
	run_fail --list "$(port)"
	error_has "--list takes no PORT"
}

t_no_port_uses_the_only_board() {
	tty_sim_start
	fake_sysfs "$WORK/sys" ttyUSB9:0403:6001:A50285BI
	mkdir -p "$WORK/dev"
	ln -s "$WORK/tty" "$WORK/dev/ttyUSB9"
	random_file "$WORK/fw.bin" 1024
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	STATUS=0
	STM32BOOT_SYSFS_ROOT=$WORK/sys STM32BOOT_DEV_ROOT=$WORK/dev \
	LD_PRELOAD=$STM32BOOT_INTERPOSER STM32BOOT_SIM_TTY=$WORK/tty STM32BOOT_SIM_CONTROL=$WORK/control \
		timeout 100 "$STM32BOOT" --no-stub -w "$WORK/fw.bin" -v >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	out_has "Port:         $WORK/dev/ttyUSB9 (the only board found: serial, USB 0403:6001"
	out_has "Wrote and verified 1024 bytes"
	sim_stop
	flash_slice "$WORK/got.bin" 0 1024
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

t_no_port_with_several_boards_refuses() {
	fake_sysfs "$WORK/sys" ttyUSB9:0403:6001:A1 ttyACM3:0483:5740:B2
	STM32BOOT_SYSFS_ROOT=$WORK/sys run_fail -w "$E2E_EXAMPLES/blinky.hex"
	error_has "no port given, and 2 boards found"
	err_has "/dev/ttyACM3"
	err_has "/dev/ttyUSB9"
}

t_no_port_without_boards_says_what_was_looked_for() {
	fake_sysfs "$WORK/sys"
	STM32BOOT_SYSFS_ROOT=$WORK/sys run_fail
	error_has "no board found (looked for serial ports in /sys/class/tty"
}
