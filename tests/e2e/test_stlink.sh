# stm32boot through an ST-LINK over SWD (stlink: ports, src/lib/stlink)
# against stm32boot-sim --interface stlink: the real libusb code path, run
# under the emulator's umockdev preload. The chip's image file is the
# emulator's, so what SWD wrote is checked byte for byte.

DEVICE=stm32f103x8
SIZE=65536

with_probe() { # with_probe STM32BOOT-ARGS...: stm32boot under the emulated probe; sets STATUS, OUT, ERR
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	echo "stm32boot $*" >"$WORK/cmd.$RUNS"
	rm -f "$STATS"
	STATUS=0
	# shellcheck disable=SC2086 # SIM_EXTRA: more emulator options, word-split
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface stlink --image "$IMG" \
		--stats "$STATS" ${SIM_EXTRA:-} --run -- "$STM32BOOT" "$@" >"$OUT" 2>"$ERR" </dev/null ||
		STATUS=$?
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report"
	fi
}

# The emulated chip's whole flash is erased (the stats' erase and program
# counters do not see what the core's flash controller does).
flash_all_erased() {
	extract_flash "$WORK/all.flash"
	case $DEVICE in
	stm32l0* | stm32l1*) head -c "$(stat -c %s "$WORK/all.flash")" /dev/zero >"$WORK/erased.bin" ;;
	*) erased_file "$WORK/erased.bin" "$(stat -c %s "$WORK/all.flash")" ;;
	esac
	same_bytes "$WORK/all.flash" "$WORK/erased.bin"
}

probe_ok() {
	with_probe "$@"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS, expected 0"
	! grep -q 'error:' "$ERR" || fail "an error was printed"
}

probe_fail() {
	with_probe "$@"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "expected exactly one error line"
}

t_connect_names_the_chip_and_the_probe() {
	probe_ok stlink:
	out_has "Interface:    swd stlink:"
	out_has "V2J37S7 3.30 V"
	out_has "Chip:         STM32F103x8 (64 KiB medium-density) (stm32f103x8), through the ST-LINK (SWD)"
	out_has "Flash:        64 KiB, 64 x 1 KiB pages at 0x08000000"
	out_has "Option bytes: A5 5A FF 00 FF 00 FF 00 FF 00 FF 00 FF 00 FF 00 (at 0x1FFFF800)"
	out_has "Readout protection: off (level 0, RDP 0xA5)"
	# Hot plug: connecting halted the core and reset nothing.
	stat_is .stlink.resets 0
	stat_at_least .stlink.halts 1
}

t_write_verify_lands_in_flash() {
	random_file "$WORK/fw.bin" 5000
	probe_ok -w "$WORK/fw.bin" -v stlink:
	out_has "Wrote and verified (by CRC) 5000 bytes"
	flash_slice "$WORK/written.bin" 0 5000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	# Pages past the image were left alone: still erased.
	flash_slice "$WORK/after.bin" 5120 1024
	erased_file "$WORK/erased.bin" 1024
	same_bytes "$WORK/after.bin" "$WORK/erased.bin"
}

