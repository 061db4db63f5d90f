# Unmodified Debian st-info/st-flash (stlink-tools 1.7.0) and openocd 0.12
# against stm32boot-sim --interface stlink: the emulated probe and the chip
# behind it (its core runs the peers' flash loaders) must satisfy peers we
# did not write. The Blue Pill's F103C8: 64 KiB of 1 KiB pages, 20 KiB SRAM.

DEVICE=stm32f103x8
SIZE=65536
UID_HEX=0123456789ABCDEF01234567
# openocd opens no TCP ports: parallel tests must not collide on them.
OPENOCD_PORTS=(-c "gdb_port disabled" -c "tcl_port disabled" -c "telnet_port disabled")

need() { command -v "$1" >/dev/null || { echo "SKIP: $1 not installed"; exit 77; }; }

on_probe() { # on_probe VERSION CMD ARGS...: runs CMD against the probe; sets STATUS, OUT, ERR
	local version=$1
	shift
	need "$1"
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	echo "$*" >"$WORK/cmd.$RUNS"
	rm -f "$STATS"
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface stlink \
		--stlink-version "$version" --uid "$UID_HEX" --image "$IMG" --stats "$STATS" \
		--run -- "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report"
	fi
}

openocd_f1() { # openocd_f1 VERSION COMMANDS
	on_probe "$1" openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f target/stm32f1x.cfg \
		-c "$2"
}

output_has() { grep -qF -- "$1" "$OUT" "$ERR" || fail "the output lacks '$1'"; }

t_st_info_probe_names_the_f103() {
	on_probe v2 st-info --probe
	[ "$STATUS" -eq 0 ] || fail "st-info --probe: exit status $STATUS"
	out_has "Found 1 stlink programmers"
	out_has "version:    V2J37S7"
	out_has "serial:     $UID_HEX"
	out_has "flash:      65536 (pagesize: 1024)"
	out_has "sram:       20480"
	out_has "chipid:     0x0410"
	out_has "descr:      F1xx Medium-density"
	# It pulsed NRST and reset the chip by RESETSYS, and saw S_RESET_ST.
	stat_is .stlink.nrst_pulses 1
	stat_at_least .stlink.resets 2
}

t_st_info_probe_sees_v21_and_v3_probes() {
	on_probe v21 st-info --probe
	[ "$STATUS" -eq 0 ] || fail "st-info --probe (V2-1): exit status $STATUS"
	out_has "version:    V2J37S26"
	out_has "chipid:     0x0410"
	on_probe v3 st-info --probe
	[ "$STATUS" -eq 0 ] || fail "st-info --probe (V3): exit status $STATUS"
	out_has "version:    V3J7"
	out_has "chipid:     0x0410"
	stat_is .stlink.version '"v3"'
}

t_st_flash_write_runs_its_loader_then_read_gives_it_back() {
	random_file "$WORK/fw.bin" 3000
	on_probe v2 st-flash write "$WORK/fw.bin" 0x08000000
	[ "$STATUS" -eq 0 ] || fail "st-flash write: exit status $STATUS"
	output_has "Flash written and verified! jolly good!"
	# One loader run per page, each ending on the loader's BKPT.
	stat_is .stlink.breakpoints 3
	stat_at_least .core.instructions 1000
	flash_slice "$WORK/written.bin" 0 3000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	on_probe v2 st-flash read "$WORK/back.bin" 0x08000000 3000
	[ "$STATUS" -eq 0 ] || fail "st-flash read: exit status $STATUS"
	same_bytes "$WORK/back.bin" "$WORK/fw.bin"
}

t_st_flash_erase_clears_the_whole_flash() {
	random_file "$WORK/fw.bin" 4096
	on_probe v2 st-flash write "$WORK/fw.bin" 0x08000000
	[ "$STATUS" -eq 0 ] || fail "st-flash write: exit status $STATUS"
	on_probe v2 st-flash erase
	[ "$STATUS" -eq 0 ] || fail "st-flash erase: exit status $STATUS"
	extract_flash "$WORK/all.flash"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/all.flash" "$WORK/erased.bin"
}

