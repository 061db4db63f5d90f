#!/usr/bin/env bash
# Fault campaign over RFC 2217: stm32boot -> ser2net (127.0.0.1) -> a
# freshly started emulator with seeded faults on each run. The invariant is
# the UART campaign's: a verified success or a clean failure, never a wrong
# flash, never a hang.
#
# usage: campaign_net.sh NAME FIRST_SEED LAST_SEED SIZE SPEC [MIN_SUCCESSES]
# Needs STM32BOOT_INTERPOSER (preloaded into ser2net) besides lib.sh's.
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/../e2e/net_lib.sh"

name=$1 first=$2 last=$3 size=$4 spec=$5 min_ok=${6:-0}
faults_init
SIM_PID=
trap 'ser2net_stop; [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; [ -n "${FAULTS_KEEP:-}" ] || rm -rf "$WORK"' EXIT

sim_start() { # sim_start SEED IMG
	rm -f "$WORK/tty" "$WORK/control"
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --link "$WORK/tty" --control "$WORK/control" \
		--image "$2" --speed fast --seed "$1" --faults "$spec" >"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 200); do [ -e "$WORK/tty" ] && [ -S "$WORK/control" ] && return 0; sleep 0.02; done
	fail "the emulator did not start: $(cat "$WORK/sim.err")"
}

sim_stop() {
	kill -TERM "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}

ok=0 failed=0 started=
for seed in $(seq "$first" "$last"); do
	firmware=$WORK/fw.$seed.bin
	img=$WORK/chip.$seed.img
	make_firmware "$firmware" "$size" "$seed"
	sim_start "$seed" "$img"
	# ser2net opens the device at each connection: one server for all runs.
	[ -n "$started" ] || { ser2net_start "$WORK/tty" "$WORK/control"; started=1; }
	OUT=$img.out ERR=$img.err STATUS=0
	timeout -s KILL "$RUN_LIMIT_S" "$STM32BOOT" --no-stub -w "$firmware" -v "rfc2217://127.0.0.1:$RFC_PORT" \
		>"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR" && fail "sanitizer report (seed $seed): $(head -5 "$ERR")"
	[ "$STATUS" -ne 137 ] || fail "hang: no end within ${RUN_LIMIT_S}s (seed $seed, faults $spec)"
	sim_stop
	check_invariant "$firmware" "$img"
	if [ "$OUTCOME" = ok ]; then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
		echo "seed $seed: exit $STATUS: $(grep -m1 error "$ERR")"
	fi
	ser2net_settle
done
echo "campaign net.$name ($spec): $ok verified, $failed failed cleanly, none wrong"
[ "$ok" -ge "$min_ok" ] || fail "only $ok of $((last - first + 1)) runs succeeded (want >= $min_ok)"
