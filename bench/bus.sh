#!/usr/bin/env bash
# stm32boot over UART 115200, I2C 400 kHz and SPI 8 MHz against
# stm32boot-sim --speed realtime on an stm32g071rb (issue #6).
#
#   bench/bus.sh [--build DIR] [--reps N] [--out FILE]
#
# W1: write + verify 64 KiB random to a blank chip. W5: read the whole
# 128 KiB. The emulator paces UART bytes but not bus bytes (docs/sim.md:
# on a bus only the chip's erase/program times are real), so next to each
# measured time the table gives a modelled time: UART from bench_limit;
# I2C and SPI from the bus requests the run really made (counted in a
# second, untimed run under strace) at 9 bits a byte + 20 bit times a
# transaction at 400 kHz, or 8 bits a byte at 8 MHz, plus bench_limit's
# erase and program time for the same file. See docs/performance.md.
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
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
LIMIT=$BUILD/bin/bench_limit
INTERPOSER=$BUILD/lib/libsiminterpose.so
for f in "$BOOT" "$SIM" "$LIMIT"; do [ -x "$f" ] || die "$f is not built"; done
[ -f "$INTERPOSER" ] || die "$INTERPOSER is not built"
command -v strace >/dev/null || die "strace is required (apt-get install strace)"
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
			--image "$WORK/chip.img" --stats "$WORK/stats.json" >"$WORK/sim.log" 2>&1 &
		SIM_PID=$!
		wait_for -S "$WORK/bus" || die "emulator: $(cat "$WORK/sim.log")"
	fi
}

sim_stop() {
	kill -TERM "$SIM_PID"
	wait "$SIM_PID" || die "emulator exited with status $?"
	SIM_PID=
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

# The bus requests (docs/architecture.md: 'W'/'R'/'X', addr, len lo, len hi,
# then len bytes for W and X) in the order the interposer sent them, from
# strace's hex dump of every send: prints "transactions payload_bytes".
count_requests() {
	perl -ne 'if (/^(?:\d+\s+)?sendto\(\d+, "((?:\\x[0-9a-f]{2})*)"/) { $s .= pack("H*", join "", $1 =~ /\\x([0-9a-f]{2})/g) }
		END { my ($n, $bytes, $i) = (0, 0, 0);
			while ($i + 4 <= length $s) {
				my ($kind, $addr, $len) = unpack("a C v", substr($s, $i, 4));
				$n++; $bytes += $len; $i += 4 + ($kind eq "R" ? 0 : $len);
			}
			print "$n $bytes\n" }' "$1"
}

modelled() { # modelled LINK WORKLOAD: seconds
	local link=$1 id=$2 limit
	if [ "$id" = W1 ]; then limit=$("$LIMIT" "$DEVICE" "$BAUD" write "$WORK/r64.bin")
	else limit=$("$LIMIT" "$DEVICE" "$BAUD" read 131072); fi
	if [ "$link" = uart ]; then
		awk '{ print $1 }' <<<"$limit"
		return
	fi
	# Untimed: the same run at fast speed under strace, to count requests.
	sim_start "$link" "$id" fast
	flasher "$link" "$id" strace -f -qq -xx -s 1000000 -e trace=sendto -o "$WORK/trace" \
		>/dev/null 2>&1 || die "$link $id: the counting run failed"
	sim_stop
	read -r transactions bytes < <(count_requests "$WORK/trace")
	echo "$transactions $bytes" >"$WORK/count.$link.$id"
	awk -v l="$link" -v t="$transactions" -v b="$bytes" -v i2c="$I2C_HZ" -v spi="$SPI_HZ" \
		'{ wire = (l == "i2c") ? (9 * b + 20 * t) / i2c : 8 * b / spi
		   printf "%.3f\n", wire + ($3 + $4) / 1000 }' <<<"$limit"
}

row() { # row LINK WORKLOAD
	local link=$1 id=$2 rep total=0 times=() start end
	for rep in $(seq 1 "$REPS"); do
		sim_start "$link" "$id" realtime
		rm -f "$WORK/read.bin"
		start=$(date +%s%N)
		flasher "$link" "$id" >"$WORK/run.log" 2>&1 || die "$link $id failed: $(tail -2 "$WORK/run.log")"
		end=$(date +%s%N)
		sim_stop
		outcome_ok "$id" || die "$link $id: exit 0 but the flash or the read file is wrong"
		times+=("$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')")
	done
	local median model count=-
	median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	model=$(modelled "$link" "$id")
	[ -f "$WORK/count.$link.$id" ] && count=$(awk '{ print $1 " req, " $2 " B" }' "$WORK/count.$link.$id")
	printf '| %s | %s | %s | %s | %s | %.2f |\n' "$id" "$1" "$median" "$model" "$count" \
		"$(awk -v m="$median" -v l="$model" 'BEGIN { print m / l }')"
}

{
	echo "| workload | link | measured s (median of $REPS) | modelled s | bus requests, payload | measured / modelled |"
	echo "|---|---|---|---|---|---|"
	for id in W1 W5; do
		for link in uart i2c spi; do row "$link" "$id"; done
	done
} | tee "${OUT:-/dev/null}"
