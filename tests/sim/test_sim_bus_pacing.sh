#!/bin/bash
# stm32boot-sim --speed realtime paces I2C and SPI transactions on the wire
# (docs/sim.md, "Wire time on I2C and SPI"). Nothing here measures wall time:
#   - the stats charge every transaction its wire time, computed from its
#     bytes and the clock (bus_wire_us), and --speed fast charges nothing;
#   - inside one SPI transfer the chip sees each byte at its own time on the
#     wire, so where the ACK of a Write Memory appears in the transfer
#     depends only on the clock and the device's program time.
# Usage: test_sim_bus_pacing.sh PATH/stm32boot-sim PATH/sim_bus_talk
set -u
SIM=$1
TALK=$2
. "$(dirname "$0")/lib.sh"

bus_stats() { # the transactions, data bytes and wire time of the last run
	jq -r '"\(.bus_transactions) \(.bus_bytes) \(.bus_wire_us)"' "$WORK/stats.json"
}

# --- I2C: Get ID, Get Version, an unacknowledged address, a bad request ---
# Bit times: 9 x (data bytes + 1) + 2 a transaction, 11 when the address
# is not acknowledged; the bad request ('X' on I2C) is no transaction.
#   W 2 bytes: 29   R 1: 20   R 3: 38   R 1: 20   W 2: 29   R 1: 20 x 3
#   W to 0x3a: 11   R from 0x3a: 11                        total 218 bits
I2C_SCRIPT=("W 39 02fd" "R 39 1" "R 39 3" "R 39 1" "W 39 01fe" "R 39 1" "R 39 1" "R 39 1"
	"W 3a 00ff" "R 3a 1" "X 5a0000")
I2C_REPLIES="0 0 79 0 010431 0 79 0 0 79 0 11 0 79 1 1 2 "
i2c_run() { # i2c_run TITLE EXPECTED-STATS SIM-ARGS...
	local title=$1 want=$2
	shift 2
	start_sim "$WORK/bus" --device stm32f411xe --interface i2c --stats "$WORK/stats.json" "$@" ||
		return
	local got
	got=$(printf '%s\n' "${I2C_SCRIPT[@]}" | "$TALK" "$WORK/bus" | tr '\n' ' ')
	expect_eq "$title: replies" "$got" "$I2C_REPLIES"
	stop_sim_cleanly
	expect_eq "$title: transactions, bytes, wire us" "$(bus_stats)" "$want"
}
i2c_run "i2c realtime, default 400 kHz" "10 12 545" --speed realtime   # 218 x 2.5 us
i2c_run "i2c realtime, --i2c-clock 100000" "10 12 2180" --speed realtime --i2c-clock 100000
i2c_run "i2c fast" "10 12 0" --speed fast --i2c-clock 100000

# --- SPI: Write Memory of one word on stm32f411xe (4-byte units, 16 us) ---
# The data frame (N, 4 bytes, XOR) goes out in one transfer with three more
# bytes to clock the answer. Paced, byte i of a transfer starts shifting at
# 8 i bit times; the chip is busy 16 us after the XOR arrives:
#   1 MHz (no clock sent; 8 us a byte): busy, busy, then the dummy 00
#   500 kHz (sent with the transfer; 16 us a byte): busy, 00, 79
#   fast: no program time, 00 79 at once, then the chip waits for the 79
# Unpaced realtime (every byte at one instant) would give busy a5 three times.
XOR=$(printf '%02x' $((0x03 ^ 0xde ^ 0xad ^ 0xbe ^ 0xef)))
SPI_HEAD=("X 5a" "X 0000" "X 79" "X 5a31ce" "X 0000" "X 79" "X 0800000008" "X 0000" "X 79")
spi_run() { # spi_run TITLE DATA-LINE EXPECTED-REPLY EXPECTED-STATS SIM-ARGS...
	local title=$1 line=$2 reply=$3 want=$4
	shift 4
	start_sim "$WORK/bus" --device stm32f411xe --interface spi --stats "$WORK/stats.json" \
		--image "$WORK/chip.img" "$@" || return
	local got
	got=$(printf '%s\n' "${SPI_HEAD[@]}" "$line" | "$TALK" "$WORK/bus" | tail -n1)
	expect_eq "$title: the transfer around the program time" "$got" "$reply"
	stop_sim_cleanly
	expect_eq "$title: transactions, bytes, wire us" "$(bus_stats)" "$want"
	expect_eq "$title: flash holds the word" \
		"$(od -An -tx1 -j32 -N4 "$WORK/chip.img" | tr -d ' ')" deadbeef
	rm -f "$WORK/chip.img"
}
# 27 bytes: 216 us at 1 MHz; with the last 9 at 500 kHz: 18 x 8 + 9 x 16 = 288 us
spi_run "spi realtime, no clock sent (1 MHz)" "X 03deadbeef${XOR}000000" \
	"0 a5a5a5a5a5a5a5a500" "10 27 216" --speed realtime
spi_run "spi realtime, 500 kHz sent" "S 500000 03deadbeef${XOR}000000" \
	"0 a5a5a5a5a5a5a50079" "10 27 288" --speed realtime
spi_run "spi fast" "S 500000 03deadbeef${XOR}000000" \
	"0 a5a5a5a5a5a50079a5" "10 27 0" --speed fast

# --- SPI: every transfer at its own clock; bad clock fields ---
start_sim "$WORK/bus" --device stm32f411xe --interface spi --speed realtime \
	--stats "$WORK/stats.json" || true
got=$(printf '%s\n' "S 8000000 5a" "S 2000000 0000" "S 125000 79" \
	"Z 58010100000000005a" "Z 580201005a" "S 4000000 00" | "$TALK" "$WORK/bus" | tr '\n' ' ')
expect_eq "spi clocks per transfer; zero clock and unknown flag are bad requests" "$got" \
	"0 a5 0 0079 0 a5 2 2 0 a5 "
stop_sim_cleanly
# 1 + 8 + 64 + 2 us: 8 bits at 8 MHz, 16 at 2 MHz, 8 at 125 kHz, 8 at 4 MHz
expect_eq "spi wire time of mixed clocks" "$(bus_stats)" "4 5 75"

# --- the option ---
for bad in 0 999 5000001 400k -5 ""; do
	"$SIM" --device stm32f411xe --interface i2c --i2c-clock "$bad" >/dev/null 2>"$WORK/err"
	expect_eq "--i2c-clock '$bad': exit 2" "$?" 2
	expect_eq "--i2c-clock '$bad': one line" "$(wc -l <"$WORK/err")" 1
	grep -q -- "--i2c-clock" "$WORK/err" || fail "--i2c-clock '$bad' message: $(cat "$WORK/err")"
done
"$SIM" --help | grep -- "--i2c-clock HZ" >/dev/null || fail "--help lacks --i2c-clock"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all passed"
