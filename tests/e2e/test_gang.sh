# Several PORTs at once: one worker per board, each board's output as one
# block (not a terminal here), then the table; exit 0 only if all succeeded.

UID1=0000000000000000000000A1
UID2=0000000000000000000000A2
UID3=0000000000000000000000A3

board() { # board N UID [EXTRA]: an emulated board with its own image and stats
	echo "sim:$DEVICE,image=$WORK/chip$1.img,stats=$WORK/stats$1.json,speed=fast,uid=$2${3:+,$3}"
}

# The lines of board PORT's block.
block_of() {
	awk -v header="--- $1 ---" '$0 == header { on = 1; next } /^--- .* ---$/ { on = 0 } /^$/ { on = 0 } on' "$OUT"
}

board_flash_is() { # board_flash_is N FILE
	IMG=$WORK/chip$1.img
	flash_slice "$WORK/got$1.bin" 0 "$(stat -c %s "$2")"
	same_bytes "$WORK/got$1.bin" "$2"
}

t_gang_three_boards_one_failing() {
	random_file "$WORK/fw.bin" 8192
	local b1 b2 b3
	b1=$(board 1 $UID1); b2=$(board 2 $UID2)
	b3=$(board 3 $UID3 "faults=hangup-after=3000") # drops out in the middle of the write
	run -w "$WORK/fw.bin" -v "$b1" "$b2" "$b3"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	# Each board's output is one block, and it is that board's.
	block_of "$b1" | grep -q "Unique ID:    $UID1" || fail "board 1's block lacks its UID"
	block_of "$b1" | grep -q "Wrote and verified 8192 bytes" || fail "board 1's block lacks its result"
	block_of "$b2" | grep -q "Unique ID:    $UID2" || fail "board 2's block lacks its UID"
	! block_of "$b1" | grep -q "$UID2\|$UID3" || fail "another board's output in board 1's block"
	block_of "$b3" | grep -q "^stm32boot: error: " || fail "board 3's block lacks its error"
	# The table: port, chip, UID, result, time.
	grep -qE "^$(printf '%s' "$b1" | sed 's/[.]/[.]/g') +stm32f103xb +$UID1 +ok +[0-9.]+ s$" "$OUT" \
		|| fail "no table row for board 1"
	grep -qE "^$(printf '%s' "$b3" | sed 's/[.]/[.]/g') +.* FAILED +[0-9.]+ s$" "$OUT" \
		|| fail "no FAILED table row for board 3"
	out_has "3 boards: 2 ok, 1 failed"
	board_flash_is 1 "$WORK/fw.bin"
	board_flash_is 2 "$WORK/fw.bin"
}

t_gang_all_ok_exits_zero() {
	random_file "$WORK/fw.bin" 2048
	run -w "$WORK/fw.bin" -v "$(board 1 $UID1)" "$(board 2 $UID2)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	out_has "2 boards: 2 ok, 0 failed"
	err_lacks "same unique ID"
	board_flash_is 1 "$WORK/fw.bin"
	board_flash_is 2 "$WORK/fw.bin"
}

t_gang_same_uid_is_flagged() {
	run "$(board 1 $UID1)" "$(board 2 $UID1)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	[ "$(grep -c "$UID1\*" "$OUT")" -eq 2 ] || fail "both rows should mark the UID"
	err_has "2 boards report the same unique ID"
}

t_gang_single_port_prints_as_before() {
	random_file "$WORK/fw.bin" 1024
	run_ok -w "$WORK/fw.bin" -v "$(board 1 $UID1)"
	out_has "Wrote and verified 1024 bytes"
	out_lacks "--- "
	out_lacks "boards:"
	out_lacks "RESULT"
}

t_gang_quiet_prints_nothing_when_all_succeed() {
	random_file "$WORK/fw.bin" 1024
	run_ok --quiet -w "$WORK/fw.bin" -v "$(board 1 $UID1)" "$(board 2 $UID2)"
	[ ! -s "$OUT" ] || fail "--quiet printed to stdout: $(cat "$OUT")"
	[ ! -s "$ERR" ] || fail "--quiet printed to stderr"
	board_flash_is 1 "$WORK/fw.bin"
	board_flash_is 2 "$WORK/fw.bin"
}

t_gang_bad_emulator_uid_is_one_error() {
	run -w "$E2E_EXAMPLES/blinky.hex" "$(board 1 $UID1)" "$(board 2 12)"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	out_has "bad --uid '12' (24 hex digits)"
	out_has "2 boards: 1 ok, 1 failed"
}
