#!/usr/bin/env bash
# Several boards at once (issue 16): one board, then three, written and
# verified in parallel against stm32boot-sim --speed realtime (every byte
# paced at 11 bits at the host's baud, typical erase/program times).
#
#   bench/gang.sh [--build DIR] [--size BYTES] [--baud N]
#
# Prints both wall times and their ratio; exits 1 when three boards take
# more than 1.5x one (the workers run in parallel, the image is parsed
# once). A benchmark, not a test: it asserts on wall time.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
SIZE=32768
BAUD=115200
die() { echo "gang-bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
	--size) SIZE=$2; shift ;;
	--baud) BAUD=$2; shift ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
STM32BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
[ -x "$STM32BOOT" ] && [ -x "$SIM" ] || die "build first: $BUILD/bin/stm32boot, stm32boot-sim"
WORK=$(mktemp -d /tmp/stm32gang.XXXXXX) || die mktemp
trap 'rm -rf "$WORK"' EXIT
head -c "$SIZE" /dev/urandom >"$WORK/fw.bin"

board() { echo "sim:stm32f103xb,image=$WORK/chip$1.img,speed=realtime,uid=00000000000000000000000$1"; }

seconds() { # seconds CMD...: wall time of CMD (must succeed)
	local start end
	start=$(date +%s.%N)
	"$@" >"$WORK/out" 2>&1 || die "failed: $* ($(tail -3 "$WORK/out"))"
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}

rm -f "$WORK"/chip*.img
one=$(seconds "$STM32BOOT" --sim "$SIM" -b "$BAUD" -w "$WORK/fw.bin" -v "$(board 1)")
rm -f "$WORK"/chip*.img
three=$(seconds "$STM32BOOT" --sim "$SIM" -b "$BAUD" -w "$WORK/fw.bin" -v "$(board 1)" "$(board 2)" "$(board 3)")
ratio=$(echo "$three / $one" | bc -l)
printf 'one board: %.2f s, three boards: %.2f s, ratio %.2f (limit 1.50)\n' "$one" "$three" "$ratio"
[ "$(echo "$ratio <= 1.5" | bc -l)" = 1 ] || die "three boards took more than 1.5x one"
