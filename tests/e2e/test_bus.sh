# The UART suite's core cases over I2C (AN4221) and SPI (AN4286): stm32boot
# opens /dev/i2c-7 or /dev/spidev0.0, the interposer connects that node to
# `stm32boot-sim --interface i2c|spi` (lib.sh: port, run). Each case is one
# body run on both interfaces.

on_bus() { # on_bus i2c|spi
	"$STM32BOOT_SIM_PROGRAM" --help 2>&1 | grep -- '--interface' >/dev/null || {
		echo "SKIP: the emulator has no --interface" >&2; exit 77; }
	[ -n "${STM32BOOT_INTERPOSER:-}" ] && [ -f "$STM32BOOT_INTERPOSER" ] || {
		echo "SKIP: the interposer is not built" >&2; exit 77; }
	E2E_INTERFACE=$1
	DEVICE=stm32f411xe # has both an I2C and an SPI bootloader
}

bus_describe() {
	run_ok --verbose "$(port)"
	out_has "Interface:    $E2E_INTERFACE"
	out_has "PID 0x431"
	stat_is .device '"stm32f411xe"'
}

bus_write_verify() {
	random_file "$WORK/fw.bin" 70000
	run_ok -w "$WORK/fw.bin" -v "$(port)"
	out_has "Wrote and verified 70000 bytes"
	flash_slice "$WORK/head.bin" 0 70000
	same_bytes "$WORK/head.bin" "$WORK/fw.bin"
	stat_at_least .program_operations 274
	# 70000 bytes fit the first five sectors (4 x 16 KiB + 64 KiB).
	stat_is .page_erases 5
}

bus_read() {
	seed_chip
	run_ok -r "$WORK/dump.bin" "$(port)"
	same_bytes "$WORK/dump.bin" "$WORK/seed.bin"
	run_ok -r "$WORK/part.bin" -S 0x08010004:1000 "$(port)"
	dd if="$WORK/seed.bin" of="$WORK/part.want" bs=1 skip=$((0x10004)) count=1000 status=none
	same_bytes "$WORK/part.bin" "$WORK/part.want"
	nothing_written
}

bus_erase() {
	seed_chip
	run_ok -o "$(port)"
	extract_flash "$WORK/now.flash"
	erased_file "$WORK/erased.bin" "$(flash_size)"
	same_bytes "$WORK/now.flash" "$WORK/erased.bin"
}

bus_crc() {
	seed_chip
	run_ok -C -S 0x08000000:4096 "$(port)"
	out_has "CRC(0x08000000-0x08001000)"
	nothing_written
}

bus_protect() {
	seed_chip
	run_ok -j "$(port)"
	stat_is .rdp_level 1
	run_fail -r "$WORK/dump.bin" "$(port)"
	error_has "read-protected"
	run_ok -k "$(port)"
	stat_is .rdp_level 0
	extract_flash "$WORK/now.flash"
	erased_file "$WORK/erased.bin" "$(flash_size)"
	same_bytes "$WORK/now.flash" "$WORK/erased.bin"
	run_ok -u "$(port)"
	stat_at_least .resets 1
}

bus_go() {
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -g 0x08000000 "$(port)"
	stat_is .state '"application"'
	stat_is .boots_application 1
}

bus_bad_input() {
	run_fail -w "$WORK/missing.bin" "$(port)"
	nothing_written
	printf ':0400000001020304F0\n:00000001FF\n' >"$WORK/bad.hex"
	run_fail -w "$WORK/bad.hex" "$(port)"
	nothing_written
	run_fail -r "$WORK/dump.bin" -S 0x08000002:16 "$(port)"
	error_has "word-aligned"
	nothing_written
}

t_i2c_describe() { on_bus i2c; bus_describe; }
t_i2c_write_verify() { on_bus i2c; bus_write_verify; }
t_i2c_read() { on_bus i2c; bus_read; }
t_i2c_erase() { on_bus i2c; bus_erase; }
t_i2c_crc() { on_bus i2c; bus_crc; }
t_i2c_protect() { on_bus i2c; bus_protect; }
t_i2c_go() { on_bus i2c; bus_go; }
t_i2c_bad_input() { on_bus i2c; bus_bad_input; }