# A blank chip's pages are not erased (the loader's CRC shows them
# blank); a chip with a program on it is, and --no-blank-check asks for no
# check at all. The second write's bytes land right only if its pages were
# erased first: programming cannot turn a 0 back into a 1.
t_blank_pages_are_not_erased_and_written_pages_are() {
	random_file "$WORK/fw.bin" 6000
	probe_ok --dry-run -w "$WORK/fw.bin" stlink:
	out_has "blank:  the chip's CRC is asked first"
	probe_ok -w "$WORK/fw.bin" -v stlink:
	out_has "Already blank: 6 of 6 pages, not erased"
	random_file "$WORK/fw2.bin" 6000
	probe_ok -w "$WORK/fw2.bin" -v stlink:
	out_lacks "Already blank"
	flash_slice "$WORK/written.bin" 0 6000
	same_bytes "$WORK/written.bin" "$WORK/fw2.bin"
	rm -f "$IMG"
	probe_ok --no-blank-check -w "$WORK/fw.bin" -v stlink:
	out_lacks "Already blank"
	probe_ok --no-blank-check --dry-run -w "$WORK/fw.bin" stlink:
	out_lacks "blank:  the chip's CRC"
	flash_slice "$WORK/written.bin" 0 6000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_read_gives_back_what_was_written() {
	random_file "$WORK/fw.bin" 3000
	probe_ok -w "$WORK/fw.bin" stlink:
	probe_ok -r "$WORK/back.bin" -S 0x08000000:3000 stlink:
	same_bytes "$WORK/back.bin" "$WORK/fw.bin"
	# The read was checked by the chip's CRC (the RAM loader), which put
	# back the SRAM and registers it used: the core runs on afterwards.
	out_has "Checked by the chip's checksum: every byte as read"
	stat_is .stlink.halted false
}

t_erase_only_clears_the_flash() {
	random_file "$WORK/fw.bin" 8192
	probe_ok -w "$WORK/fw.bin" stlink:
	probe_ok -o stlink:
	extract_flash "$WORK/all.flash"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/all.flash" "$WORK/erased.bin"
}

t_reset_runs_the_program_by_aircr() {
	random_file "$WORK/fw.bin" 1024
	probe_ok -w "$WORK/fw.bin" -R stlink:
	stat_is .stlink.resets 1
	stat_is .stlink.halted false
}

# --reset-with nrst: the same reset by the probe's NRST pin, AIRCR untouched
# (one reset, one pulse); a wrong value is refused by name.
t_reset_with_nrst_pulses_the_pin_and_runs_the_program() {
	random_file "$WORK/fw.bin" 1024
	probe_ok -w "$WORK/fw.bin" -R --reset-with nrst stlink:
	stat_is .stlink.nrst_pulses 1
	stat_is .stlink.resets 1
	stat_is .stlink.halted false
	probe_ok -R --reset-with aircr stlink:
	stat_is .stlink.nrst_pulses 0
	stat_is .stlink.resets 1
	probe_fail -R --reset-with pin stlink:
	error_has "invalid --reset-with 'pin' (aircr or nrst)"
}

t_f4_and_g0_and_l4_write_and_read() {
	for DEVICE in stm32f407xg stm32g071rb stm32l476rg; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 20000
		probe_ok -w "$WORK/fw.bin" -v stlink:
		flash_slice "$WORK/written.bin" 0 20000
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		probe_ok -r "$WORK/back.bin" -S 0x08000000:20000 stlink:
		same_bytes "$WORK/back.bin" "$WORK/fw.bin"
	done
}

t_readout_protected_chip_refuses_reads() {
	random_file "$WORK/fw.bin" 1024
	probe_ok -w "$WORK/fw.bin" stlink:
	# Level 1 set through the ROM bootloader on the same chip image.
	run_ok -j "sim:$DEVICE,image=$IMG"
	probe_ok stlink:
	out_has "Readout protection: ON"
	probe_fail -r "$WORK/back.bin" -S 0x08000000:1024 stlink:
	error_has "read-protected"
	[ ! -s "$WORK/back.bin" ] || fail "a protected read wrote data"
	stat_at_least .stlink.rdp_refusals 1
}

t_no_probe_is_a_clear_error() {
	# Under the DFU emulator libusb sees one USB device, and it is no ST-LINK.
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device stm32f407xg --interface dfu --run -- \
		"$STM32BOOT" stlink: >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	error_has "no ST-LINK probe"
}

t_unknown_serial_is_refused() {
	probe_fail stlink:NOSUCHSERIAL
	error_has "no ST-LINK probe with serial 'NOSUCHSERIAL'"
}

t_read_unprotect_regresses_rdp_and_erases() {
	# F1 resets by AIRCR; F0 and F3 reload their option bytes (OBL_LAUNCH).
	for DEVICE in stm32f103x8 stm32f030x8 stm32f303xc; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 2048
		probe_ok -w "$WORK/fw.bin" stlink:
		run_ok -j "sim:$DEVICE,image=$IMG"
		probe_ok -k stlink:
		stat_is .rdp_level 0
		extract_flash "$WORK/all.flash"
		erased_file "$WORK/erased.bin" "$(stat -c %s "$WORK/all.flash")"
		same_bytes "$WORK/all.flash" "$WORK/erased.bin"
		# The factory option bytes are back (read through the debug port).
		probe_ok --option-bytes stlink:
		out_has "Readout protection: off (level 0"
		out_has "Write-protected pages: none"
	done
}

t_go_starts_the_program_from_its_vectors() {
	# A vector table (SP, reset handler) then the handler: b . (spins).
	printf '\000\120\000\040\011\000\000\010\376\347\000\000' >"$WORK/spin.bin"
	probe_ok -w "$WORK/spin.bin" -g 0 stlink:
	out_has "Started the program at 0x08000000."
	# Running at the end, not locked up (the one lockup is the erased
	# chip's at power-on, before the write).
	stat_is .state '"application"'
	stat_is .stlink.lockups 1
	stat_at_least .core.instructions 100
}

t_probe_unplugged_mid_write_is_a_clear_error() {
	random_file "$WORK/fw.bin" 20000
	SIM_EXTRA="--faults hangup-after=200"
	probe_fail -w "$WORK/fw.bin" stlink:
	error_has "was unplugged"
	stat_is .faults.hangup 1
}

t_wait_storm_on_reads_is_retried() {
	random_file "$WORK/fw.bin" 20000
	SIM_EXTRA="--faults nack=0.3 --seed 5"
	probe_ok -w "$WORK/fw.bin" -v stlink:
	stat_at_least .stlink.waits 1
	flash_slice "$WORK/written.bin" 0 20000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_sim_port_with_interface_stlink_reexecutes_under_the_probe() {
	random_file "$WORK/fw.bin" 4096
	run_ok -w "$WORK/fw.bin" -v "sim:$DEVICE,interface=stlink,image=$IMG,stats=$STATS"
	out_has "through the ST-LINK (SWD)"
	stat_is .interface '"stlink"'
	flash_slice "$WORK/written.bin" 0 4096
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_several_emulated_probes_at_once_are_refused_clearly() {
	run "sim:$DEVICE,interface=stlink,image=$WORK/a.img" \
		"sim:$DEVICE,interface=stlink,image=$WORK/b.img"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	grep -qF "the emulated ST-LINK is seen only by a program run under" "$OUT" "$ERR" ||
		fail "no word on why the emulated probes cannot be reached"
}

t_list_finds_the_probe() {
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface stlink --uid \
		0123456789ABCDEF01234567 --run -- "$STM32BOOT" --list --json >"$OUT" 2>"$ERR" \
		</dev/null || STATUS=$?
	[ "$STATUS" -eq 0 ] || fail "--list: exit status $STATUS"
	check_json "$OUT"
	[ "$(jq -r '.boards[] | select(.kind == "stlink") | .port' "$OUT")" = \
		"stlink:0123456789ABCDEF01234567" ] || fail "--list --json has no stlink board"
	[ "$(jq -r '.boards[] | select(.kind == "stlink") | .usb.pid' "$OUT")" = 3748 ] ||
		fail "the probe's PID is not 3748"
}

t_no_port_uses_the_only_probe() {
	random_file "$WORK/fw.bin" 1024
	probe_ok -w "$WORK/fw.bin"
	out_has "(the only board found: stlink"
	flash_slice "$WORK/written.bin" 0 1024
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_swd_clock_is_the_probes_fastest_not_above_the_request() {
	probe_ok stlink:
	out_has "V2J37S7 3.30 V 4000 kHz"
	stat_is .stlink.swd_khz 4000
	probe_ok --swd-khz 1000 stlink:
	out_has "V2J37S7 3.30 V 950 kHz"
	stat_is .stlink.swd_khz 950
	SIM_EXTRA="--stlink-version v3"
	probe_ok --swd-khz 4000 stlink:
	out_has "3300 kHz"
	stat_is .stlink.swd_khz 3300
}

t_connect_under_reset_holds_nrst_while_attaching() {
	random_file "$WORK/fw.bin" 1024
	probe_ok --connect-under-reset -w "$WORK/fw.bin" stlink:
	stat_is .stlink.nrst_pulses 1
	stat_is .stlink.resets 1
	flash_slice "$WORK/written.bin" 0 1024
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_swd_options_on_other_ports_are_warned_about() {
	run --swd-khz 1000 "$(port)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	err_has "--swd-khz and --connect-under-reset ignored"
	run --reset-with nrst "$(port)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	err_has "--reset-with ignored: it applies only to stlink: ports"
}

t_no_target_on_the_wires_says_what_was_seen() {
	SIM_EXTRA="--stlink-target none"
	probe_fail stlink:
	error_has "no SWD target answers (DP IDCODE 0x00000000"
	error_has "target voltage 0.00 V: is the board powered"
	flash_all_erased
}

t_l0_is_identified_read_and_written_through_the_loader() {
	# L0: Cortex-M0+, DBGMCU at 0x40015800. (H7, DBGMCU at 0x5C001000 behind
	# DP 0x6BA02477: the H7 test below.) Its flash erases to zeros.
	DEVICE=stm32l07x
	probe_ok -r "$WORK/back.bin" -S 0x08000000:256 stlink:
	out_has "($DEVICE), through the ST-LINK (SWD)"
	head -c 256 /dev/zero >"$WORK/erased.bin"
	same_bytes "$WORK/back.bin" "$WORK/erased.bin"
	# More of it: tests/e2e/test_stlink_families.sh.
	random_file "$WORK/fw.bin" 1024
	probe_ok -w "$WORK/fw.bin" -v stlink:
	out_has "Wrote and verified (by CRC) 1024 bytes"
	flash_slice "$WORK/written.bin" 0 1024
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_read_protect_over_swd_keeps_the_other_option_bytes() {
	for DEVICE in stm32f103x8 stm32f030x8; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 2048
		probe_ok -w "$WORK/fw.bin" stlink:
		# A user data byte away from its factory value, set through the ROM.
		run_ok --set-option Data0=0x5C "sim:$DEVICE,image=$IMG"
		options_after_rdp "$WORK/before.opt"
		probe_ok -j stlink:
		stat_is .rdp_level 1
		options_after_rdp "$WORK/after.opt"
		same_bytes "$WORK/after.opt" "$WORK/before.opt"
		probe_ok -k stlink:
		options_after_rdp "$WORK/factory.opt"
		cmp -s "$WORK/factory.opt" "$WORK/before.opt" && fail "Data0 was not away from the factory value"
		probe_ok -w "$WORK/fw.bin" stlink:
		probe_ok -j stlink:
		# Level 1 bars the debugger's reads; the flash itself stays.
		flash_slice "$WORK/written.bin" 0 2048
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		probe_fail -r "$WORK/back.bin" -S 0x08000000:16 stlink:
		error_has "read-protected"
	done
}

# The image file's option bytes after RDP and its complement (bytes 2..).
options_after_rdp() {
	dd if="$IMG" of="$1" bs=1 skip=$((32 + $(image_u32 12) + 2)) count=$(($(image_u32 16) - 2)) \
		status=none || fail "dd failed"
	[ -s "$1" ] || fail "no option bytes in the image"
}

# F2/F4/F7 through OPTCR, G0/G4/L4/WB/WL through OPTR and OBL_LAUNCH, L0/L1
# through their option words and OBL_LAUNCH (the L01x without the loader).
t_readout_protection_over_swd_on_the_option_register_families() {
	for DEVICE in stm32f407xg stm32g071rb stm32l476rg stm32l01x stm32l1-cat2; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 2048
		probe_ok -w "$WORK/fw.bin" stlink:
		probe_ok -j stlink:
		stat_is .rdp_level 1
		probe_fail -r "$WORK/back.bin" -S 0x08000000:16 stlink:
		error_has "read-protected"
		probe_ok -k stlink:
		stat_is .rdp_level 0
		flash_all_erased
		probe_ok --option-bytes stlink:
		out_has "Readout protection: off (level 0"
	done
}

t_write_protection_over_swd_blocks_writes_until_removed() {
	for DEVICE in stm32f103x8 stm32f407xg stm32g071rb stm32l476rg stm32l07x; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 1024
		probe_ok --write-protect 0 stlink:
		# The ROM bootloader, a path of its own, sees the same protection.
		run_ok --option-bytes "sim:$DEVICE,image=$IMG"
		grep -qE '^Write-protected (pages|sectors): 0' "$OUT" ||
			fail "the option bytes show no protection: $(grep Write-protected "$OUT")"
		probe_fail -w "$WORK/fw.bin" stlink:
		error_has "write-protected"
		flash_all_erased
		probe_ok -u stlink:
		probe_ok --option-bytes stlink:
		grep -qE '^Write-protected (pages|sectors): none' "$OUT" || fail "still protected after -u"
		probe_ok -w "$WORK/fw.bin" stlink:
		flash_slice "$WORK/written.bin" 0 1024
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	done
}

t_set_option_over_swd_is_read_back_through_the_rom() {
	for DEVICE in stm32f407xg stm32l476rg stm32l01x; do
		rm -f "$IMG"
		probe_ok --set-option nRST_STOP=0 stlink:
		out_has "Read back: the option bytes hold the new values."
		run_ok --option-bytes "sim:$DEVICE,image=$IMG"
		grep -qE '^\* nRST_STOP +0 ' "$OUT" || fail "the ROM does not see nRST_STOP=0"
	done
	# A G0's PCROP1B words lie past the option registers written here.
	DEVICE=stm32g071rb
	rm -f "$IMG"
	probe_fail --set-option PCROP1B_STRT=0x10 stlink:
	error_has "beyond what the stm32g071rb's option registers reach over SWD"
}

# H7: flash words through each bank's write buffer, sectors by bank. The
# write crosses from bank 1 into bank 2 (0x08100000) on the H743.
t_h7_flash_is_written_through_each_banks_registers() {
	DEVICE=stm32h743zi
	random_file "$WORK/fw.bin" 8192
	probe_ok -w "$WORK/fw.bin" -v -S 0x080FF000 stlink:
	out_has "($DEVICE), through the ST-LINK (SWD)"
	# Through the RAM loader (stub/flash_h7.c) now; more of it in
	# test_stlink_families.sh.
	out_has "Wrote and verified (by CRC) 8192 bytes"
	flash_slice "$WORK/written.bin" $((0xFF000)) 8192
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	probe_ok -o stlink:
	flash_all_erased
	# RM0455's H7A3: 16-byte flash words, 8 KiB sectors.
	DEVICE=stm32h7a3
	rm -f "$IMG"
	random_file "$WORK/fw.bin" 3000
	probe_ok -w "$WORK/fw.bin" -v stlink:
	flash_slice "$WORK/written.bin" 0 3000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

# The RAM loader (stub/loader.c, src/lib/stlink/stlink_loader.c): the same
# flash as the ROM bootloader's writes over UART give, verified by the
# chip's CRC unit (no flash read back over SWD), on one part per driver.
t_loader_writes_what_the_rom_path_writes_and_verifies_by_crc() {
	for DEVICE in stm32f103x8 stm32f407xg stm32g071rb stm32l476rg; do
		IMG=$WORK/$DEVICE.swd.img
		random_file "$WORK/fw.bin" 30000
		probe_ok -w "$WORK/fw.bin" -v stlink:
		out_has "Wrote and verified (by CRC) 30000 bytes"
		# Reading 30000 bytes back would show here; connecting, the
		# loader's status words and what it saves of SRAM are ~3 KiB.
		[ "$(jq .stlink.memory_read_bytes "$STATS")" -lt 8000 ] ||
			fail "$DEVICE: $(jq .stlink.memory_read_bytes "$STATS") bytes read over SWD"
		stat_at_least .core.peripherals.CRC.writes 7500
		stat_at_least .core.peripherals.CRC.reads 1 # DR, once per CRC
		stat_at_least .stlink.memory_written_bytes 30000
		extract_flash "$WORK/swd.flash"
		IMG=$WORK/$DEVICE.rom.img
		run_ok -w "$WORK/fw.bin" "sim:$DEVICE,image=$IMG"
		extract_flash "$WORK/rom.flash"
		same_bytes "$WORK/swd.flash" "$WORK/rom.flash"
	done
}

t_verify_read_reads_the_flash_back() {
	random_file "$WORK/fw.bin" 6000
	probe_ok -w "$WORK/fw.bin" --verify=read stlink:
	out_has "Wrote and verified 6000 bytes"
	out_lacks "(by CRC)"
	stat_at_least .stlink.memory_read_bytes 6000
	flash_slice "$WORK/written.bin" 0 6000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

t_loader_flash_error_names_the_address() {
	random_file "$WORK/old.bin" 4096
	probe_ok -w "$WORK/old.bin" stlink:
	# -e 0: written over the old bytes unerased: the controller refuses
	# (PGERR) at the first half-word that differs.
	random_file "$WORK/fw.bin" 4096
	probe_fail -w "$WORK/fw.bin" -e 0 stlink:
	error_has "the flash controller refused programming 0x08000000 (SR 0x00000004), through the RAM loader"
	flash_slice "$WORK/now.bin" 0 4096
	same_bytes "$WORK/now.bin" "$WORK/old.bin"
}

t_chip_reset_under_the_loader_is_a_clear_error() {
	random_file "$WORK/fw.bin" 20000
	SIM_EXTRA="--faults reset-after=120"
	probe_fail -w "$WORK/fw.bin" stlink:
	error_has "the chip reset while the RAM loader was programming 0x0800"
	stat_is .stlink.resets 1
}

# Write-behind: the last requests return while the loader still programs,
# and only the executor's finish sees how they end. A chip reset at each
# point of a write without -v (nothing else would look): every run either
# exits 0 with the file in flash or exits 1 with one error line naming
# what the loader was doing; one of them is the finish's (after the
# progress reached 100%).
t_chip_reset_while_writing_behind_is_never_taken_for_done() {
	random_file "$WORK/fw.bin" 8192
	local n total failed=0 passed=0 at_finish=0
	# The sweep covers the last 70 USB transfers of the same write without
	# a fault: the last pieces programming, the verify, the end.
	rm -f "$IMG"
	probe_ok -w "$WORK/fw.bin" stlink:
	total=$(jq '.stlink.usb_transfers' "$STATS") || fail "no usb_transfers in the stats"
	[ "$total" -gt 100 ] || fail "a write in $total USB transfers"
	for n in $(seq $((total - 69)) 3 "$total"); do
		rm -f "$IMG"
		SIM_EXTRA="--faults reset-after=$n"
		with_probe -w "$WORK/fw.bin" stlink:
		if [ "$STATUS" -eq 0 ]; then
			flash_slice "$WORK/written.bin" 0 8192
			same_bytes "$WORK/written.bin" "$WORK/fw.bin"
			passed=$((passed + 1))
			continue
		fi
		[ "$STATUS" -eq 1 ] || fail "reset after $n: exit status $STATUS, expected 0 or 1"
		[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "reset after $n: not one error line"
		error_has "the chip reset while the RAM loader was"
		failed=$((failed + 1))
		! grep -q 'write: 100%' "$ERR" || at_finish=$((at_finish + 1))
	done
	SIM_EXTRA=
	[ "$failed" -gt 0 ] && [ "$passed" -gt 0 ] || fail "$failed runs failed, $passed passed: the sweep missed the write"
	[ "$at_finish" -gt 0 ] || fail "no reset fell after the last request was handed over"
}

t_loader_leaves_the_core_halted_and_reset_runs_the_program() {
	printf '\000\120\000\040\011\000\000\010\376\347\000\000' >"$WORK/spin.bin"
	probe_ok -w "$WORK/spin.bin" stlink:
	# The loader's SRAM and registers are not the program's: not resumed.
	stat_is .stlink.halted true
	probe_ok -w "$WORK/spin.bin" -R stlink:
	stat_is .stlink.halted false
	stat_is .state '"application"'
}

# H7 keeps its option bytes in FLASH registers: over SWD they are the
# register image of docs/option-bytes.md (OPTSR_CUR, WPSN_CUR1/2,
# BOOT_CURR); the emulator keeps the same image in the chip's file after the
# flash, so the word read back here is the chip's, not the host's.
h7_register_word() { image_u32 $((32 + $(image_u32 12) + $1)); } # h7_register_word OFFSET

t_h7_option_bytes_over_swd_show_set_and_read_back() {
	for DEVICE in stm32h743zi stm32h7a3; do
		rm -f "$IMG"
		probe_ok --option-bytes stlink:
		out_has "Option bytes of the $DEVICE (H7) at 0x5200201C"
		grep -qE '^  RDP +0xAA +0xAA ' "$OUT" || fail "$DEVICE: RDP not shown at level 0"
		grep -qE '^  BOOT_ADD1 +0x1FF0 +0x1FF0 ' "$OUT" || fail "$DEVICE: BOOT_ADD1 not shown"
		probe_ok --set-option nRST_STOP_D1=0,BOOT_ADD0=0x0810 stlink:
		out_has "Read back: the option bytes hold the new values."
		# The chip's OPTSR: bit 6 (nRST_STOP_D1) now 0, the rest as before.
		[ $(($(h7_register_word 0) & 0x40)) -eq 0 ] || fail "$DEVICE: OPTSR bit 6 still set"
		[ $(($(h7_register_word 0) & 0x80)) -ne 0 ] || fail "$DEVICE: nRST_STBY_D1 changed"
		[ $(($(h7_register_word 12) & 0xFFFF)) -eq $((0x0810)) ] || fail "$DEVICE: BOOT_ADD0"
		# A new connection reads them from the registers again.
		probe_ok --option-bytes stlink:
		grep -qE '^\* nRST_STOP_D1 +0 +1 ' "$OUT" || fail "$DEVICE: nRST_STOP_D1=0 not shown"
		grep -qE '^\* BOOT_ADD0 +0x810 +0x800 ' "$OUT" || fail "$DEVICE: BOOT_ADD0 not shown"
		# Level 2 by name, refused before anything is sent.
		probe_fail --set-option RDP=0xCC stlink:
		error_has "refusing RDP=0xCC: level 2, permanent"
		stat_is .rdp_level 0
	done
	# The ROM bootloader cannot reach them: refused, as before.
	run --set-option nRST_STOP_D1=0 "sim:stm32h743zi,image=$WORK/rom.img"
	[ "$STATUS" -eq 1 ] || fail "the ROM path took an H7 option field"
}

t_h7_write_protection_refuses_a_write_before_erasing_and_u_lifts_it() {
	# stm32h743zi: a bit per 128 KiB sector, bank 2's from sector 8;
	# stm32h7a3: a bit per group of four 8 KiB sectors.
	for case in "stm32h743zi 9 $((0x120000)) 0x08120000" "stm32h7a3 1 $((0x8000)) 0x08008000"; do
		set -- $case
		DEVICE=$1
		rm -f "$IMG"
		random_file "$WORK/old.bin" 4096
		random_file "$WORK/fw.bin" 4096
		probe_ok -w "$WORK/old.bin" -S "$4" stlink:
		probe_ok --write-protect "$2" stlink:
		probe_ok --option-bytes stlink:
		out_has "Write-protected"
		grep -qE '^Write-protected (pages|sectors): .*[0-9]' "$OUT" || fail "$DEVICE: no protection shown"
		probe_fail -w "$WORK/fw.bin" -S "$4" stlink:
		error_has "is write-protected: the chip would refuse; nothing was erased or written"
		flash_slice "$WORK/now.bin" "$3" 4096
		same_bytes "$WORK/now.bin" "$WORK/old.bin"
		probe_ok -u stlink:
		probe_ok -w "$WORK/fw.bin" -S "$4" stlink:
		flash_slice "$WORK/now.bin" "$3" 4096
		same_bytes "$WORK/now.bin" "$WORK/fw.bin"
	done
}

t_h7_readout_protection_then_unprotect_erases() {
	for DEVICE in stm32h743zi stm32h7a3; do
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 4096
		probe_ok -w "$WORK/fw.bin" stlink:
		probe_ok -j stlink:
		stat_is .rdp_level 1
		probe_ok stlink:
		out_has "Readout protection: ON"
		probe_fail -r "$WORK/back.bin" -S 0x08000000:16 stlink:
		error_has "read-protected"
		# Level 1 keeps the flash; only the debugger is barred.
		flash_slice "$WORK/now.bin" 0 4096
		same_bytes "$WORK/now.bin" "$WORK/fw.bin"
		probe_ok -k stlink:
		stat_is .rdp_level 0
		flash_all_erased
		probe_ok --option-bytes stlink:
		out_has "Readout protection: off (level 0, RDP 0xAA)"
	done
}

# RDP level 2 disables the debug port for good: from the reset that loads
# it, nothing answers on SWD, under reset too, and stm32boot says so.
t_rdp_level_2_over_swd_disables_the_debug_port_for_good() {
	for DEVICE in stm32f407xg stm32h743zi; do
		rm -f "$IMG"
		probe_fail --set-option RDP=0xCC --allow-permanent-lock stlink:
		error_has "took option bytes that lock it for good (RDP level 2)"
		stat_is .rdp_level 2
		probe_fail stlink:
		error_has "no SWD target answers (DP IDCODE 0x00000000"
		error_has "target voltage 3.30 V"
		error_has "A chip at readout protection level 2 never answers SWD again"
		probe_fail --connect-under-reset stlink:
		error_has "no SWD target answers"
		stat_is .rdp_level 2
	done
}

# Power-on (a new emulator session) with nothing attached: what the chip
# then runs by itself.
power_cycle() {
	rm -f "$STATS"
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface stlink --image "$IMG" \
		--stats "$STATS" --run -- true </dev/null >/dev/null 2>&1 || fail "power cycle failed"
}

# -j over SWD: level 1 set with a debugger attached stops the chip at the
# reset that follows until a power-on reset (RM0090 §3.6.3, RM0351
# §3.5.1), and stm32boot says so; -k and the H7 (options in force at
# OPTSTART, no reset) need no power cycle and say nothing of it.
t_readout_protect_over_swd_asks_for_a_power_cycle() {
	printf '\000\120\000\040\011\000\000\010\376\347\000\000' >"$WORK/spin.bin"
	for DEVICE in stm32f103x8 stm32f407xg stm32l476rg; do
		rm -f "$IMG"
		probe_ok -w "$WORK/spin.bin" -R stlink:
		stat_is .state '"application"'
		probe_ok -j stlink:
		out_has "Power-cycle the board now: readout protection was set through the debug port"
		stat_is .rdp_level 1
		stat_is .state '"lockup"'
		power_cycle
		stat_is .state '"application"' # the spin loop runs again
		stat_is .rdp_level 1
		probe_ok -k stlink:
		out_lacks "Power-cycle"
		stat_is .rdp_level 0
	done
	DEVICE=stm32h743zi
	rm -f "$IMG"
	probe_ok -j stlink:
	out_lacks "Power-cycle"
	stat_is .rdp_level 1
}

# A WAIT storm on writes: a memory write the AP answered WAIT wrote
# nothing, and the host sends it again (a few times, with a growing pause)
# before giving up.
t_wait_storm_on_writes_is_retried() {
	random_file "$WORK/fw.bin" 20000
	SIM_EXTRA="--faults nack=0.3 --seed 7"
	probe_ok -w "$WORK/fw.bin" stlink:
	stat_at_least .stlink.write_waits 1
	SIM_EXTRA=
	flash_slice "$WORK/written.bin" 0 20000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}

# A storm that never ends: one error line naming it, a non-zero exit.
t_endless_wait_storm_is_a_clear_error() {
	random_file "$WORK/fw.bin" 4096
	SIM_EXTRA="--faults nack=1.0"
	probe_fail -w "$WORK/fw.bin" stlink:
	error_has "a WAIT storm: the target answered SWD WAIT to a memory write"
	stat_at_least .stlink.write_waits 8
}

# A WAIT storm in the middle of a write that goes behind: the executor's
# retry (look at what landed, write the rest synchronously) meets the storm
# again; one error line naming it and the flash address, a non-zero exit,
# never "Wrote". At least one of the seeds storms after blocks went out.
t_wait_storm_mid_write_behind_is_a_clear_error() {
	random_file "$WORK/fw.bin" 8192
	local seed mid=0
	for seed in 1 2 3 4; do
		rm -f "$IMG"
		SIM_EXTRA="--faults nack=0.9 --seed $seed"
		probe_fail -w "$WORK/fw.bin" stlink:
		error_has "write failed: a WAIT storm: the target answered SWD WAIT"
		grep -qE '^stm32boot: error: .*\(at 0x080[0-9A-F]{5}\)$' "$ERR" || fail "seed $seed: no flash address"
		out_lacks "Wrote"
		! grep -q 'write: [1-9]' "$ERR" || mid=$((mid + 1))
	done
	SIM_EXTRA=
	[ "$mid" -gt 0 ] || fail "no storm came after the first blocks were written"
}

t_probe_unplugged_mid_erase_is_a_clear_error() {
	for DEVICE in stm32f407xg stm32h743zi; do
		rm -f "$IMG"
		SIM_EXTRA="--faults hangup-after=60"
		probe_fail -o stlink:
		error_has "erase failed: the ST-LINK at"
		error_has "was unplugged"
		stat_is .faults.hangup 1
	done
}

# H7 (its RAM loader; the register path is only a fallback now): a chip
# reset in the middle of a write is a clear error naming what the loader
# was doing, and the same command run again writes the whole file.
t_chip_reset_mid_write_on_the_h7_is_an_error_and_a_rerun_writes_it() {
	DEVICE=stm32h743zi
	random_file "$WORK/fw.bin" 20000
	SIM_EXTRA="--faults reset-after=150"
	probe_fail -w "$WORK/fw.bin" -v stlink:
	error_has "the chip reset while the RAM loader was"
	stat_is .stlink.resets 1
	SIM_EXTRA=
	probe_ok -w "$WORK/fw.bin" -v stlink:
	out_has "Wrote and verified (by CRC) 20000 bytes"
	flash_slice "$WORK/written.bin" 0 20000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
}
