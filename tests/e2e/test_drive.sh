# drive: ports against stm32boot-sim --interface drive (both kinds).

# drive_start KIND DEVICE NAME [EXTRA...]: the emulator serving $WORK/media/NAME.
drive_start() {
	local kind=$1 device=$2 name=$3; shift 3
	mkdir -p "$WORK/media"
	DRIVE=$WORK/media/$name
	"$STM32BOOT_SIM_PROGRAM" --device "$device" --interface drive --drive "$DRIVE" \
		--drive-kind "$kind" --image "$IMG" --stats "$STATS" "$@" >"$WORK/sim.out" 2>&1 &
	SIM_PID=$!
	local i
	for i in $(seq 200); do [ -s "$WORK/sim.out" ] && break; sleep 0.05; done
	[ -s "$WORK/sim.out" ] || fail "the drive emulator did not start"
}

drive_stop() { kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_PID=; }

drive_run() { # drive_run ARGS...: stm32boot with the test's drive roots
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	STATUS=0
	STM32BOOT_DRIVE_ROOTS=$WORK/media timeout 100 "$STM32BOOT" "$@" >"$OUT" 2>"$ERR" </dev/null ||
		STATUS=$?
}

flash_at() { # flash_at OFFSET FILE: flash at OFFSET holds FILE
	flash_slice "$WORK/got.bin" "$1" "$(stat -c %s "$2")"
	same_bytes "$WORK/got.bin" "$2"
}

t_stlink_takes_every_input_format() {
	DEVICE=stm32f401xe
	drive_start stlink stm32f401xe NODE_F401RE
	random_file "$WORK/a.bin" 3000
	drive_run -w "$WORK/a.bin" -S 0x08004000 -v drive:
	[ "$STATUS" -eq 0 ] || fail "bin: exit status $STATUS"
	# No ST-LINK on USB here (test_drive_verify.sh has the paired board).
	err_has "cannot verify the drive copy: "
	err_has "; the copy is not verified"
	out_has "Copied (the drive took the file) 3000 bytes"
	random_file "$WORK/b.bin" 700
	bin_to_hex "$WORK/b.bin" 0x08020010 >"$WORK/b.hex"
	drive_run -w "$WORK/b.hex" "drive:$DRIVE"
	[ "$STATUS" -eq 0 ] || fail "hex: exit status $STATUS"
	random_file "$WORK/c.bin" 500
	bin_to_srec "$WORK/c.bin" 0x08040000 >"$WORK/c.srec"
	drive_run -w "$WORK/c.srec" drive:
	[ "$STATUS" -eq 0 ] || fail "srec: exit status $STATUS"
	[ -z "$(ls "$DRIVE" | grep -iv 'DETAILS.TXT\|MBED.HTM')" ] || fail "files left: $(ls "$DRIVE")"
	drive_stop
	flash_at $((0x4000)) "$WORK/a.bin"
	flash_at $((0x20010)) "$WORK/b.bin"
	flash_at $((0x40000)) "$WORK/c.bin"
	[ "$(jq .drive.files_taken "$STATS")" -eq 3 ] || fail "files_taken"
}

# An ELF goes to the drive as Intel HEX like the rest: its PT_LOAD segments
# at their physical addresses (the fuzz corpus's small ARM ELF: 8 bytes of
# code at 0x08000000 and 4 bytes of data stored at 0x08000008).
t_stlink_takes_an_elf() {
	DEVICE=stm32f401xe
	drive_start stlink stm32f401xe NODE_F401RE
	local elf=$E2E_BAD/../fuzz/corpus/arm.elf
	drive_run -w "$elf" drive:
	[ "$STATUS" -eq 0 ] || fail "elf: exit status $STATUS"
	out_has "Copied (the drive took the file; not verified) 12 bytes"
	drive_stop
	# The file holds both segments back to back at offset 0x74 (its program
	# headers say so: readelf -l), and has no sections for objcopy to use.
	dd if="$elf" of="$WORK/elf.bin" bs=1 skip=$((0x74)) count=12 status=none
	flash_at 0 "$WORK/elf.bin"
}

t_stlink_fail_txt_is_the_error() {
	DEVICE=stm32f401xe
	drive_start stlink stm32f401xe NODE_F401RE --faults copy-fail=1
	random_file "$WORK/a.bin" 1000
	drive_run -w "$WORK/a.bin" drive:
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	error_has 'FAIL.TXT says "The interface firmware FAILED to reset/halt the target MCU"'
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "one error line"
}

t_stlink_bad_hex_from_cp_gives_fail_txt() {
	drive_start stlink stm32f401xe NODE_F401RE
	printf ':020000040800F2\n:10000000000102030405060708090A0B0C0D0E0F00\n:00000001FF\n' >"$WORK/bad.hex"
	cp "$WORK/bad.hex" "$DRIVE/"
	local i
	for i in $(seq 200); do [ -f "$DRIVE/FAIL.TXT" ] && break; sleep 0.05; done
	grep -q "Checksum calculation failure" "$DRIVE/FAIL.TXT" || fail "FAIL.TXT: $(cat "$DRIVE/FAIL.TXT" 2>&1)"
	[ ! -e "$DRIVE/bad.hex" ] || fail "the file stayed"
}

