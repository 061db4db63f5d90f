#!/usr/bin/env bash
# -r never leaves half a file: a read that fails mid-way (the emulator hangs
# up) leaves nothing under the target name, and an existing file under that
# name keeps its contents. A read that succeeds writes the whole range.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
faults_init

img=$WORK/chip.img
make_firmware "$WORK/fw.bin" 20000 7
write_run "$WORK/fw.bin" 7 "" "$img"
[ "$STATUS" -eq 0 ] || fail "setup write failed: $(cat "$ERR")"

read_run() { # read_run TARGET FAULTS
	STATUS=0
	timeout -s KILL "$RUN_LIMIT_S" "$STM32BOOT" --sim "$STM32BOOT_SIM_PROGRAM" --no-stub \
		-r "$1" -S 0x08000000:20000 "sim:$DEVICE,image=$img,speed=fast${2:+,faults=$2}" \
		>"$WORK/out" 2>"$WORK/err" </dev/null || STATUS=$?
	[ "$STATUS" -ne 137 ] || fail "read hung"
}

# 1. hang-up mid-read, no file before: none after, no temporary left over.
read_run "$WORK/dump.bin" hangup-after=500
[ "$STATUS" -ne 0 ] || fail "a read cut off by a hang-up exited 0"
grep -q error "$WORK/err" || fail "no error message: $(cat "$WORK/err")"
[ ! -e "$WORK/dump.bin" ] || fail "a failed read left $(stat -c %s "$WORK/dump.bin") bytes under the target name"
leftovers=$(find "$WORK" -maxdepth 1 -name 'dump.bin?*' | wc -l)
[ "$leftovers" -eq 0 ] || fail "temporary files left: $(find "$WORK" -maxdepth 1 -name 'dump.bin?*')"

# 2. hang-up mid-read over an existing file: it is left untouched.
printf 'precious contents\n' >"$WORK/keep.bin"
read_run "$WORK/keep.bin" hangup-after=500
[ "$STATUS" -ne 0 ] || fail "a read cut off by a hang-up exited 0"
[ "$(cat "$WORK/keep.bin")" = "precious contents" ] || fail "the existing file was changed by a failed read"

# 3. the same read without faults: the whole range, equal to what was written.
read_run "$WORK/dump.bin" ""
[ "$STATUS" -eq 0 ] || fail "clean read failed: $(cat "$WORK/err")"
cmp -s "$WORK/dump.bin" "$WORK/fw.bin" || fail "the read file differs from the flash"
echo "read_atomic: ok"
