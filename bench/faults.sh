#!/usr/bin/env bash
# Success rates under line faults: stm32boot and stm32flash 0.7 side by side.
#
#   bench/faults.sh [--build DIR] [--runs N] [--size BYTES] [--rates "1e-5 1e-4 1e-3"]
#
# For each probability P, N write+verify runs of a SIZE-byte random image
# into a factory-fresh F103xB emulator (--speed fast) whose line corrupts and
# drops bytes in both directions, each with probability P (--faults
# corrupt-in=P,corrupt-out=P,drop-in=P,drop-out=P). Run i uses emulator seed
# i for both tools, so both face the same fault generator (which bytes it
# hits still depends on what each tool sends). Both tools reach the emulator
# the same way: its pty at 115200 baud through the test interposer
# (tests/interposer), as bench/run.sh does.
#
# A run "succeeds" when the tool exits 0 and the flash holds the image;
# "wrong" counts exit 0 with a flash that differs (must stay 0). Prints one
# Markdown table.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
RUNS=20
SIZE=65536
RATES="1e-5 1e-4 1e-3"
DEVICE=stm32f103xb
RUN_LIMIT_S=300
STM32FLASH=${STM32FLASH:-/usr/bin/stm32flash}

die() { echo "faults: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
	--runs) RUNS=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--rates) RATES=$2; shift ;;
	-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
case "$RUNS$SIZE" in *[!0-9]*) die "--runs and --size take numbers" ;; esac

BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
INTERPOSER=$BUILD/lib/libsiminterpose.so
for f in "$BOOT" "$SIM"; do [ -x "$f" ] || die "$f is not built (cmake --build $BUILD)"; done
[ -f "$INTERPOSER" ] || die "$INTERPOSER is not built"
[ -x "$STM32FLASH" ] || die "stm32flash not found at $STM32FLASH (apt-get install stm32flash)"

WORK=$(mktemp -d /tmp/stm32faults-bench.XXXXXX) || die "mktemp failed"
SIM_PID=
cleanup() {
	[ -z "$SIM_PID" ] || { kill -TERM "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c "$SIZE" /dev/urandom >"$WORK/image.bin"

wait_for() { # wait_for TEST PATH: up to 5 s
	for _ in $(seq 100); do test "$1" "$2" && return 0; sleep 0.05; done
	return 1
}

sim_start() { # sim_start SEED SPEC
	rm -f "$WORK/tty" "$WORK/ctl" "$WORK/chip.img"
	"$SIM" --device "$DEVICE" --speed fast --link "$WORK/tty" --control "$WORK/ctl" \
		--image "$WORK/chip.img" --seed "$1" --faults "$2" >"$WORK/sim.log" 2>&1 &
	SIM_PID=$!
	wait_for -e "$WORK/tty" && wait_for -S "$WORK/ctl" || die "emulator did not start: $(cat "$WORK/sim.log")"
}

sim_stop() {
	kill -TERM "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}

# run_one TOOL SEED SPEC: prints ok, failed or wrong
run_one() {
	local tool=$1 status=0 program
	[ "$tool" = stm32boot ] && program=$BOOT || program=$STM32FLASH
	sim_start "$2" "$3"
	env LD_PRELOAD="$INTERPOSER" STM32BOOT_SIM_TTY="$WORK/tty" STM32BOOT_SIM_CONTROL="$WORK/ctl" \
		timeout -s KILL "$RUN_LIMIT_S" "$program" -b 115200 -w "$WORK/image.bin" -v "$WORK/tty" \
		>"$WORK/run.log" 2>&1 </dev/null || status=$?
	sim_stop
	if [ "$status" -ne 0 ]; then
		echo failed
	elif cmp -s -n "$SIZE" "$WORK/image.bin" <(tail -c +33 "$WORK/chip.img"); then
		echo ok
	else
		echo wrong
	fi
}

echo "| p (corrupt and drop, both directions) | stm32boot verified | stm32flash 0.7 verified | wrong (boot / flash) |"
echo "|---|---|---|---|"
for p in $RATES; do
	spec="corrupt-in=$p,corrupt-out=$p,drop-in=$p,drop-out=$p"
	declare -A ok=([stm32boot]=0 [stm32flash]=0) wrong=([stm32boot]=0 [stm32flash]=0)
	for seed in $(seq "$RUNS"); do
		for tool in stm32boot stm32flash; do
			case $(run_one "$tool" "$seed" "$spec") in
			ok) ok[$tool]=$((ok[$tool] + 1)) ;;
			wrong) wrong[$tool]=$((wrong[$tool] + 1)) ;;
			esac
		done
	done
	echo "| $p | ${ok[stm32boot]}/$RUNS | ${ok[stm32flash]}/$RUNS | ${wrong[stm32boot]} / ${wrong[stm32flash]} |"
done