t_plain_cp_flashes() {
	DEVICE=stm32f401xe
	drive_start stlink stm32f401xe NODE_F401RE
	random_file "$WORK/a.bin" 2048
	cp "$WORK/a.bin" "$DRIVE/firmware.bin"
	local i
	for i in $(seq 200); do [ -e "$DRIVE/firmware.bin" ] || break; sleep 0.05; done
	for i in $(seq 200); do [ -e "$DRIVE/MBED.HTM" ] && break; sleep 0.05; done
	drive_stop
	flash_at 0 "$WORK/a.bin"
}

t_stlink_outside_flash_is_refused_before_the_copy() {
	drive_start stlink stm32f401xe NODE_F401RE
	random_file "$WORK/a.bin" 64
	drive_run -w "$WORK/a.bin" -S 0x20000000 drive:
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS"
	error_has "outside the stm32f401xe's flash"
}

t_other_actions_are_refused() {
	drive_start stlink stm32f401xe NODE_F401RE
	drive_run -r "$WORK/out.bin" drive:
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS"
	error_has "not possible through drive"
}

t_two_drives_are_refused_without_a_path() {
	mkdir -p "$WORK/media/A" "$WORK/media/user/B"
	echo 'Version: 0221' >"$WORK/media/A/DETAILS.TXT"
	printf 'UF2 Bootloader\r\nBoard-ID: x\r\n' >"$WORK/media/user/B/INFO_UF2.TXT"
	random_file "$WORK/a.bin" 16
	drive_run -w "$WORK/a.bin" drive:
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS"
	error_has "2 flashing drives mounted ($WORK/media/A, $WORK/media/user/B): name one"
	drive_run --list
	out_has "drive:$WORK/media/A"
	out_has "drive:$WORK/media/user/B"
}

t_drive_that_never_comes_back_times_out() {
	mkdir -p "$WORK/media/NODE"
	printf '<meta content="0; URL=http://mbed.org/device/?code=0720">' >"$WORK/media/NODE/MBED.HTM"
	random_file "$WORK/a.bin" 256
	# Nobody takes the file: the drive is a plain folder.
	drive_run -w "$WORK/a.bin" "drive:$WORK/media/NODE,timeout=500"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS"
	error_has "did not take the file within 500 ms"
	[ "$(ls "$WORK/media/NODE")" = MBED.HTM ] || fail "left: $(ls "$WORK/media/NODE")"
}

t_uf2_takes_bin_at_s_and_hex() {
	DEVICE=stm32f401xe
	drive_start uf2 stm32f401xe F4BOOT
	random_file "$WORK/a.bin" 600
	drive_run -w "$WORK/a.bin" -S 0x08010000 -v drive:
	[ "$STATUS" -eq 0 ] || fail "bin: exit status $STATUS"
	err_has "cannot verify the drive copy: a UF2 drive has no other path to the chip"
	local i
	for i in $(seq 200); do [ -e "$DRIVE/INFO_UF2.TXT" ] && break; sleep 0.05; done
	random_file "$WORK/b.bin" 300
	bin_to_hex "$WORK/b.bin" 0x08020000 >"$WORK/b.hex"
	drive_run -w "$WORK/b.hex" drive:
	[ "$STATUS" -eq 0 ] || fail "hex: exit status $STATUS"
	for i in $(seq 200); do [ -e "$DRIVE/INFO_UF2.TXT" ] && break; sleep 0.05; done
	drive_stop
	flash_at $((0x10000)) "$WORK/a.bin"
	flash_at $((0x20000)) "$WORK/b.bin"
}

t_uf2_of_another_family_is_ignored_and_times_out() {
	drive_start uf2 stm32f401xe F4BOOT
	random_file "$WORK/a.bin" 600
	# An F1 UF2 (family 0x5EE21072) copied by hand: tinyuf2 ignores it.
	DEVICE=stm32f103xb
	drive_run -w "$WORK/a.bin" -S 0x08010000 "drive:$DRIVE,device=stm32f103xb,timeout=800"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS"
	error_has "did not reset within 800 ms"
	[ ! -e "$DRIVE/NEW.UF2" ] || fail "NEW.UF2 left"
	drive_stop
	[ "$(jq .drive.blocks_ignored "$STATS")" -ge 3 ] || fail "blocks_ignored"
}

t_read_writes_uf2_files_with_the_chips_family() {
	DEVICE=stm32f103xb
	random_file "$WORK/a.bin" 1024
	run_ok -w "$WORK/a.bin" "$(port)"
	run_ok -r "$WORK/dump.uf2" -S 0x08000000:1024 "$(port)"
	[ "$(stat -c %s "$WORK/dump.uf2")" -eq 2048 ] || fail "size $(stat -c %s "$WORK/dump.uf2")"
	[ "$(od -An -tx4 -j28 -N4 "$WORK/dump.uf2" | tr -d ' ')" = 5ee21072 ] || fail "family"
	run_ok -r "$WORK/dump2" --format uf2 -S 0x08000000:256 "$(port)"
	[ "$(od -An -tx4 -j8 -N4 "$WORK/dump2" | tr -d ' ')" = 00002000 ] || fail "flags"
}
