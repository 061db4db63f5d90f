#!/usr/bin/env bash
# stm32boot over UART 115200, I2C 400 kHz and SPI 8 MHz against
# stm32boot-sim --speed realtime on an stm32g071rb (issue #6).
#
#   bench/bus.sh [--build DIR] [--reps N] [--out FILE]
#
# W1: write + verify 64 KiB random to a blank chip. W5: read the whole
# 128 KiB. The emulator paces all three links (docs/sim.md): UART bytes at
# 11 bits, I2C transactions at 9 bits a byte + START/address/STOP at
# --i2c-clock, SPI transfers at 8 bits a byte at the clock stm32boot set.
# Beside each measured time: a limit (UART: bench_limit; I2C and SPI: the
# bytes and transactions of the same run at --speed fast, where every
# operation is polled once, at those bit times, plus bench_limit's erase and
# program time) and the floor of the timed run itself (the bytes it moved at
# those bit times): a run faster than its floor is refused, as bench/run.sh
# does for UART. See docs/performance.md.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
REPS=1
OUT=
DEVICE=stm32g071rb
I2C_ADDRESS=0x51
I2C_NODE=/dev/i2c-3
SPI_NODE=/dev/spidev1.0
I2C_HZ=400000
SPI_HZ=8000000
BAUD=115200

die() { echo "bus-bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
	--reps) REPS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
case "$REPS" in ''|*[!0-9]*|0) die "--reps needs a positive number" ;; esac
BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
LIMIT=$BUILD/bin/bench_limit
INTERPOSER=$BUILD/lib/libsiminterpose.so
for f in "$BOOT" "$SIM" "$LIMIT"; do [ -x "$f" ] || die "$f is not built"; done
[ -f "$INTERPOSER" ] || die "$INTERPOSER is not built"
command -v jq >/dev/null || die "jq is required"

WORK=$(mktemp -d /tmp/stm32busbench.XXXXXX) || die "mktemp"
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

head -c 65536 /dev/urandom >"$WORK/r64.bin"
"$BOOT" --quiet -w "$WORK/r64.bin" "sim:$DEVICE,image=$WORK/before.img" >/dev/null 2>&1 ||
	die "could not prepare the W5 chip"

wait_for() { # wait_for TEST-OP PATH
	local i
	for i in $(seq 1 300); do
		test "$1" "$2" && return 0
		kill -0 "$SIM_PID" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

sim_start() { # sim_start LINK WORKLOAD SPEED
	local link=$1 id=$2 speed=$3
	rm -f "$WORK/tty" "$WORK/ctl" "$WORK/bus" "$WORK/chip.img" "$WORK/stats.json"
	[ "$id" = W5 ] && cp "$WORK/before.img" "$WORK/chip.img"
	if [ "$link" = uart ]; then
		"$SIM" --device "$DEVICE" --speed "$speed" --link "$WORK/tty" --control "$WORK/ctl" \
			--image "$WORK/chip.img" --stats "$WORK/stats.json" >"$WORK/sim.log" 2>&1 &
		SIM_PID=$!
		wait_for -e "$WORK/tty" && wait_for -S "$WORK/ctl" || die "emulator: $(cat "$WORK/sim.log")"
	else
		"$SIM" --device "$DEVICE" --interface "$link" --speed "$speed" --link "$WORK/bus" \
			--i2c-clock "$I2C_HZ" --image "$WORK/chip.img" --stats "$WORK/stats.json" >"$WORK/sim.log" 2>&1 &
		SIM_PID=$!
		wait_for -S "$WORK/bus" || die "emulator: $(cat "$WORK/sim.log")"
	fi
}

sim_stop() {
	kill -TERM "$SIM_PID"
	wait "$SIM_PID" || die "emulator exited with status $?"
	SIM_PID=
	[ -s "$WORK/stats.json" ] || die "emulator wrote no stats"
}

action() { # action WORKLOAD: stm32boot's arguments before the port
	case "$1" in
	W1) echo "-v -w $WORK/r64.bin" ;;
	W5) echo "-S 0x08000000:131072 -r $WORK/read.bin" ;;
	esac
}

flasher() { # flasher LINK WORKLOAD [PREFIX...]: stm32boot on LINK
	local link=$1 id=$2; shift 2
	local args
	read -r -a args <<<"$(action "$id")"
	case "$link" in
	uart) env LD_PRELOAD="$INTERPOSER" STM32BOOT_SIM_TTY="$WORK/tty" STM32BOOT_SIM_CONTROL="$WORK/ctl" \
		"$@" "$BOOT" -b "$BAUD" "${args[@]}" "$WORK/tty" ;;
	i2c) env LD_PRELOAD="$INTERPOSER" STM32BOOT_SIM_I2C="$I2C_NODE" STM32BOOT_SIM_BUS="$WORK/bus" \
		"$@" "$BOOT" -a "$I2C_ADDRESS" "${args[@]}" "$I2C_NODE" ;;
	spi) env LD_PRELOAD="$INTERPOSER" STM32BOOT_SIM_SPI="$SPI_NODE" STM32BOOT_SIM_BUS="$WORK/bus" \
		"$@" "$BOOT" --spi-speed "$SPI_HZ" "${args[@]}" "$SPI_NODE" ;;
	esac
}

outcome_ok() { # the flash holds the input (W1) or the read file equals the flash (W5)
	if [ "$1" = W1 ]; then
		cmp -s -n 65536 "$WORK/r64.bin" <(tail -c +33 "$WORK/chip.img")
	else
		cmp -s -n 131072 "$WORK/read.bin" <(tail -c +33 "$WORK/chip.img")
	fi
}

