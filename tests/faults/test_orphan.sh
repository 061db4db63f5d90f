#!/usr/bin/env bash
# A host killed without closing its sim: port must not leave the emulator
# behind (Linux: the emulator gets SIGTERM when its parent dies), and an
# emulator whose host is gone still ends on SIGTERM.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
faults_init
[ "$(uname -s)" = Linux ] || { echo "not Linux: skipped"; exit 77; }

make_firmware "$WORK/fw.bin" 60000 3
# realtime: the write lasts long enough to be killed in the middle of it.
"$STM32BOOT" --sim "$STM32BOOT_SIM_PROGRAM" --no-stub -w "$WORK/fw.bin" \
	"sim:$DEVICE,image=$WORK/chip.img,speed=realtime,faults=nack=0.03,seed=3" \
	>"$WORK/out" 2>"$WORK/err" </dev/null &
host=$!
sim=""
for _ in $(seq 100); do
	sim=$(pgrep -P "$host" 2>/dev/null | head -1)
	[ -n "$sim" ] && grep -q 'write:' "$WORK/err" 2>/dev/null && break
	sleep 0.1
done
[ -n "$sim" ] || { kill -KILL "$host"; fail "no emulator child found"; }
kill -KILL "$host"
wait "$host" 2>/dev/null
gone=0
for _ in $(seq 100); do
	kill -0 "$sim" 2>/dev/null || { gone=1; break; }
	sleep 0.1
done
if [ "$gone" -ne 1 ]; then
	kill -KILL "$sim"
	fail "the emulator (pid $sim) outlived its killed host by 10 s"
fi
[ -s "$WORK/chip.img" ] || fail "the emulator did not save its image on the way out"

# A standalone emulator whose host vanished mid-command still obeys SIGTERM.
"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --link "$WORK/tty" --faults nack=0.03 >/dev/null &
sim=$!
for _ in $(seq 50); do [ -e "$WORK/tty" ] && break; sleep 0.1; done
# Ask for a reply and never read it, then go away.
printf '\x7f\x00\xff\x00\xff\x00\xff' >"$WORK/tty"
kill -TERM "$sim"
for _ in $(seq 100); do kill -0 "$sim" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sim" 2>/dev/null; then
	kill -KILL "$sim"
	fail "the emulator ignored SIGTERM after its host left"
fi
echo "orphan: ok"