t_openocd_program_verify_reset() {
	random_file "$WORK/fw.bin" 3000
	openocd_f1 v2 "program $WORK/fw.bin 0x08000000 verify reset exit"
	[ "$STATUS" -eq 0 ] || fail "openocd program: exit status $STATUS"
	output_has "STLINK V2J37S7 (API v2) VID:PID 0483:3748"
	output_has "Cortex-M3 r2p1 processor detected"
	output_has "flash size = 64 KiB"
	output_has "** Verified OK **"
	flash_slice "$WORK/written.bin" 0 3000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_openocd_program_through_a_v3() {
	random_file "$WORK/fw.bin" 2048
	openocd_f1 v3 "program $WORK/fw.bin 0x08000000 verify reset exit"
	[ "$STATUS" -eq 0 ] || fail "openocd program (V3): exit status $STATUS"
	output_has "STLINK V3J7M3B3 (API v3) VID:PID 0483:374F"
	output_has "** Verified OK **"
}

t_openocd_lock_then_unlock_regresses_rdp_with_a_mass_erase() {
	random_file "$WORK/fw.bin" 3000
	openocd_f1 v2 "program $WORK/fw.bin 0x08000000 verify reset exit"
	[ "$STATUS" -eq 0 ] || fail "openocd program: exit status $STATUS"
	openocd_f1 v2 "init; reset halt; stm32f1x lock 0; reset halt; shutdown"
	[ "$STATUS" -eq 0 ] || fail "openocd lock: exit status $STATUS"
	stat_is .rdp_level 1
	# At level 1 a debugger's flash reads are bus errors.
	openocd_f1 v2 "init; reset halt; mdw 0x08000000; shutdown"
	stat_at_least .stlink.rdp_refusals 1
	openocd_f1 v2 "init; reset halt; stm32f1x unlock 0; reset halt; shutdown"
	[ "$STATUS" -eq 0 ] || fail "openocd unlock: exit status $STATUS"
	stat_is .rdp_level 0
	extract_flash "$WORK/all.flash"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/all.flash" "$WORK/erased.bin"
}

# Seed 003: a Blue Pill that st-info reports as "flash: 0" (an F1 at RDP
# level 1 hides its flash-size register from the debugger too); one
# stm32boot -k makes it a blank chip st-info names in full again.
t_st_info_flash_0_on_a_locked_f103_and_k_unlocks_it() {
	random_file "$WORK/fw.bin" 3000
	on_probe v2 st-flash write "$WORK/fw.bin" 0x08000000
	[ "$STATUS" -eq 0 ] || fail "st-flash write: exit status $STATUS"
	openocd_f1 v2 "init; reset halt; stm32f1x lock 0; reset halt; shutdown"
	stat_is .rdp_level 1
	on_probe v2 st-info --probe
	out_has "flash:      0 (pagesize: 1024)"
	out_has "chipid:     0x0410"
	on_probe v2 "$STM32BOOT" -k stlink:
	[ "$STATUS" -eq 0 ] || fail "stm32boot -k: exit status $STATUS"
	grep -qF "Readout protection: ON" "$OUT" || fail "stm32boot did not see the protection"
	stat_is .rdp_level 0
	extract_flash "$WORK/all.flash"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/all.flash" "$WORK/erased.bin"
	on_probe v2 st-info --probe
	out_has "flash:      65536 (pagesize: 1024)"
}

# st-flash's loaders for F4 ("f4", 32 KiB per run, FLASH_SR read as 16
# bits) and L4 ("l4", double words), its register path on G0; openocd's
# stm32f4x, stm32g0x and stm32l4x drivers. 40000 bytes: more than one
# 16 KiB F4 sector and more than one 32 KiB st-flash chunk.
t_st_flash_and_openocd_on_f4_g0_l4() {
	random_file "$WORK/fw.bin" 40000
	for pair in stm32f407xg:stm32f4x stm32g071rb:stm32g0x stm32l476rg:stm32l4x; do
		DEVICE=${pair%%:*}
		rm -f "$IMG"
		on_probe v2 st-flash write "$WORK/fw.bin" 0x08000000
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: st-flash write: exit status $STATUS"
		output_has "Flash written and verified! jolly good!"
		flash_slice "$WORK/written.bin" 0 40000
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		on_probe v2 st-flash read "$WORK/back.bin" 0x08000000 40000
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: st-flash read: exit status $STATUS"
		same_bytes "$WORK/back.bin" "$WORK/fw.bin"
		rm -f "$IMG"
		on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg \
			-f "target/${pair#*:}.cfg" -c "program $WORK/fw.bin 0x08000000 verify reset exit"
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: openocd program: exit status $STATUS"
		output_has "** Verified OK **"
		flash_slice "$WORK/written.bin" 0 40000
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	done
}

# openocd's own protection commands on an F4 (stm32f2x, the F2/F4 driver),
# an L4 and a G0: lock sets RDP level 1 (debug reads of flash then fault),
# unlock goes back to level 0 and the chip mass-erases.
t_openocd_lock_then_unlock_on_f4_l4_and_g0() {
	for triple in stm32f407xg:stm32f4x:stm32f2x stm32l476rg:stm32l4x:stm32l4x \
		stm32g071rb:stm32g0x:stm32g0x; do
		DEVICE=${triple%%:*}
		local config=${triple#*:}
		config=${config%%:*}
		local driver=${triple##*:}
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 3000
		on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f "target/$config.cfg" \
			-c "program $WORK/fw.bin 0x08000000 verify reset exit"
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: openocd program: exit status $STATUS"
		on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f "target/$config.cfg" \
			-c "init; reset halt; $driver lock 0; reset halt; shutdown"
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: openocd $driver lock: exit status $STATUS"
		stat_is .rdp_level 1
		on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f "target/$config.cfg" \
			-c "init; reset halt; mdw 0x08000000; shutdown"
		stat_at_least .stlink.rdp_refusals 1
		# Level 1 keeps the flash as it was.
		flash_slice "$WORK/now.bin" 0 3000
		same_bytes "$WORK/now.bin" "$WORK/fw.bin"
		on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f "target/$config.cfg" \
			-c "init; reset halt; $driver unlock 0; reset halt; shutdown"
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: openocd $driver unlock: exit status $STATUS"
		stat_is .rdp_level 0
		extract_flash "$WORK/all.flash"
		erased_file "$WORK/erased.bin" "$(stat -c %s "$WORK/all.flash")"
		same_bytes "$WORK/all.flash" "$WORK/erased.bin"
	done
}

# A chip a peer locked, unlocked by stm32boot -k. st-info still names these
# parts at level 1: their flash-size registers are in system memory, which
# a debugger may read at level 1 (unlike an F1's, above).
t_stm32boot_k_unlocks_what_openocd_locked_on_f4_and_l4() {
	for triple in stm32f407xg:stm32f4x:stm32f2x:1048576 stm32l476rg:stm32l4x:stm32l4x:1048576; do
		DEVICE=${triple%%:*}
		local rest=${triple#*:}
		local config=${rest%%:*}
		rest=${rest#*:}
		local driver=${rest%%:*}
		local size=${rest#*:}
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 3000
		on_probe v2 st-flash write "$WORK/fw.bin" 0x08000000
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: st-flash write: exit status $STATUS"
		on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f "target/$config.cfg" \
			-c "init; reset halt; $driver lock 0; reset halt; shutdown"
		stat_is .rdp_level 1
		on_probe v2 st-info --probe
		out_has "flash:      $size"
		on_probe v2 "$STM32BOOT" -k stlink:
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: stm32boot -k: exit status $STATUS"
		stat_is .rdp_level 0
		extract_flash "$WORK/all.flash"
		erased_file "$WORK/erased.bin" "$(stat -c %s "$WORK/all.flash")"
		same_bytes "$WORK/all.flash" "$WORK/erased.bin"
		# The peer reads the chip again.
		on_probe v2 st-flash read "$WORK/back.bin" 0x08000000 16
		[ "$STATUS" -eq 0 ] || fail "$DEVICE: st-flash read after -k: exit status $STATUS"
	done
}

# st-flash 1.7.0's erase after its own write on the same board: it sets
# MER with the SER and SNB of its last sector erase still in CR
# (0x00010216). RM0090 §3.5.3: with SER and MER both set the controller
# erases nothing; st-flash does not notice. On a controller fresh from
# reset (a new session here) CR holds MER alone and the flash is erased.
t_st_flash_erase_on_f4_after_a_write_in_one_session_erases_nothing() {
	DEVICE=stm32f407xg
	random_file "$WORK/fw.bin" 40000
	on_probe v2 sh -c "st-flash write '$WORK/fw.bin' 0x08000000 && st-flash erase"
	[ "$STATUS" -eq 0 ] || fail "st-flash write then erase: exit status $STATUS"
	flash_slice "$WORK/now.bin" 0 40000
	same_bytes "$WORK/now.bin" "$WORK/fw.bin"
	on_probe v2 st-flash erase
	[ "$STATUS" -eq 0 ] || fail "st-flash erase: exit status $STATUS"
	extract_flash "$WORK/all.flash"
	erased_file "$WORK/erased.bin" "$(stat -c %s "$WORK/all.flash")"
	same_bytes "$WORK/all.flash" "$WORK/erased.bin"
}

# openocd's dap-direct driver (interface/stlink-dap.cfg): the DP and AP
# registers through READ_DAP_REG / WRITE_DAP_REG and its queued word
# accesses through RW_MISC_OUT / RW_MISC_IN, memory through the probe's
# memory commands with their AP and CSW bytes.
t_openocd_stlink_dap_programs_through_the_dap_registers() {
	random_file "$WORK/fw.bin" 3000
	on_probe v2 openocd "${OPENOCD_PORTS[@]}" -f interface/stlink-dap.cfg -f target/stm32f1x.cfg \
		-c "program $WORK/fw.bin 0x08000000 verify reset exit"
	[ "$STATUS" -eq 0 ] || fail "openocd (stlink-dap) program: exit status $STATUS"
	output_has "SWD DPIDR 0x1ba01477"
	output_has "Cortex-M3 r2p1 processor detected"
	output_has "** Verified OK **"
	stat_at_least '.stlink.debug_commands["0x45"]' 1
	stat_at_least '.stlink.debug_commands["0x46"]' 1
	stat_at_least '.stlink.debug_commands["0x51"]' 1
	flash_slice "$WORK/written.bin" 0 3000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

# A chip at RDP level 2 (set through stm32boot, the one way in with a
# guard) is what st-info reports as "flash: 0": no target answers.
t_st_info_sees_no_chip_at_rdp_level_2() {
	DEVICE=stm32f407xg
	on_probe v2 "$STM32BOOT" --set-option RDP=0xCC --allow-permanent-lock stlink:
	[ "$STATUS" -eq 1 ] || fail "stm32boot: exit status $STATUS, expected 1 (the lock ends the session)"
	stat_is .rdp_level 2
	on_probe v2 st-info --probe
	out_has "flash:      0 (pagesize: 0)"
	out_has "descr:      unknown device"
}