t_spi_describe() { on_bus spi; bus_describe; }
t_spi_write_verify() { on_bus spi; bus_write_verify; }
t_spi_read() { on_bus spi; bus_read; }
t_spi_erase() { on_bus spi; bus_erase; }
t_spi_crc() { on_bus spi; bus_crc; }
t_spi_protect() { on_bus spi; bus_protect; }
t_spi_go() { on_bus spi; bus_go; }
t_spi_bad_input() { on_bus spi; bus_bad_input; }

# I2C specifics: the address is required, checked, and must answer.
t_i2c_needs_address() {
	on_bus i2c
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS; STATUS=0
	"$STM32BOOT" /dev/i2c-7 >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS without -a"
	error_has "-a"
	run_fail -a 0x02 "$(port)"
	error_has "0x03..0x77"
}

t_i2c_wrong_address_fails() {
	on_bus i2c
	# stm32boot's -a comes first; this later one overrides it.
	run_fail -a 0x42 "$(port)"
	error_has "0x42"
}

t_spi_bad_speed() {
	on_bus spi
	run_fail --spi-speed 0 "$(port)"
	error_has "--spi-speed"
	run_ok --spi-speed 8000000 --verbose "$(port)"
	out_has "8000000 Hz"
}

# sim: ports with interface=i2c|spi: no interposer, no device node; the
# library talks to the emulator's bus socket with the same protocol code.
# A G0 with its factory options boots a programmed flash whatever BOOT0 says
# (nBOOT_SEL = 1, nBOOT0 = 1; RM0444): the BOOT0 pin decides once nBOOT_SEL = 0,
# so the later runs find the bootloader again.
g0_boot0_pin_decides() {
	run_ok --set-option nBOOT_SEL=0 "$(port "$1")"
}

t_sim_port_i2c_write_verify_read() {
	DEVICE=stm32g071rb
	random_file "$WORK/fw.bin" 5000
	g0_boot0_pin_decides interface=i2c
	run_ok -w "$WORK/fw.bin" -v "$(port interface=i2c)"
	out_has "Interface:    sim i2c addr 0x51 (emulated)"
	out_has "Wrote and verified 5000 bytes"
	stat_is .interface '"i2c"'
	flash_slice "$WORK/head.bin" 0 5000
	same_bytes "$WORK/head.bin" "$WORK/fw.bin"
	run_ok -r "$WORK/dump.bin" -S 0x08000000:5000 "$(port interface=i2c)"
	same_bytes "$WORK/dump.bin" "$WORK/fw.bin"
}

t_sim_port_spi_write_verify_at_its_clock() {
	DEVICE=stm32g071rb
	random_file "$WORK/fw.bin" 5000
	g0_boot0_pin_decides interface=spi
	run_ok --spi-speed 4000000 -w "$WORK/fw.bin" -v "$(port interface=spi)"
	out_has "Interface:    sim spi 4000000 Hz mode 0 (emulated)"
	stat_is .interface '"spi"'
	flash_slice "$WORK/head.bin" 0 5000
	same_bytes "$WORK/head.bin" "$WORK/fw.bin"
	# -a belongs to I2C: warned about and ignored on an SPI sim: port.
	run_ok -a 0x51 "$(port interface=spi)"
	err_has "-a 0x51 ignored"
}

t_sim_port_bus_errors() {
	DEVICE=stm32g071rb
	run_fail -a 0x22 "$(port interface=i2c)"
	error_has "no answer from I2C address 0x22"
	run_fail "$(port interface=can)"
	error_has "interface 'can' is not uart, i2c or spi"
	DEVICE=stm32f103xb
	run_fail "$(port interface=i2c)"
	error_has "stm32f103xb's bootloader has no I2C interface"
	DEVICE=stm32g071rb
	run_fail -i rts "$(port interface=spi)"
	error_has "an SPI link has no RTS/DTR lines"
}
