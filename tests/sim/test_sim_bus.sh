#!/bin/bash
# stm32boot-sim --interface i2c|spi through its real bus socket: I2C and SPI
# exchanges, the address check, bad requests, the stats interface key, the
# socket path on stdout, and the refusals of interfaces a device lacks.
# Usage: test_sim_bus.sh PATH/stm32boot-sim PATH/sim_bus_talk
set -u
SIM=$1
TALK=$2
. "$(dirname "$0")/lib.sh"

# --- I2C: Get ID, Get Version, an address nobody answers, a bad request ---
start_sim "$WORK/i2c" --device stm32f411xe --interface i2c --stats "$WORK/i2c.json"
got=$(printf '%s\n' "W 39 02fd" "R 39 1" "R 39 3" "R 39 1" \
	"W 39 01fe" "R 39 1" "R 39 1" "R 39 1" \
	"W 3a 00ff" "R 3a 1" "X 5a0000" | "$TALK" "$WORK/i2c" | tr '\n' ' ')
expect_eq "i2c get id, get version, wrong address, spi request" "$got" \
	"0 0 79 0 010431 0 79 0 0 79 0 11 0 79 1 1 2 "
stop_sim_cleanly
expect_eq "i2c stats interface" "$(jq -r .interface "$WORK/i2c.json")" i2c
expect_eq "i2c stats get id" "$(jq -r '.commands["0x02"]' "$WORK/i2c.json")" 1
expect_eq "i2c stats bytes in" "$(jq -r .bytes_in "$WORK/i2c.json")" 4
expect_eq "i2c socket removed" "$([ -e "$WORK/i2c" ] && echo present || echo gone)" gone

# --- I2C no-stretch write polls BUSY once, then reads back ---
start_sim "$WORK/i2c" --device stm32g071rb --interface i2c --i2c-address 0x42 --image "$WORK/g0.img"
got=$(printf '%s\n' "W 42 32cd" "R 42 1" "W 42 0800000008" "R 42 1" \
	"W 42 03deadbeef$(printf '%02x' $((0x03 ^ 0xde ^ 0xad ^ 0xbe ^ 0xef)))" "R 42 1" "R 42 1" \
	"W 42 11ee" "R 42 1" "W 42 0800000008" "R 42 1" "W 42 03fc" "R 42 1" "R 42 4" \
	"W 51 00ff" | "$TALK" "$WORK/i2c" | tr '\n' ' ')
expect_eq "i2c 0x32 write busy poll and read back at --i2c-address" "$got" \
	"0 0 79 0 0 79 0 0 76 0 79 0 0 79 0 0 79 0 0 79 0 deadbeef 1 "
stop_sim_cleanly
expect_eq "image holds the write" "$(od -An -tx1 -j32 -N4 "$WORK/g0.img" | tr -d ' ')" deadbeef

# --- SPI: sync, Get ID with the ACK procedure and the dummy byte ---
"$SIM" --device stm32f411xe --interface spi --stats "$WORK/spi.json" >"$WORK/spi.out" 2>"$WORK/sim.err" &
SIM_PID=$!
for _ in $(seq 200); do [ -s "$WORK/spi.out" ] && break; sleep 0.05; done
socket=$(head -n1 "$WORK/spi.out")
expect_eq "spi socket path on stdout" "$([ -S "$socket" ] && echo socket)" socket
got=$(printf '%s\n' "X 5a" "X 0000" "X 79" "X 5a02fd" "X 0000" "X 79" "X 00000000" "X 0000" "X 79" \
	"W 39 00ff" | "$TALK" "$socket" | tr '\n' ' ')
expect_eq "spi sync and get id" "$got" \
	"0 a5 0 0079 0 a5 0 a5a5a5 0 0079 0 a5 0 00010431 0 0079 0 a5 2 "
stop_sim_cleanly
expect_eq "spi stats interface" "$(jq -r .interface "$WORK/spi.json")" spi
expect_eq "temporary socket directory removed" "$([ -e "$socket" ] && echo present || echo gone)" gone

# --- refusals ---
"$SIM" --device stm32f103xb --interface i2c >/dev/null 2>"$WORK/err"
expect_eq "f103 has no i2c: exit 2" "$?" 2
expect_eq "f103 has no i2c: one line" "$(wc -l <"$WORK/err")" 1
grep -q "no i2c" "$WORK/err" || fail "f103 i2c message: $(cat "$WORK/err")"
"$SIM" --device stm32f303xc --interface spi >/dev/null 2>"$WORK/err"
expect_eq "f303 has no spi: exit 2" "$?" 2
"$SIM" --device stm32f407xg --interface i2c >/dev/null 2>"$WORK/err"
expect_eq "f407 without known address: exit 2" "$?" 2
grep -q -- "--i2c-address" "$WORK/err" || fail "address message: $(cat "$WORK/err")"
"$SIM" --device stm32f411xe --interface can >/dev/null 2>&1
expect_eq "bad --interface: exit 2" "$?" 2
"$SIM" --device stm32f411xe --interface i2c --i2c-address 0x80 >/dev/null 2>&1
expect_eq "bad --i2c-address: exit 2" "$?" 2
"$SIM" --help | grep -- "--interface uart|i2c|spi" >/dev/null || fail "--help lacks --interface"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all passed"
