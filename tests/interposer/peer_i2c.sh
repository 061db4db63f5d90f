#!/bin/bash
# stm32flash 0.7's I2C mode against stm32boot-sim --interface i2c, through
# the interposer (the emulated /dev/i2c-N node is the emulator's bus socket).
#   peer_i2c.sh SIM INTERPOSER DEVICE CASE      CASE: info | write_read
# Same checks as tests/peer/run_case.sh on UART. Exit 0 pass, 1 fail, 77 skip
# (only when stm32flash is absent outside CI).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../peer/lib.sh"

[ $# -eq 4 ] || { echo "usage: $0 SIM INTERPOSER DEVICE CASE" >&2; exit 2; }
CASE=$4
peer_init "$1" "$2" interposer "$3"
BUS=$WORK/bus
NODE=/dev/i2c-sim-peer

device_fact() { # device_fact PID|ADDRESS
    case "$DEVICE:$1" in
    stm32f411xe:pid) echo 0x0431 ;;
    stm32f411xe:address) echo 0x39 ;;
    stm32g071rb:pid) echo 0x0460 ;;
    stm32g071rb:address) echo 0x51 ;;
    *) fail "no $1 known for $DEVICE" ;;
    esac
}

# Replaces lib.sh's pty session: the emulator listens on a bus socket.
sim_start() {
    [ -z "$SIM_PID" ] || fail "emulator already running"
    rm -f "$BUS" "$STATS"
    local session=$((FLASH_RUNS + 1))
    "$SIM" --device "$DEVICE" --interface i2c --link "$BUS" --image "$IMAGE" --stats "$STATS" \
        --speed fast "$@" >"$WORK/sim.$session.out" 2>"$WORK/sim.$session.err" &
    SIM_PID=$!
    wait_for -S "$BUS" || fail "emulator did not create its bus socket $BUS"
}

# Replaces lib.sh's flash: stm32flash -a ADDRESS on the emulated i2c-dev node.
flash() {
    FLASH_RUNS=$((FLASH_RUNS + 1))
    FLASH_LOG=$WORK/flash.$FLASH_RUNS.log
    echo "\$ stm32flash -a $(device_fact address) $*" >"$FLASH_LOG"
    FLASH_STATUS=0
    LD_PRELOAD=$INTERPOSER STM32BOOT_SIM_I2C=$NODE STM32BOOT_SIM_BUS=$BUS \
        timeout 300 "$PEER_STM32FLASH" -a "$(device_fact address)" "$@" "$NODE" \
        >>"$FLASH_LOG" 2>&1 || FLASH_STATUS=$?
}

case_info() {
    sim_start
    flash_ok
    log_has "Interface i2c: addr $(device_fact address)"
    log_has "Device ID    : $(device_fact pid)"
    sim_stop
    stat_is '.device' "\"$DEVICE\""
    stat_is '.commands["0x02"]' 1
    stat_is '.state' '"bootloader"'
}

case_write_read() {
    local flash_size
    random_file "$WORK/app.bin" 65536
    case "$DEVICE" in
    stm32g0*)
        # A G0 with its factory options boots a programmed flash whatever
        # BOOT0 says (RM0444: nBOOT_SEL = 1, nBOOT0 = 1); its empty check
        # looks at the first word only, so an erased first word keeps the
        # next power-on in the bootloader for the read back.
        printf '\377\377\377\377' | dd of="$WORK/app.bin" conv=notrunc status=none ;;
    esac
    sim_start
    flash_ok -w "$WORK/app.bin" -v
    log_has "Wrote and verified address 0x08010000 (100.00%)"
    sim_stop
    stat_is '.bytes_programmed' 65536

    extract_flash "$WORK/flash.bin"
    flash_size=$(image_flash_size)
    same_bytes "$WORK/app.bin" "$WORK/flash.bin" 65536
    erased_file "$WORK/blank.bin" $((flash_size - 65536))
    same_bytes "$WORK/blank.bin" "$WORK/flash.bin" $((flash_size - 65536)) 0 65536

    sim_start
    flash_ok -r "$WORK/read.bin" -S 0x08000000:65536
    sim_stop
    [ "$(stat -c %s "$WORK/read.bin")" = 65536 ] || fail "read back $(stat -c %s "$WORK/read.bin") bytes, not 65536"
    same_bytes "$WORK/app.bin" "$WORK/read.bin"
    stat_is '.page_erases + .mass_erases + .bytes_programmed' 0
}

case "$CASE" in
info) case_info ;;
write_read) case_write_read ;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS: $DEVICE $CASE over I2C"
