#!/bin/bash
# stm32flash 0.7's I2C mode reaches the bus through the interposer:
#   stm32flash_i2c_fake.sh FAKE_BUS_SERVER INTERPOSER
# The fake device only echoes, so stm32flash fails at the protocol level; what
# is checked is that it opened the emulated node, selected the address given
# with -a, and its first frames arrived as whole transactions. Exit 0 pass,
# 1 fail, 77 skip (stm32flash absent, outside CI only).
set -u
[ $# -eq 2 ] || { echo "usage: $0 FAKE_BUS_SERVER INTERPOSER" >&2; exit 2; }
FAKE=$1 INTERPOSER=$2
STM32FLASH=${STM32FLASH:-/usr/bin/stm32flash}
NODE=/dev/i2c-sim-fake
FAKE_PID=

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log "$WORK"/bus.txt; do [ -s "$f" ] && { echo "==== $f" >&2; cat "$f" >&2; }; done
    exit 1
}

if [ ! -x "$STM32FLASH" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: $STM32FLASH missing on CI" >&2; exit 1; }
    echo "SKIP: $STM32FLASH is not installed (apt-get install stm32flash)"
    exit 77
fi
[ -x "$FAKE" ] || { echo "FAIL: fake bus server not built: $FAKE" >&2; exit 1; }
[ -f "$INTERPOSER" ] || { echo "FAIL: interposer not built: $INTERPOSER" >&2; exit 1; }

WORK=$(mktemp -d /tmp/stm32i2cfake.XXXXXX) || exit 1
cleanup() {
    [ -n "$FAKE_PID" ] && kill -TERM "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# fake_start ADDRESS: a fresh fake whose I2C device answers at ADDRESS.
fake_start() {
    rm -f "$WORK/bus" "$WORK/bus.txt"
    "$FAKE" "$WORK/bus" "$WORK/bus.txt" "$1" &
    FAKE_PID=$!
    local try
    for try in $(seq 1 200); do
        [ -S "$WORK/bus" ] && return 0
        kill -0 "$FAKE_PID" 2>/dev/null || fail "fake bus server exited"
        sleep 0.05
    done
    fail "fake bus server did not create its socket"
}

fake_stop() {
    kill -TERM "$FAKE_PID"
    wait "$FAKE_PID"
    FAKE_PID=
}

# run_stm32flash LOG ARGS...: stm32flash on the emulated node; must fail.
run_stm32flash() {
    local log=$1
    shift
    local status=0
    LD_PRELOAD=$INTERPOSER STM32BOOT_SIM_I2C=$NODE STM32BOOT_SIM_BUS=$WORK/bus \
        timeout 60 "$STM32FLASH" "$@" "$NODE" >"$log" 2>&1 || status=$?
    [ "$status" -ne 0 ] || fail "stm32flash $* succeeded against a device that only echoes"
    [ "$status" -ne 124 ] || fail "stm32flash $* hung"
}

bus_line() { # bus_line N: the Nth request the fake saw
    sed -n "$1p" "$WORK/bus.txt"
}

# The device at the address stm32flash was given: its first command (Get
# Version, 0x01 0xFE) is one write transaction, then a one-byte read for the
# ACK, which the echo (0x01) is not.
fake_start 0x39
run_stm32flash "$WORK/acked.log" -a 0x39
fake_stop
grep -qF "Interface i2c: addr 0x39" "$WORK/acked.log" || fail "stm32flash did not choose its i2c interface"
[ "$(bus_line 1)" = "W 0x39 2 01fe" ] || fail "first transaction is '$(bus_line 1)', not the Get Version frame"
[ "$(bus_line 2)" = "R 0x39 1" ] || fail "second transaction is '$(bus_line 2)', not a one-byte ACK read"
grep -qF "Got byte 0x01 instead of ACK" "$WORK/acked.log" || fail "stm32flash did not see the echoed byte"

# -a reaches I2C_SLAVE: at an address nobody answers, the write is not
# acknowledged and nothing else is attempted on the bus after it.
fake_start 0x39
run_stm32flash "$WORK/nacked.log" -a 0x42
fake_stop
[ "$(bus_line 1)" = "W 0x42 2 nack" ] || fail "first transaction is '$(bus_line 1)', expected an unacknowledged write to 0x42"
! grep -q "0x39" "$WORK/bus.txt" || fail "something reached address 0x39"
echo "PASS"
