#!/bin/bash
# stm32boot-sim on a real pty: byte exchanges, --stats, --image round trip,
# signals, --link, stdout path, control socket, option errors, fault seeds.
# Usage: test_sim_pty.sh PATH/stm32boot-sim PATH/sim_talk
set -u
SIM=$1
TALK=$2
. "$(dirname "$0")/lib.sh"

stop_sim() { # signal -> sets SIM_RC
	kill "-$1" "$SIM_PID"
	wait "$SIM_PID"
	SIM_RC=$?
	SIM_PID=
}

TTY=$WORK/tty
IMG=$WORK/flash.img
STATS=$WORK/stats.json

echo "== basic session, --stats, --image save on SIGTERM"
start_sim "$TTY" --device stm32f103xb --stats "$STATS" --image "$IMG"
out=$("$TALK" "$TTY" s:7F r:1 s:00FF r:15 s:01FE r:5 s:02FD r:5 \
	s:31CE r:1 s:0800000008 r:1 s:03DEADBEEF21 r:1 \
	s:11EE r:1 s:0800000008 r:1 s:03FC r:5 \
	s:11EE r:1 s:1FFFF7E0F7 r:1 s:01FE r:3 | tr '\n' ' ')
expect_eq "sync, Get, GV, Get ID, write, read, flash-size register" "$out" \
	"79 790B22000102112131436373829279 7922000079 7901041079 79 79 79 79 79 79DEADBEEF 79 79 798000 "
# a second host run against the same emulator: still synced, no EIO
out=$("$TALK" "$TTY" s:02FD r:5)
expect_eq "second host run" "$out" "7901041079"
out=$("$TALK" "$TTY" s:0011 r:1) # bad complement
expect_eq "bad complement NACK" "$out" "1F"
stop_sim TERM
expect_eq "exit status on SIGTERM" "$SIM_RC" "0"
expect_eq "--link removed on exit" "$([ -e "$TTY" ] || [ -L "$TTY" ] && echo present || echo gone)" "gone"
expect_eq "stats device" "$(jq -r .device "$STATS")" "stm32f103xb"
expect_eq "stats write count" "$(jq -r '.commands["0x31"]' "$STATS")" "1"
expect_eq "stats read count" "$(jq -r '.commands["0x11"]' "$STATS")" "2"
expect_eq "stats bytes_programmed" "$(jq -r .bytes_programmed "$STATS")" "4"
expect_eq "stats nacks" "$(jq -r .nacks "$STATS")" "1"
expect_eq "stats bytes_in" "$(jq -r .bytes_in "$STATS")" "42"
expect_eq "stats state" "$(jq -r .state "$STATS")" "bootloader"
expect_eq "stats faults all zero" "$(jq -c '[.faults[]] | add' "$STATS")" "0"
expect_eq "image size" "$(stat -c %s "$IMG")" "$((32 + 131072 + 16))"
expect_eq "image magic" "$(head -c 8 "$IMG")" "STM32SIM"
expect_eq "image flash bytes" "$(dd if="$IMG" bs=1 skip=32 count=4 2>/dev/null | od -An -tx1 | tr -d ' \n')" "deadbeef"
expect_eq "image option bytes" "$(dd if="$IMG" bs=1 skip=$((32 + 131072)) count=2 2>/dev/null | od -An -tx1 | tr -d ' \n')" "a55a"

echo "== image round trip, SIGINT"
start_sim "$TTY" --device stm32f103xb --image "$IMG"
out=$("$TALK" "$TTY" s:7F r:1 s:11EE r:1 s:0800000008 r:1 s:07F8 r:9 | tr '\n' ' ')
expect_eq "read back after restart" "$out" "79 79 79 79DEADBEEFFFFFFFFF "
stop_sim INT
expect_eq "exit status on SIGINT" "$SIM_RC" "0"

echo "== image of another device is refused"
"$SIM" --device stm32f407xg --image "$IMG" --link "$WORK/other" 2>"$WORK/err" >/dev/null
rc=$?
expect_eq "wrong image exit status" "$rc" "1"
expect_eq "wrong image: one line" "$(wc -l <"$WORK/err")" "1"
grep -q "flash size" "$WORK/err" || fail "wrong image message: $(cat "$WORK/err")"

echo "== bad options exit 2 with one line"
for args in "--device nosuch" "--device stm32f103xb --speed slow" \
	"--device stm32f103xb --faults bogus=1" "--device stm32f103xb --seed x" \
	"--link /tmp/x" "--device stm32f103xb --reset foo" "--device stm32f103xb --frobnicate"; do
	# shellcheck disable=SC2086
	"$SIM" $args >/dev/null 2>"$WORK/err" </dev/null
	rc=$?
	expect_eq "bad options '$args' status" "$rc" "2"
	expect_eq "bad options '$args' one line" "$(wc -l <"$WORK/err")" "1"
done
"$SIM" --help | grep "corrupt-in=P" >/dev/null || fail "--help lacks the fault syntax"
"$SIM" --list-devices | grep "^stm32h743zi " >/dev/null || fail "--list-devices lacks stm32h743zi"
"$SIM" --list-devices | grep -E "^stm32g071rb .* uart,i2c@0x51,spi " >/dev/null ||
	fail "--list-devices does not give stm32g071rb's interfaces and I2C address"
