#!/usr/bin/env bash
# The RAM stub (--stub) against stm32flash 0.7 and stm32boot --no-stub on
# stm32boot-sim --speed realtime, a fresh chip per run, and the modelled
# bound of each (bench_limit stub-write / write). Issue 14's W8; W7, W9 and
# W10 are not run yet (docs/performance.md, "The RAM stub").
#
#   bench/stub.sh [--build DIR] [--reps N]
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
REPS=1
BAUD=115200
STM32FLASH=${STM32FLASH:-/usr/bin/stm32flash}
die() { echo "bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
	--reps) REPS=$2; shift ;;
	-h|--help) sed -n '2,7p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
case "$REPS" in ''|*[!0-9]*|0) die "--reps needs a positive number" ;; esac
BOOT=$BUILD/bin/stm32boot SIM=$BUILD/bin/stm32boot-sim LIMIT=$BUILD/bin/bench_limit
INTERPOSER=$BUILD/lib/libsiminterpose.so
for f in "$BOOT" "$SIM" "$LIMIT" "$INTERPOSER" "$STM32FLASH"; do [ -e "$f" ] || die "$f missing"; done
WORK=$(mktemp -d /tmp/stm32bench-stub.XXXXXX)
trap 'kill "${SIM_PID:-}" 2>/dev/null; rm -rf "$WORK"' EXIT

# id device input-size description
WORKLOADS=("W8 stm32f103xb 65536 64 KiB random to a blank F103xB, write + verify")

run_once() { # run_once TOOL DEVICE INPUT: prints seconds, or fails
	local tool=$1 device=$2 input=$3
	rm -f "$WORK/tty" "$WORK/ctl" "$WORK/chip.img"
	"$SIM" --device "$device" --speed realtime --link "$WORK/tty" --control "$WORK/ctl" \
		--image "$WORK/chip.img" >"$WORK/sim.log" 2>&1 &
	SIM_PID=$!
	local i
	for i in $(seq 200); do [ -e "$WORK/tty" ] && [ -S "$WORK/ctl" ] && break; sleep 0.02; done
	local args=(-b "$BAUD" -w "$input" -v) program=$BOOT
	case "$tool" in
	stm32flash) program=$STM32FLASH ;;
	rom) args=(--no-stub "${args[@]}") ;;
	stub) args=(--stub "${args[@]}") ;;
	esac
	local start end status=0
	start=$(date +%s%N)
	env LD_PRELOAD="$INTERPOSER" STM32BOOT_SIM_TTY="$WORK/tty" STM32BOOT_SIM_CONTROL="$WORK/ctl" \
		timeout 900 "$program" "${args[@]}" "$WORK/tty" >"$WORK/$tool.log" 2>&1 || status=$?
	end=$(date +%s%N)
	kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_PID=
	[ "$status" -eq 0 ] || die "$tool failed (exit $status): $(tail -1 "$WORK/$tool.log")"
	cmp -s -n "$(stat -c %s "$input")" "$input" <(tail -c +33 "$WORK/chip.img") ||
		die "$tool: the flash is not the input"
	echo "scale=2; ($end - $start) / 1000000000" | bc
}

best_of() { # best_of TOOL DEVICE INPUT
	local best= t r
	for r in $(seq "$REPS"); do
		t=$(run_once "$@") || exit 1
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

echo "| id | workload | stm32flash s | --no-stub s | --stub s | stub rate | stub/stm32flash | stub limit s | stub/limit |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in "${WORKLOADS[@]}"; do
	read -r id device size description <<<"$w"
	input=$WORK/$id.bin
	head -c "$size" /dev/urandom >"$input"
	peer=$(best_of stm32flash "$device" "$input") || exit 1
	rom=$(best_of rom "$device" "$input") || exit 1
	stub=$(best_of stub "$device" "$input") || exit 1
	limit=$("$LIMIT" "$device" "$BAUD" stub-write "$input" | cut -d' ' -f1)
	rate=$(grep -o 'Stub running at [0-9]* baud [0-9A-Z]*' "$WORK/stub.log" | cut -d' ' -f4,6)
	printf '| %s | %s | %s | %s | %s | %s | %.2f | %s | %.2f |\n' "$id" "$description" "$peer" "$rom" \
		"$stub" "${rate:-?}" "$(echo "$stub / $peer" | bc -l)" "$limit" "$(echo "$stub / $limit" | bc -l)"
done
