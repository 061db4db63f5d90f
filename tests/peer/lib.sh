# Helpers for the stm32flash-against-emulator tests (sourced by run_case.sh).
# Every helper that checks something calls `fail` with a reason; nothing here
# asserts on elapsed time.

PEER_STM32FLASH=${STM32FLASH:-/usr/bin/stm32flash}
FLASH_RUNS=0
SIM_PID=

fail() {
    echo "FAIL: $*" >&2
    dump_logs
    exit 1
}

note() {
    echo "-- $*"
}

dump_logs() {
    [ -n "${WORK:-}" ] || return 0
    local log
    for log in "$WORK"/flash.*.log "$WORK"/sim.*.err; do
        [ -s "$log" ] || continue
        echo "==== $log" >&2
        tail -n 40 "$log" >&2
    done
}

cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    [ -n "${WORK:-}" ] && [ -z "${PEER_KEEP:-}" ] && rm -rf "$WORK"
}

# A skip is only honest where stm32flash genuinely cannot be installed; CI
# installs it, so there a missing binary is a failure.
require_tools() {
    local tool_package tool
    for tool_package in jq:jq socat:socat cmp:diffutils dd:coreutils od:coreutils; do
        tool=${tool_package%%:*}
        command -v "$tool" >/dev/null || fail "$tool is required (Debian package ${tool_package#*:})"
    done
    if [ ! -x "$PEER_STM32FLASH" ]; then
        [ "${CI:-}" = true ] && fail "$PEER_STM32FLASH missing on CI (apt-get install stm32flash)"
        echo "SKIP: $PEER_STM32FLASH is not installed (apt-get install stm32flash)"
        exit 77
    fi
}

# peer_init SIM INTERPOSER MODE DEVICE
peer_init() {
    SIM=$1 INTERPOSER=$2 MODE=$3 DEVICE=$4
    case "$MODE" in direct|interposer) ;; *) fail "mode must be direct or interposer, not $MODE" ;; esac
    [ -x "$SIM" ] || fail "emulator not built: $SIM"
    [ "$MODE" = direct ] || [ -f "$INTERPOSER" ] || fail "interposer not built: $INTERPOSER"
    require_tools
    WORK=$(mktemp -d /tmp/stm32peer.XXXXXX) || fail "mktemp"
    trap cleanup EXIT
    TTY=$WORK/tty
    CONTROL=$WORK/control
    IMAGE=$WORK/chip.img
    STATS=$WORK/stats.json
}

