#!/usr/bin/env bash
# The RAM stub (--stub) against stm32flash 0.7 and stm32boot --no-stub on
# stm32boot-sim --speed realtime, a fresh chip per run, and the modelled
# bound of each (bench_limit stub-write / stub-read). Issue 14's W7-W10, and W11 (H7)
# (docs/performance.md, "The RAM stub"); --only ID runs one of them.
#
#   bench/stub.sh [--build DIR] [--reps N] [--only ID] [--no-peer] [--no-rom]
# --no-peer / --no-rom leave out the stm32flash / --no-stub runs (minutes
# each at 115200); stderr has each run's emulator figures and the load.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
REPS=1
ONLY=
SKIP_PEER=0
SKIP_ROM=0
BAUD=115200
STM32FLASH=${STM32FLASH:-/usr/bin/stm32flash}
die() { echo "bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
	--reps) REPS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--no-peer) SKIP_PEER=1 ;;
	--no-rom) SKIP_ROM=1 ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
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

# id device kind size description; kind: random or firmware (written with
# -v; firmware: tests/e2e/data/firmware_like.py, ~70 % code-like bytes and
# 0xFF gaps), or read (SIZE bytes from the flash start of a blank chip).
WORKLOADS=(
	"W8 stm32f103xb random 65536 64 KiB random to a blank F103xB, write + verify"
	"W7 stm32f407xg firmware 1048576 1 MiB firmware to F407, write + verify"
	"W9 stm32f407xg read 1048576 read 1 MiB from F407"
	"W10 stm32f030x8 random 32768 32 KiB to F030x8 (Cortex-M0), write + verify"
	"W11 stm32h743zi firmware 1048576 1 MiB firmware to H743 (the h7 image), write + verify"
)

run_once() { # run_once TOOL DEVICE INPUT [READ_LENGTH]: prints seconds, or fails
	local tool=$1 device=$2 input=$3 read_length=${4:-}
	rm -f "$WORK/tty" "$WORK/ctl" "$WORK/chip.img"
	"$SIM" --device "$device" --speed realtime --link "$WORK/tty" --control "$WORK/ctl" \
		--image "$WORK/chip.img" --stats "$WORK/stats.json" >"$WORK/sim.log" 2>&1 &
	SIM_PID=$!
	local i
	for i in $(seq 200); do [ -e "$WORK/tty" ] && [ -S "$WORK/ctl" ] && break; sleep 0.02; done
	local args=(-b "$BAUD" -w "$input" -v) program=$BOOT
	[ -z "$read_length" ] || args=(-b "$BAUD" -r "$WORK/read.bin" -S "0x08000000:$read_length")
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
	# How far the emulated core fell behind the wall clock (stderr, with
	# the load): a run where it did measured the emulator, not the tool.
	echo "bench: $tool: core behind the wall at most $(sed -n 's/.*"behind_wall_ms_max": \([0-9.]*\).*/\1/p' \
		"$WORK/stats.json") ms, $(sed -n 's/.*"instructions": \([0-9]*\).*/\1/p' "$WORK/stats.json") \
instructions ($(sed -n 's/.*"spin_skipped_instructions": \([0-9]*\).*/\1/p' "$WORK/stats.json") in \
skipped polling loops), load $(cut -d' ' -f1 /proc/loadavg)" >&2
	if [ "$status" -ne 0 ]; then
		echo "$tool failed (exit $status): $(tail -1 "$WORK/$tool.log")" >&2
		return 1
	fi
	if [ -n "$read_length" ]; then
		cmp -s -n "$read_length" "$WORK/read.bin" <(tail -c +33 "$WORK/chip.img") &&
			[ "$(stat -c %s "$WORK/read.bin")" -eq "$read_length" ] ||
			die "$tool: what it read is not the flash"
	else
		cmp -s -n "$(stat -c %s "$input")" "$input" <(tail -c +33 "$WORK/chip.img") ||
			die "$tool: the flash is not the input"
	fi
	echo "scale=2; ($end - $start) / 1000000000" | bc
}

best_of() { # best_of TOOL DEVICE INPUT
	local best= t r
	for r in $(seq "$REPS"); do
		t=$(run_once "$@") || { echo failed; return; }
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

echo "| id | workload | stm32flash s | --no-stub s | --stub s | stub rate | stub/stm32flash | stub limit s | stub/limit |"
echo "|---|---|---|---|---|---|---|---|---|"
ratio() { # ratio A B: A / B, or "-" when either is not a number
	case "$1$2" in *[!0-9.]*|'') echo - ;; *) printf '%.2f' "$(echo "$1 / $2" | bc -l)" ;; esac
}
for w in "${WORKLOADS[@]}"; do
	read -r id device kind size description <<<"$w"
	[ -z "$ONLY" ] || [ "$ONLY" = "$id" ] || continue
	input=$WORK/$id.bin read_length=
	case "$kind" in
	random) head -c "$size" /dev/urandom >"$input" ;;
	firmware) python3 "$ROOT/tests/e2e/data/firmware_like.py" "$size" 14 >"$input" ;;
	read) read_length=$size ;;
	esac
	peer=-
	[ "$SKIP_PEER" = 1 ] || peer=$(best_of stm32flash "$device" "$input" $read_length) || exit 1
	rom=-
	[ "$SKIP_ROM" = 1 ] || rom=$(best_of rom "$device" "$input" $read_length) || exit 1
	stub=$(best_of stub "$device" "$input" $read_length) || exit 1
	if [ -n "$read_length" ]; then
		limit=$("$LIMIT" "$device" "$BAUD" stub-read "$read_length" | cut -d' ' -f1)
	else
		limit=$("$LIMIT" "$device" "$BAUD" stub-write "$input" 2>/dev/null | cut -d' ' -f1)
	fi
	rate=$(grep -o 'Stub running at [0-9]* baud [0-9A-Z]*' "$WORK/stub.log" | cut -d' ' -f4,6)
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$id" "$description" "$peer" "$rom" \
		"$stub" "${rate:-?}" "$(ratio "$stub" "$peer")" "${limit:--}" "$(ratio "$stub" "$limit")"
done