"$SIM" --list-devices | grep -E "^stm32f103xb .* uart  +STM32F10" >/dev/null ||
	fail "--list-devices gives stm32f103xb more than its UART"

echo "== pty path on stdout, device by PID"
mkfifo "$WORK/out"
"$SIM" --device 0x413 >"$WORK/out" 2>/dev/null &
SIM_PID=$!
read -r path <"$WORK/out"
[ -c "$path" ] || fail "first stdout line is not a tty: '$path'"
out=$("$TALK" "$path" s:7F r:1 s:02FD r:5 | tr '\n' ' ')
expect_eq "device by PID answers its ID" "$out" "79 7901041379 "
stop_sim TERM

echo "== control socket and wiring"
CTL=$WORK/ctl
ctl() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$CTL"; }
start_sim "$TTY" --device stm32f103xb --control "$CTL" --boot0 dtr --reset rts --stats "$STATS"
expect_eq "STATE at start" "$(ctl STATE)" "STATE bootloader"
expect_eq "LINES reply" "$(ctl 'LINES rts=1 dtr=1')" "OK"
expect_eq "NRST held" "$(ctl STATE)" "STATE reset"
out=$("$TALK" "$TTY" t:200 s:7F r:1)
expect_eq "no answer in reset" "$out" " TIMEOUT"
ctl 'LINES rts=0 dtr=1' >/dev/null
expect_eq "BOOT0 low boots the application" "$(ctl STATE)" "STATE application"
ctl 'LINES rts=1 dtr=0' >/dev/null
ctl 'LINES rts=0 dtr=0' >/dev/null
expect_eq "BOOT0 high boots the bootloader" "$(ctl STATE)" "STATE bootloader"
out=$("$TALK" "$TTY" s:7F r:1)
expect_eq "sync after reset" "$out" "79"
expect_eq "TERMIOS 8N1" "$(ctl 'TERMIOS baud=115200 bits=8 parity=n stop=1')" "OK"
out=$("$TALK" "$TTY" t:200 s:02FD r:5)
expect_eq "8N1 host gets no answer" "$out" " TIMEOUT"
ctl 'TERMIOS baud=115200 bits=8 parity=e stop=1' >/dev/null
out=$("$TALK" "$TTY" s:02FD r:5)
expect_eq "8E1 host answered again" "$out" "7901041079"
expect_eq "bad request" "$(ctl 'FROB')" "ERR bad request"
stop_sim TERM
expect_eq "control socket removed" "$([ -e "$CTL" ] && echo present || echo gone)" "gone"
expect_eq "resets counted" "$(jq -r .resets "$STATS")" "2"
expect_eq "application boot counted" "$(jq -r .boots_application "$STATS")" "1"

echo "== same seed and spec give the same faults"
SPEC=corrupt-in=0.05,corrupt-out=0.05,drop-in=0.03,drop-out=0.05,nack=0.1,stall=0.05:1
steps=(t:400 s:7F r:1) # long enough for a loaded machine: a late reply must not look like a drop
for _ in $(seq 15); do
	steps+=(s:02FD r:5 s:11EE r:1 s:0800000008 r:1 s:0FF0 r:17)
done
for run in 1 2; do
	start_sim "$TTY" --device stm32f103xb --faults "$SPEC" --seed 1234 --stats "$WORK/f$run.json"
	"$TALK" "$TTY" "${steps[@]}" >"$WORK/talk$run"
	stop_sim TERM
done
f1=$(jq -c '[.faults, .bytes_in, .bytes_out, .nacks, .commands]' "$WORK/f1.json")
f2=$(jq -c '[.faults, .bytes_in, .bytes_out, .nacks, .commands]' "$WORK/f2.json")
expect_eq "fault stats identical" "$f1" "$f2"
expect_eq "host saw the same bytes" "$(md5sum <"$WORK/talk1")" "$(md5sum <"$WORK/talk2")"
total=$(jq '[.faults[]] | add' "$WORK/f1.json")
[ "$total" -gt 0 ] || fail "no faults were injected"
echo "faults: $(jq -c .faults "$WORK/f1.json")"

echo "== reset-after fault needs a new sync"
start_sim "$TTY" --device stm32f103xb --faults reset-after=3 --stats "$STATS"
out=$("$TALK" "$TTY" t:200 s:7F r:1 s:02FD r:5 s:02FD r:5 s:7F r:1 s:02FD r:5 | tr '\n' ' ')
expect_eq "reset after the 3rd byte" "$out" "79 7901041079  TIMEOUT 79 7901041079 "
stop_sim TERM
expect_eq "reset fault counted" "$(jq -r .faults.reset "$STATS")" "1"

echo "== realtime speed still answers"
start_sim "$TTY" --device stm32l476rg --speed realtime
out=$("$TALK" "$TTY" s:7F r:1 s:02FD r:5 s:44BB r:1 s:000000000000 r:1 | tr '\n' ' ')
expect_eq "realtime Get ID and page erase" "$out" "79 7901041579 79 79 "
stop_sim TERM

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all emulator pty checks passed"