wait_for() { # wait_for TEST-OP PATH: the emulator creates it once ready
    local tries
    for tries in $(seq 1 200); do
        test "$1" "$2" && return 0
        kill -0 "$SIM_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# sim_start [extra emulator options]: one emulator session on $IMAGE with
# fresh stats. In interposer mode it always has a control socket.
sim_start() {
    [ -z "$SIM_PID" ] || fail "emulator already running"
    rm -f "$TTY" "$CONTROL" "$STATS"
    local control=()
    [ "$MODE" = interposer ] && control=(--control "$CONTROL")
    local session=$((FLASH_RUNS + 1))
    "$SIM" --device "$DEVICE" --link "$TTY" --image "$IMAGE" --stats "$STATS" \
        --speed fast "${control[@]}" "$@" >"$WORK/sim.$session.out" 2>"$WORK/sim.$session.err" &
    SIM_PID=$!
    wait_for -e "$TTY" || fail "emulator did not create $TTY"
    if [ "$MODE" = interposer ]; then
        wait_for -S "$CONTROL" || fail "emulator did not create $CONTROL"
    fi
}

sim_stop() {
    [ -n "$SIM_PID" ] || fail "no emulator running"
    kill -TERM "$SIM_PID"
    local status=0
    wait "$SIM_PID" || status=$?
    SIM_PID=
    [ -s "$STATS" ] || fail "emulator wrote no stats file (exit status $status)"
    jq -e . "$STATS" >/dev/null || fail "stats file is not JSON"
    [ "$status" -eq 0 ] || fail "emulator exited with status $status on SIGTERM"
}

sim_query_state() {
    printf 'STATE\n' | socat -t 5 - "UNIX-CONNECT:$CONTROL"
}

# wait_state NAME: the chip reaches that state within 10 s (a program that
# resets itself does so in emulated time, which a loaded machine stretches).
wait_state() {
    local tries
    for tries in $(seq 1 200); do
        [ "$(sim_query_state)" = "STATE $1" ] && return 0
        sleep 0.05
    done
    fail "the chip did not reach '$1' (it is '$(sim_query_state)')"
}

# flash [stm32flash options]: runs stm32flash on the emulator's port. Direct
# mode frames 8N1 (see run_case.sh); interposer mode keeps the default 8E1.
# Sets FLASH_STATUS and FLASH_LOG.
flash() {
    FLASH_RUNS=$((FLASH_RUNS + 1))
    FLASH_LOG=$WORK/flash.$FLASH_RUNS.log
    echo "\$ stm32flash $*" >"$FLASH_LOG"
    FLASH_STATUS=0
    if [ "$MODE" = interposer ]; then
        LD_PRELOAD=$INTERPOSER STM32BOOT_SIM_TTY=$TTY STM32BOOT_SIM_CONTROL=$CONTROL \
            timeout 300 "$PEER_STM32FLASH" "$@" "$TTY" >>"$FLASH_LOG" 2>&1 || FLASH_STATUS=$?
    else
        timeout 300 "$PEER_STM32FLASH" -m 8n1 "$@" "$TTY" >>"$FLASH_LOG" 2>&1 || FLASH_STATUS=$?
    fi
}

flash_ok() {
    flash "$@"
    [ "$FLASH_STATUS" -eq 0 ] || fail "stm32flash $* exited with $FLASH_STATUS"
}

log_has() { # log_has TEXT: fixed-string match in the last stm32flash output
    grep -qF -- "$1" "$FLASH_LOG" || fail "stm32flash output lacks '$1'"
}

stat_is() { # stat_is JQ-EXPR EXPECTED
    local actual
    actual=$(jq -c "$1" "$STATS") || fail "jq $1 failed"
    [ "$actual" = "$2" ] || fail "stats $1 is $actual, expected $2"
}

# Header fields of the emulator's image file (docs/architecture.md).
image_u32() { # image_u32 OFFSET
    od -An -tu4 -j "$1" -N 4 --endian=little "$IMAGE" | tr -d ' '
}

image_flash_size() {
    image_u32 12
}

image_option_bytes() { # image_option_bytes OFFSET COUNT: hex, no spaces
    local flash_size option_size
    flash_size=$(image_flash_size)
    option_size=$(image_u32 16)
    [ $(($1 + $2)) -le "$option_size" ] || fail "image has only $option_size option bytes"
    od -An -tx1 -v -j $((32 + flash_size + $1)) -N "$2" "$IMAGE" | tr -d ' \n'
}

extract_flash() { # extract_flash OUT: the flash region of $IMAGE
    [ "$(head -c 8 "$IMAGE")" = STM32SIM ] || fail "image file has no STM32SIM magic"
    [ "$(image_u32 8)" = 1 ] || fail "image file format version is not 1"
    dd if="$IMAGE" of="$1" bs=4096 iflag=skip_bytes,count_bytes skip=32 \
        count="$(image_flash_size)" status=none || fail "dd failed"
}

erased_file() { # erased_file OUT SIZE
    head -c "$2" /dev/zero | tr '\0' '\377' >"$1"
}

random_file() { # random_file OUT SIZE
    head -c "$2" /dev/urandom >"$1"
}

same_bytes() { # same_bytes A B [COUNT [SKIP_A SKIP_B]]: cmp, as a check
    local limit=()
    [ $# -ge 3 ] && limit=(-n "$3")
    cmp "${limit[@]}" "$1" "$2" "${4:-0}" "${5:-0}" >/dev/null \
        || fail "$1 and $2 differ${3:+ in ${3} bytes at ${4:-0}/${5:-0}}"
}
