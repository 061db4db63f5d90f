# --json: one document on stdout, checked against docs/json.md's schema
# (json_schema.jq); the human text goes to stderr.

UID1=0000000000000000000000B1
UID2=0000000000000000000000B2

json_board() { # json_board N UID [EXTRA]
	echo "sim:$DEVICE,image=$WORK/chip$1.img,speed=fast,uid=$2${3:+,$3}"
}

jq_is() { # jq_is EXPR EXPECTED: on the last stdout
	local actual
	actual=$(jq -c "$1" "$OUT") || fail "jq $1 failed"
	[ "$actual" = "$2" ] || fail "$1 is $actual, expected $2"
}

t_json_single_board_write() {
	random_file "$WORK/fw.bin" 4096
	run --json -w "$WORK/fw.bin" -v "$(json_board 1 $UID1)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	check_json "$OUT"
	jq_is .status '"ok"'
	jq_is '.boards | length' 1
	jq_is .boards[0].chip.name '"stm32f103xb"'
	jq_is .boards[0].chip.uid "\"$UID1\""
	jq_is .boards[0].chip.pid '"0x410"'
	jq_is .boards[0].plan.action '"write"'
	jq_is .boards[0].plan.write_bytes 4096
	jq_is .boards[0].plan.verify '"read"'   # this bootloader has no Get Checksum
	err_has "Wrote and verified 4096 bytes"
}

t_json_connect_only() {
	run --json "$(json_board 1 $UID1)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	check_json "$OUT"
	jq_is .action '"connect"'
	jq_is .boards[0].plan null
	err_has "Unique ID:    $UID1"
}

t_json_gang_with_a_failure() {
	random_file "$WORK/fw.bin" 2048
	run --json -w "$WORK/fw.bin" -v "$(json_board 1 $UID1)" "$(json_board 2 $UID2)" \
		"$(json_board 3 $UID1 faults=nack=1)"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	check_json "$OUT"
	jq_is .status '"failed"'
	jq_is '[.boards[].status]' '["ok","ok","failed"]'
	jq_is '.boards[2].error | test("NACK")' true
	jq_is '.boards[2].chip' null
	err_has "3 boards: 2 ok, 1 failed"
}

t_json_same_uid_flagged() {
	run --json "$(json_board 1 $UID1)" "$(json_board 2 $UID1)"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	check_json "$OUT"
	jq_is '[.boards[].duplicate_uid]' '[true,true]'
}

t_json_failure_before_any_board() {
	run --json -w "$WORK/missing.hex" "$(json_board 1 $UID1)"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	check_json "$OUT"
	jq_is .status '"failed"'
	jq_is '.error | test("missing.hex")' true
	jq_is .boards '[]'
	err_has "stm32boot: error: "
}

t_json_usage_error() {
	run --json --no-such-option "$(json_board 1 $UID1)"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	check_json "$OUT"
	jq_is '.error | test("no-such-option")' true
	# --json after the bad option counts too.
	run -b 12345 --json "$(json_board 1 $UID1)"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	check_json "$OUT"
	jq_is '.error | test("invalid baud rate")' true
}

t_json_list() {
	# First the checker itself: a document that follows the schema passes, and
	# documents that break it are refused.
	printf '%s\n' '{"schema":1,"status":"ok","action":"list","boards":[{"port":"p","kind":"serial","driver":null,"usb":null}]}' >"$WORK/good.json"
	check_json "$WORK/good.json"
	local bad
	for bad in '{"schema":2,"status":"ok","action":"connect","boards":[]}' \
		'{"schema":1,"status":"ok","action":"connect","boards":[{"port":"p"}]}' \
		'{"schema":1,"status":"failed","action":"connect","boards":[]}' \
		'{"schema":1,"status":"ok","action":"list","boards":[{"port":"p","kind":"serial","driver":null,"usb":{"vid":"04031"}}]}'; do
		printf '%s\n' "$bad" >"$WORK/bad.json"
		! jq -e -f "$(dirname "${BASH_SOURCE[0]}")/json_schema.jq" "$WORK/bad.json" >/dev/null \
			|| fail "the schema check accepted $bad"
	done
	fake_sysfs "$WORK/sys" ttyUSB9:0403:6001:A50285BI
	STM32BOOT_SYSFS_ROOT=$WORK/sys run --list --json
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS"
	check_json "$OUT"
	jq_is .action '"list"'
	jq_is '.boards[0] | [.port, .kind, .driver, .usb.vid, .usb.pid, .usb.serial]' \
		'["/dev/ttyUSB9","serial","ftdi_sio","0403","6001","A50285BI"]'
	jq_is '.boards | length' 1
}
