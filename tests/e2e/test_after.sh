# -C, -g, -R, -c, --dry-run.

t_crc_matches_flash() {
	pattern_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" "$(port)"
	run_ok -C -S 0x08000000:4096 "$(port)"
	# Reference: 0xFFFFFFFF, poly 0x04C11DB7, 32-bit little-endian words (the STM32 CRC unit).
	local want
	want=$(od -An -v -tu4 --endian=little -w4 "$WORK/fw.bin" | awk '
		BEGIN { crc = 4294967295 }
		{ w = $1; crc = xor(crc, w)
		  for (i = 0; i < 32; i++) {
			if (and(crc, 2147483648)) crc = xor(and(lshift(crc, 1), 4294967295), 79764919)
			else crc = and(lshift(crc, 1), 4294967295)
		  } }
		END { printf "0x%08X", crc }')
	out_has "CRC(0x08000000-0x08001000) = $want"
	nothing_written
}

t_go_starts_program() {
	run_ok -g 0 "$(port)"
	stat_is .state '"application"'
	stat_is .boots_application 1
	out_has "Started the program at 0x08000000"
}

t_go_after_write() {
	random_file "$WORK/fw.bin" 256
	run_ok -w "$WORK/fw.bin" -g 0x08000000 "$(port)"
	stat_is .state '"application"'
}

t_reset() {
	run_ok -R "$(port)"
	stat_is .resets 1
	stat_is .boots_bootloader 2
	stat_is .state '"bootloader"'
}

t_go_suppresses_reset() {
	run_ok -g 0 -R "$(port)"
	stat_is .resets 0
	stat_is .state '"application"'
}

t_dry_run_changes_nothing() {
	seed_chip
	random_file "$WORK/fw.bin" 3000
	run_ok --dry-run -w "$WORK/fw.bin" -v -g 0 "$(port)"
	out_has "Plan (write):"
	out_has "erase:  3 pages (0-2)"
	out_has "Dry run: nothing was changed."
	nothing_written
	stat_is .state '"bootloader"'
	flash_unchanged
}

t_dry_run_erase() {
	seed_chip
	run_ok --dry-run -o "$(port)"
	out_has "mass erase"
	nothing_written
	flash_unchanged
}

# A bootloader already synced by an earlier run: -c must not send 0x7F.
t_no_init_on_synced_bootloader() {
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --link "$WORK/tty" --stats "$STATS" --speed fast \
		>"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 100); do [ -e "$WORK/tty" ] && break; sleep 0.05; done
	[ -e "$WORK/tty" ] || fail "emulator did not start"
	run_ok "$WORK/tty"
	run_ok -c "$WORK/tty"
	out_has "PID 0x410"
	# A tty that dropped the parity bit is worth one warning (not for sim:).
	err_has "did not keep the parity setting"
	kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_PID=
	stat_is '.bytes_in >= 1' true
}

t_no_init_on_fresh_chip_fails() {
	run_fail -c "$(port)"
	hint_has "BOOT0"
	nothing_written
}

t_port_held_by_another_program() {
	command -v flock >/dev/null || fail "flock (util-linux) is required"
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --link "$WORK/tty" --stats "$STATS" --speed fast \
		>"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 100); do [ -e "$WORK/tty" ] && break; sleep 0.05; done
	[ -e "$WORK/tty" ] || fail "emulator did not start"
	# Hold the port's lock until the fifo is written to.
	mkfifo "$WORK/release"
	flock -x "$WORK/tty" cat "$WORK/release" &
	local holder=$!
	for i in $(seq 100); do flock -n -x "$WORK/tty" true 2>/dev/null || break; sleep 0.05; done
	run_fail "$WORK/tty"
	hint_has "another program holds $WORK/tty"
	echo >"$WORK/release"
	wait "$holder"
	kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_PID=
	stat_is .program_operations 0
}

# F030xC/F09x boot their bootloader while the first flash word is blank,
# BOOT0 low or not, and re-read that only when the option bytes load: -R
# reloads them (FLASH_CR.OBL_LAUNCH), so the program just written runs.
t_reset_after_programming_a_blank_f030xc_runs_the_program() {
	DEVICE=stm32f030xc
	local boot0_low=boot0=dtr,invert-boot0 # DTR not asserted: BOOT0 low
	run_ok "$(port "$boot0_low")"
	stat_is .state '"bootloader"' # blank: the empty check picks the bootloader
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -R "$(port "$boot0_low")"
	out_has "Reset the chip."
	stat_is .resets 1
	stat_is .state '"application"'
	run_fail "$(port "$boot0_low")" # the program runs from power-on now
	stat_is .state '"application"'
}

# L45x/L46x keep the flag in FLASH_SR.PEMPTY: -R clears it (if set) before
# the system reset, so the program runs here too.
t_reset_after_programming_a_blank_l45x_runs_the_program() {
	DEVICE=stm32l45x
	local boot0_low=boot0=dtr,invert-boot0
	run_ok "$(port "$boot0_low")"
	stat_is .state '"bootloader"'
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -R "$(port "$boot0_low")"
	stat_is .resets 1
	stat_is .state '"application"'
}

# The plain reset does not touch the flag: on a chip that is not blank it
# is never set, and BOOT0 decides.
t_reset_of_a_programmed_f103_follows_boot0() {
	local boot0_low=boot0=dtr,invert-boot0
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" "$(port)"
	run_fail "$(port "$boot0_low")" # BOOT0 low, no empty check: the program runs
	stat_is .state '"application"'
}
