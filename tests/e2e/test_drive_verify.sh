# -v on a drive: port, through the board's ST-LINK over SWD: stm32boot under
# stm32boot-sim --interface drive --with-stlink (one chip, its drive folder
# and its ST-LINK on umockdev's USB). Registered only where umockdev,
# unicorn and libusb are all built in (tests/e2e/CMakeLists.txt).

DEVICE=stm32f401xe

# paired ARGS...: stm32boot ARGS under the board's drive and ST-LINK
# (SIM_EXTRA: more emulator options); sets STATUS, OUT, ERR, DRIVE.
paired() {
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	echo "stm32boot $*" >"$WORK/cmd.$RUNS"
	DRIVE=$WORK/media/NODE_F401RE
	mkdir -p "$WORK/media"
	rm -f "$STATS"
	STATUS=0
	# shellcheck disable=SC2086 # SIM_EXTRA: more emulator options, word-split
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface drive --drive "$DRIVE" \
		--with-stlink --image "$IMG" --stats "$STATS" ${SIM_EXTRA:-} \
		--run -- "$STM32BOOT" "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report"
	fi
}

serial_of_drive() { sed -n 's/^Unique ID: *\([0-9A-Fa-f]*\).*/\1/p' "$DRIVE/DETAILS.TXT"; }

flash_at() { # flash_at OFFSET FILE: flash at OFFSET holds FILE
	flash_slice "$WORK/got.bin" "$1" "$(stat -c %s "$2")"
	same_bytes "$WORK/got.bin" "$2"
}

t_paired_write_verifies_through_swd() {
	random_file "$WORK/a.bin" 3000
	random_file "$WORK/b.bin" 700
	{ bin_to_hex "$WORK/a.bin" 0x08004000 | grep -v ':00000001FF'
	  bin_to_hex "$WORK/b.bin" 0x08020010; } >"$WORK/two.hex"
	paired -w "$WORK/two.hex" -v "drive:$WORK/media/NODE_F401RE"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	local serial
	serial=$(serial_of_drive)
	[ ${#serial} -eq 24 ] || fail "DETAILS.TXT serial '$serial'"
	out_has "Copied (the drive took the file) 3700 bytes"
	out_has "Verified through ST-LINK $serial (SWD): 3700 bytes as written"
	err_lacks "warning"
	# The drive wrote it; the verify read it back over SWD.
	stat_is .drive.files_taken 1
	stat_at_least .stlink.memory_read_bytes 3700
	flash_at $((0x4000)) "$WORK/a.bin"
	flash_at $((0x20010)) "$WORK/b.bin"
	# Without -v nothing goes through the probe.
	paired -w "$WORK/a.bin" "drive:$DRIVE"
	[ "$STATUS" -eq 0 ] || fail "no -v: exit status $STATUS"
	out_has "Copied (the drive took the file; not verified) 3000 bytes"
	stat_is .stlink.memory_read_bytes 0
}

# The drive says it took the file, but one byte landed wrong: only the
# read back through the ST-LINK can tell, and it names the byte.
t_flipped_byte_fails_the_verify_at_its_address() {
	random_file "$WORK/a.bin" 4096
	SIM_EXTRA="--faults copy-flip=1" paired -w "$WORK/a.bin" -v "drive:$WORK/media/NODE_F401RE"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	stat_is .drive.bytes_flipped 1
	stat_is .drive.files_failed 0
	# copy-flip inverts the middle byte of the file's first range.
	error_has "verify through ST-LINK $(serial_of_drive) (SWD) failed at 0x08000800"
	error_has "(the drive reported success)"
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "expected one error line"
	hint_has "copy again"
}

# An ST-LINK on USB that is not this board's: the drive's serial names
# another probe, so the copy is taken but cannot be verified.
t_another_boards_probe_is_not_used() {
	DRIVE=$WORK/media/NODE_F401RE
	mkdir -p "$WORK/media"
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface drive --drive "$DRIVE" \
		--drive-kind stlink --image "$IMG" >"$WORK/drive.out" 2>&1 &
	SIM_PID=$!
	local i
	for i in $(seq 200); do [ -s "$WORK/drive.out" ] && break; sleep 0.05; done
	[ -s "$WORK/drive.out" ] || fail "the drive emulator did not start"
	random_file "$WORK/a.bin" 1000
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface stlink \
		--uid 00112233445566778899AABB --image "$WORK/other.img" --stats "$STATS" \
		--run -- "$STM32BOOT" -w "$WORK/a.bin" -v "drive:$DRIVE" >"$OUT" 2>"$ERR" </dev/null ||
		STATUS=$?
	kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_PID=
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	err_has "cannot verify the drive copy: no ST-LINK probe with serial '$(serial_of_drive)'"
	err_has "the copy is not verified"
	out_has "Copied (the drive took the file) 1000 bytes"
	stat_is .stlink.memory_read_bytes 0
	flash_at 0 "$WORK/a.bin"
}