# Wire seconds of what a run moved, from the emulator's stats, at this
# bench's own bit times (docs/sim.md states the emulator's model; the two
# are cross-checked below): UART 11 bits a byte in either direction; I2C
# 9 bits a data byte (8 + ACK) + 11 bits a transaction (START 1, address
# + ACK 9, STOP 1); SPI 8 bits a byte. Prints "seconds transactions bytes".
wire_of_run() { # wire_of_run LINK STATS-FILE
	local link=$1 stats=$2
	if [ "$link" = uart ]; then
		jq -r --argjson baud "$BAUD" '"\((.bytes_in + .bytes_out) * 11 / $baud) - \(.bytes_in + .bytes_out)"' "$stats"
	elif [ "$link" = i2c ]; then
		jq -r --argjson hz "$I2C_HZ" '"\((9 * .bus_bytes + 11 * .bus_transactions) / $hz) \(.bus_transactions) \(.bus_bytes)"' "$stats"
	else
		jq -r --argjson hz "$SPI_HZ" '"\(8 * .bus_bytes / $hz) \(.bus_transactions) \(.bus_bytes)"' "$stats"
	fi
}

# The pacing proof: no run may beat the wire time of the bytes it moved,
# and on a bus the emulator must have charged that same wire time.
pacing_check() { # pacing_check LINK WORKLOAD SECONDS
	local link=$1 id=$2 seconds=$3 wire transactions bytes
	read -r wire transactions bytes < <(wire_of_run "$link" "$WORK/stats.json")
	awk -v s="$seconds" -v w="$wire" 'BEGIN { exit !(s < 0.99 * w) }' &&
		die "$link $id: $seconds s is faster than the $wire s its bytes take on the wire; the emulator is not pacing"
	if [ "$link" != uart ]; then
		local charged
		charged=$(jq -r '.bus_wire_us' "$WORK/stats.json")
		awk -v c="$charged" -v w="$wire" 'BEGIN { d = c / 1e6 - w; exit !(d > 0.001 || d < -0.001) }' &&
			die "$link $id: the emulator charged $charged us of wire time, the model says $wire s"
	fi
	echo "$wire $transactions $bytes"
}

limit_of() { # limit_of LINK WORKLOAD: seconds (the smallest run this model allows)
	local link=$1 id=$2 limit
	if [ "$id" = W1 ]; then limit=$("$LIMIT" "$DEVICE" "$BAUD" write "$WORK/r64.bin")
	else limit=$("$LIMIT" "$DEVICE" "$BAUD" read 131072); fi
	if [ "$link" = uart ]; then
		awk '{ print $1 }' <<<"$limit"
		return
	fi
	# The same run at --speed fast: the bytes and transactions it needs
	# when every erase and program is polled once.
	sim_start "$link" "$id" fast
	flasher "$link" "$id" >"$WORK/count.log" 2>&1 || die "$link $id: the counting run failed: $(tail -2 "$WORK/count.log")"
	sim_stop
	local wire
	read -r wire _ <<<"$(wire_of_run "$link" "$WORK/stats.json")"
	awk -v w="$wire" '{ printf "%.3f\n", w + ($3 + $4) / 1000 }' <<<"$limit"
}

row() { # row LINK WORKLOAD
	local link=$1 id=$2 rep times=() floors=() start end seconds floor transactions bytes
	for rep in $(seq 1 "$REPS"); do
		sim_start "$link" "$id" realtime
		rm -f "$WORK/read.bin"
		start=$(date +%s%N)
		flasher "$link" "$id" >"$WORK/run.log" 2>&1 || die "$link $id failed: $(tail -2 "$WORK/run.log")"
		end=$(date +%s%N)
		sim_stop
		outcome_ok "$id" || die "$link $id: exit 0 but the flash or the read file is wrong"
		seconds=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')
		pacing_check "$link" "$id" "$seconds" >"$WORK/floor"
		read -r floor transactions bytes <"$WORK/floor"
		echo "bus-bench: $link $id run $rep: $seconds s, wire floor $floor s ($transactions transactions, $bytes B)" >&2
		times+=("$seconds")
		floors+=("$floor $transactions $bytes")
	done
	local median limit which traffic
	median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	# the floor and traffic of the median run
	for which in $(seq 0 $((REPS - 1))); do [ "${times[$which]}" = "$median" ] && break; done
	read -r floor transactions bytes <<<"${floors[$which]}"
	if [ "$link" = uart ]; then traffic="$bytes B"; else traffic="$transactions tr, $bytes B"; fi
	limit=$(limit_of "$link" "$id")
	printf '| %s | %s | %s | %s | %.2f | %.3f | %s |\n' "$id" "$(link_name "$link")" "$median" "$limit" \
		"$(awk -v m="$median" -v l="$limit" 'BEGIN { print m / l }')" "$floor" "$traffic"
}

link_name() {
	case "$1" in
	uart) echo "UART $BAUD" ;;
	i2c) echo "I2C $((I2C_HZ / 1000)) kHz" ;;
	spi) echo "SPI $((SPI_HZ / 1000000)) MHz" ;;
	esac
}

{
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $DEVICE; $REPS run(s) each (median)."
	echo
	echo "| workload | link | measured s (median of $REPS) | limit s | measured / limit | wire floor of the run s | moved by the run |"
	echo "|---|---|---|---|---|---|---|"
	for id in W1 W5; do
		for link in uart i2c spi; do row "$link" "$id"; done
	done
} | tee "${OUT:-/dev/null}"
