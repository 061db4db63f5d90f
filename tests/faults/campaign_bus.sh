#!/usr/bin/env bash
# Fault campaign on I2C or SPI (issue #6): write+verify cycles through the
# i2c-dev / spidev interposer against `stm32boot-sim --interface i2c|spi`
# with seeded faults. The invariant is the UART campaign's: every run ends
# verified (exit 0 and the emulated flash equal to the image) or with a
# non-zero exit and an error message; never exit 0 with other flash.
#
# usage: campaign_bus.sh i2c|spi NAME FIRST_SEED LAST_SEED SIZE SPEC MIN_SUCCESSES
# Environment (CMake): STM32BOOT, STM32BOOT_SIM_PROGRAM, STM32BOOT_INTERPOSER.
set -uo pipefail
DEVICE=${DEVICE:-stm32g071rb} # lists uart, i2c and spi
. "$(dirname "$0")/lib.sh"

interface=$1 name=$2 first=$3 last=$4 size=$5 spec=$6 min_ok=$7
I2C_NODE=/dev/i2c-3
SPI_NODE=/dev/spidev1.0
I2C_ADDRESS=0x51
SPI_SPEED=8000000
INTERPOSER=${STM32BOOT_INTERPOSER:?path of libsiminterpose.so}
[ -f "$INTERPOSER" ] || fail "the interposer is not built: $INTERPOSER"
case "$interface" in i2c|spi) ;; *) fail "interface must be i2c or spi, not $interface" ;; esac

SIM_PID=
sim_stop() {
	[ -n "$SIM_PID" ] || return 0
	kill -TERM "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}

# sim_start SEED IMG: the emulator on a fresh bus socket, with the faults.
sim_start() {
	local seed=$1 img=$2 tries=0
	BUS=$WORK/bus.$seed
	rm -f "$BUS"
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface "$interface" --link "$BUS" \
		--i2c-address "$I2C_ADDRESS" --image "$img" --stats "$img.stats" --speed fast \
		--seed "$seed" --faults "$spec" >"$img.sim.out" 2>"$img.sim.err" &
	SIM_PID=$!
	until [ -S "$BUS" ]; do
		kill -0 "$SIM_PID" 2>/dev/null || fail "the emulator exited: $(cat "$img.sim.err")"
		tries=$((tries + 1))
		[ "$tries" -lt 500 ] || fail "the emulator never made its bus socket"
		sleep 0.01
	done
}

# bus_write_run FIRMWARE SEED IMG: one write+verify; sets STATUS, OUT, ERR.
bus_write_run() {
	local firmware=$1 seed=$2 img=$3
	OUT=$img.out
	ERR=$img.err
	STATUS=0
	sim_start "$seed" "$img"
	case "$interface" in
	i2c) LD_PRELOAD=$INTERPOSER STM32BOOT_SIM_I2C=$I2C_NODE STM32BOOT_SIM_BUS=$BUS \
		timeout -s KILL "$RUN_LIMIT_S" "$STM32BOOT" -a "$I2C_ADDRESS" -w "$firmware" -v "$I2C_NODE" \
		>"$OUT" 2>"$ERR" </dev/null || STATUS=$? ;;
	spi) LD_PRELOAD=$INTERPOSER STM32BOOT_SIM_SPI=$SPI_NODE STM32BOOT_SIM_BUS=$BUS \
		timeout -s KILL "$RUN_LIMIT_S" "$STM32BOOT" --spi-speed "$SPI_SPEED" -w "$firmware" -v "$SPI_NODE" \
		>"$OUT" 2>"$ERR" </dev/null || STATUS=$? ;;
	esac
	sim_stop # the emulator saves the image and the stats on SIGTERM
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR" &&
		fail "sanitizer report (seed $seed, $spec): $(head -5 "$ERR")"
	[ "$STATUS" -ne 137 ] || fail "hang: no end within ${RUN_LIMIT_S}s (seed $seed, faults $spec)"
	[ -s "$img.stats" ] || fail "the emulator wrote no statistics (seed $seed): $(cat "$img.sim.err")"
}

# Faults the emulator reports having injected in this run (all kinds).
faults_injected() {
	jq '[.faults[]] | add' "$1.stats" 2>/dev/null || echo 0
}

command -v jq >/dev/null || fail "jq is required (apt-get install jq)"
faults_init
trap 'sim_stop; [ -n "${FAULTS_KEEP:-}" ] || rm -rf "$WORK"' EXIT
ok=0 failed=0 injected=0
for seed in $(seq "$first" "$last"); do
	firmware=$WORK/fw.$seed.bin
	img=$WORK/chip.$seed.img
	make_firmware "$firmware" "$size" "$seed"
	bus_write_run "$firmware" "$seed" "$img"
	check_invariant "$firmware" "$img"
	injected=$((injected + $(faults_injected "$img")))
	if [ "$OUTCOME" = ok ]; then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
		echo "seed $seed: exit $STATUS: $(grep -m1 error "$ERR")"
	fi
done
echo "campaign $interface.$name ($spec): $ok verified, $failed failed cleanly, none wrong; $injected faults injected"
# A campaign whose faults never fired proves nothing about them.
[ "$injected" -gt 0 ] || fail "no fault was injected: the spec '$spec' never fired"
[ "$ok" -ge "$min_ok" ] || fail "only $ok of $((last - first + 1)) runs succeeded (want >= $min_ok)"
