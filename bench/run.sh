#!/usr/bin/env bash
# stm32boot against stm32flash 0.7 on stm32boot-sim --speed realtime, plus the
# host-side Intel HEX parse measurement. See bench/README.md.
#
#   bench/run.sh [--quick] [--build DIR] [--reps N] [--only W1,W5,...]
#                [--out FILE] [--keep]
#
# Prints one Markdown table (and writes it to --out FILE when given).
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
REPS=3
ONLY=
QUICK=0
OUT=
KEEP=0
BAUD=115200
STM32FLASH=${STM32FLASH:-/usr/bin/stm32flash}
ALL_WORKLOADS="W0 W1 W2 W3 W3c W4 W5 W6"
QUICK_WORKLOADS="W2 W3c W5"

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
    --reps) REPS=$2; shift ;;
    --only) ONLY=${2//,/ }; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ "$QUICK" = 1 ] && REPS=1 && WORKLOADS=${ONLY:-$QUICK_WORKLOADS}
[ "$QUICK" = 1 ] || WORKLOADS=${ONLY:-$ALL_WORKLOADS}
case "$REPS" in ''|*[!0-9]*|0) die "--reps needs a positive number" ;; esac

BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
LIMIT=$BUILD/bin/bench_limit
HEXPARSE=$BUILD/bin/bench_hexparse
INTERPOSER=$BUILD/lib/libsiminterpose.so
for f in "$BOOT" "$SIM" "$LIMIT" "$HEXPARSE"; do
    [ -x "$f" ] || die "$f is not built (cmake --build $BUILD)"
done
[ -f "$INTERPOSER" ] || die "$INTERPOSER is not built (cmake --build $BUILD)"
[ -x "$STM32FLASH" ] || die "stm32flash not found at $STM32FLASH (apt-get install stm32flash)"
command -v jq >/dev/null || die "jq is required (apt-get install jq)"
[ -x /usr/bin/time ] || die "/usr/bin/time is required (apt-get install time)"

WORK=$(mktemp -d /tmp/stm32bench.XXXXXX) || die "mktemp failed"
SIM_PID=
cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what this stm32boot offers (issue #4 options appear over time) --------
BOOT_HELP=$("$BOOT" --help 2>&1)
boot_has() { grep -q -- "$1" <<<"$BOOT_HELP"; }
BOOT_VERIFY=(-v)
grep -qE -- '--verify(\[)?=' <<<"$BOOT_HELP" && BOOT_VERIFY=(--verify=auto)
BOOT_DIFF=()
boot_has '--diff' && BOOT_DIFF=(--diff)
# W1-W6 measure the ROM protocol (bench/stub.sh measures the RAM stub):
# keep stm32boot off the stub it would choose by default for large writes.
BOOT_ROM=()
boot_has '--no-stub' && BOOT_ROM=(--no-stub)

# ---- workloads ---------------------------------------------------------------
# Each workload: device, the image the chip holds before (or none), the input
# file, what the flash must hold afterwards, and the arguments of each tool.
FLASH_BASE=0x08000000
random_file() { head -c "$2" /dev/urandom >"$1"; }

random_file "$WORK/r64.bin" 65536
random_file "$WORK/r100.bin" 102400
cp "$WORK/r64.bin" "$WORK/r64-changed.bin"
random_file "$WORK/page.bin" 1024
dd if="$WORK/page.bin" of="$WORK/r64-changed.bin" bs=1024 seek=17 conv=notrunc status=none

declare -A DEVICE BEFORE INPUT EXPECT BOOT_ARGS FLASH_ARGS MODEL TITLE GOAL_PEER GOAL_LIMIT
define() { # define ID DEVICE BEFORE INPUT "MODEL ARGS" TITLE GOAL_PEER GOAL_LIMIT
    DEVICE[$1]=$2 BEFORE[$1]=$3 INPUT[$1]=$4 MODEL[$1]=$5 TITLE[$1]=$6
    GOAL_PEER[$1]=$7 GOAL_LIMIT[$1]=$8
}
define W0 stm32f103xb - - "read 0" \
    "(information) connect and identify only, F103xB" - -
define W1 stm32f103xb - "$WORK/r64.bin" "write $WORK/r64.bin" \
    "write + verify 64 KiB random, blank F103xB" 1.0 1.05
define W2 stm32f103xb - "$ROOT/bench/firmware-20k.bin" "write $ROOT/bench/firmware-20k.bin" \
    "write + verify 20 KiB firmware with 0xFF gaps, blank F103xB" 0.8 1.05
define W3 stm32f103xb "$WORK/r64.bin" "$WORK/r64.bin" "same $WORK/r64.bin" \
    "re-flash identical 64 KiB + verify, F103xB (no Get Checksum)" 0.5 1.05
define W3c stm32h563zi "$WORK/r64.bin" "$WORK/r64.bin" "same $WORK/r64.bin" \
    "re-flash identical 64 KiB + verify, H563 (Get Checksum)" 0.1 1.1
define W4 stm32f103xb "$WORK/r64.bin" "$WORK/r64-changed.bin" "update $WORK/r64.bin $WORK/r64-changed.bin" \
    "re-flash 64 KiB, one 1 KiB page changed, F103xB" 0.5 1.05
define W5 stm32f103xb "$WORK/r64.bin" - "read 131072" \
    "read 128 KiB to a file, F103xB" 1.0 1.05
define W6 stm32f407xg - "$WORK/r100.bin" "write $WORK/r100.bin" \
    "write + verify 100 KiB, blank F407xG (16/64/128 KiB sectors)" 0.5 1.1

tool_args() { # tool_args TOOL ID OUTFILE: the flasher's arguments (port last)
    local tool=$1 id=$2 out=$3
    local common=(-b "$BAUD")
    [ "$tool" = stm32boot ] && common+=("${BOOT_ROM[@]}")
    case "$id" in
    W0) echo "${common[@]}"; return ;;
    W5) echo "${common[@]} -S $FLASH_BASE:131072 -r $out"; return ;;
    esac
    case "$tool:$id" in
    stm32boot:W3|stm32boot:W3c|stm32boot:W4)
        echo "${common[@]} ${BOOT_DIFF[*]} ${BOOT_VERIFY[*]} -w ${INPUT[$id]}" ;;
    stm32boot:*) echo "${common[@]} ${BOOT_VERIFY[*]} -w ${INPUT[$id]}" ;;
    stm32flash:*) echo "${common[@]} -v -w ${INPUT[$id]}" ;;
    esac
}

# ---- the emulator ------------------------------------------------------------
prepare_image() { # prepare_image ID: the chip image before the timed run
    local id=$1 image=$WORK/before.$1.img
    [ "${BEFORE[$id]}" = - ] && return 0
    rm -f "$image"
    "$BOOT" --quiet -w "${BEFORE[$id]}" "sim:${DEVICE[$id]},image=$image" \
        >"$WORK/prepare.$id.log" 2>&1 || die "$id: could not prepare the chip ($(tail -1 "$WORK/prepare.$id.log"))"
}

wait_for() { # wait_for TEST-OP PATH
    local i
    for i in $(seq 1 200); do
        test "$1" "$2" && return 0
        kill -0 "$SIM_PID" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}

sim_start() { # sim_start ID
    local id=$1
    rm -f "$WORK/tty" "$WORK/ctl" "$WORK/stats.json" "$WORK/chip.img"
    [ "${BEFORE[$id]}" = - ] || cp "$WORK/before.$id.img" "$WORK/chip.img"
    "$SIM" --device "${DEVICE[$id]}" --speed realtime --link "$WORK/tty" \
        --control "$WORK/ctl" --image "$WORK/chip.img" --stats "$WORK/stats.json" \
        >"$WORK/sim.log" 2>&1 &
    SIM_PID=$!
    wait_for -e "$WORK/tty" && wait_for -S "$WORK/ctl" || die "emulator did not start: $(cat "$WORK/sim.log")"
}

sim_stop() {
    kill -TERM "$SIM_PID"
    wait "$SIM_PID" || die "emulator exited with status $? on SIGTERM"
    SIM_PID=
    [ -s "$WORK/stats.json" ] || die "emulator wrote no stats"
}

# The flash part of the emulator's image file (32-byte header, docs/architecture.md).
image_flash() { tail -c +33 "$1"; }

outcome_ok() { # outcome_ok ID OUTFILE: the run did what the workload asks
    local id=$1 out=$2
    if [ "$id" = W0 ]; then # identified the chip and changed nothing
        jq -e '.commands["0x02"] >= 1 and .program_operations == 0 and .page_erases == 0
               and .mass_erases == 0' "$WORK/stats.json" >/dev/null
    elif [ "$id" = W5 ]; then
        cmp -s -n 131072 "$out" <(image_flash "$WORK/chip.img")
    else
        local size
        size=$(stat -c %s "${INPUT[$id]}")
        cmp -s -n "$size" "${INPUT[$id]}" <(image_flash "$WORK/chip.img")
    fi
}

# ---- one timed run -------------------------------------------------------------
# Appends "ID TOOL SECONDS BYTES_IN BYTES_OUT" to results, or "ID TOOL n/a REASON".
RESULTS=$WORK/results
: >"$RESULTS"

run_once() { # run_once TOOL ID REP
    local tool=$1 id=$2 rep=$3 program out=$WORK/read.bin log=$WORK/$2.$1.$3.log
    [ "$tool" = stm32boot ] && program=$BOOT || program=$STM32FLASH
    rm -f "$out"
    sim_start "$id"
    local args start end status=0
    read -r -a args <<<"$(tool_args "$tool" "$id" "$out")"
    echo "\$ $tool ${args[*]} TTY" >"$log"
    start=$(date +%s%N)
    env LD_PRELOAD="$INTERPOSER" STM32BOOT_SIM_TTY="$WORK/tty" STM32BOOT_SIM_CONTROL="$WORK/ctl" \
        timeout 900 "$program" "${args[@]}" "$WORK/tty" >>"$log" 2>&1 || status=$?
    end=$(date +%s%N)
    sim_stop
    if [ "$status" -ne 0 ]; then
        local why
        why=$(grep -m1 -iE 'unknown|unsupported|error|fail' "$log" | tr -s ' \t' ' ' | cut -c1-80)
        say "$id $tool run $rep failed (exit $status): ${why:-see log}"
        echo "$id $tool n/a exit-$status: ${why:-failed}" >>"$RESULTS"
        [ "$KEEP" = 1 ] && cp "$WORK/stats.json" "$WORK/$id.$tool.$rep.stats.json"
        return 1
    fi
    outcome_ok "$id" "$out" || die "$id $tool run $rep: exit 0 but the result is wrong (log: $log)"
    local seconds bytes
    seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    bytes=$(jq -r '"\(.bytes_in) \(.bytes_out)"' "$WORK/stats.json")
    say "$id $tool run $rep: $seconds s (bytes in/out $bytes)"
    pacing_check "$id" "$tool" "$seconds" $bytes
    echo "$id $tool $seconds $bytes" >>"$RESULTS"
    [ "$KEEP" = 1 ] && cp "$WORK/stats.json" "$WORK/$id.$tool.$rep.stats.json"
    return 0
}

# A run cannot be shorter than its bytes at 11 bits each; if it is, the
# emulator paced the line faster than $BAUD and the figures are not comparable.
pacing_check() { # pacing_check ID TOOL SECONDS BYTES_IN BYTES_OUT
    awk -v s="$3" -v n=$(( $4 + $5 )) -v baud="$BAUD" 'BEGIN { exit !(s < 0.99 * n * 11 / baud) }' &&
        die "$1 $2: $3 s for $(( $4 + $5 )) bytes is faster than $BAUD baud; the emulator is not pacing at $BAUD"
    return 0
}

run_workload() { # run_workload ID
    local id=$1 tool rep
    prepare_image "$id"
    for tool in stm32boot stm32flash; do
        for rep in $(seq 1 "$REPS"); do
            # A tool that refuses the chip refuses it every time.
            run_once "$tool" "$id" "$rep" || break
        done
    done
}

# ---- the table --------------------------------------------------------------------
median() { # median ID TOOL FIELD: median of that field over successful runs
    awk -v id="$1" -v tool="$2" -v f="$3" '$1 == id && $2 == tool && $3 != "n/a" { print $f }' "$RESULTS" |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
goal() { # goal RATIO TARGET: "0.93 ≤ 1.0 met"
    if [ "$2" = - ]; then echo "$1"; else echo "$1 ≤ $2 $(verdict "$1" "$2")"; fi
}
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { if (r == "n/a") print "n/a"; else if (r <= g) print "met"; else print "MISSED" }'; }

print_table() {
    echo "| id | workload | stm32boot s | stm32flash s | boot/flash (target) | limit s | boot/limit (target) | wire bytes boot / flash / limit |"
    echo "|---|---|---|---|---|---|---|---|"
    local id
    for id in $WORKLOADS; do
        local boot flash limit limit_bytes r1 r2 bb fb
        boot=$(median "$id" stm32boot 3)
        flash=$(median "$id" stm32flash 3)
        read -r limit limit_bytes _ <<<"$("$LIMIT" "${DEVICE[$id]}" "$BAUD" ${MODEL[$id]})"
        r1=$(ratio "$boot" "$flash")
        r2=$(ratio "$boot" "$limit")
        bb=$(awk -v id="$id" '$1 == id && $2 == "stm32boot" && $3 != "n/a" { print $4 + $5; exit }' "$RESULTS")
        fb=$(awk -v id="$id" '$1 == id && $2 == "stm32flash" && $3 != "n/a" { print $4 + $5; exit }' "$RESULTS")
        if [ "$flash" = n/a ]; then
            flash="n/a ($(awk -v id="$id" '$1 == id && $2 == "stm32flash" && $3 == "n/a" { $1 = $2 = $3 = ""; sub(/^ +/, ""); print; exit }' "$RESULTS"))"
        fi
        echo "| $id | ${TITLE[$id]} | $boot | $flash | $(goal "$r1" "${GOAL_PEER[$id]}") | $limit | $(goal "$r2" "${GOAL_LIMIT[$id]}") | ${bb:-n/a} / ${fb:-n/a} / $limit_bytes |"
    done
}

# ---- host side: Intel HEX parsing -------------------------------------------------
hex_parse() {
    local hex=$WORK/big.hex mib=16 line kib_peak
    "$HEXPARSE" gen "$hex" "$mib" || die "could not generate $hex"
    line=$(/usr/bin/time -v -o "$WORK/time.txt" "$HEXPARSE" parse "$hex") || die "hex parse failed"
    kib_peak=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$WORK/time.txt")
    local text image seconds rate bound
    read -r text image seconds rate <<<"$line"
    bound=$(( (2 * image + 1048576) / 1024 ))
    echo
    echo "| host: parse a $mib MiB Intel HEX | result | target |"
    echo "|---|---|---|"
    echo "| text / image bytes | $text / $image | |"
    echo "| stm32_format_load time | $seconds s | |"
    echo "| throughput (10^6 bytes of text per s) | $rate MB/s | ≥ 200 $(awk -v r="$rate" 'BEGIN { print (r >= 200 ? "met" : "MISSED") }') |"
    echo "| peak RSS (/usr/bin/time -v) | $kib_peak KiB | ≤ $bound KiB (2 × image + 1 MiB) $( [ "$kib_peak" -le "$bound" ] && echo met || echo MISSED) |"
}

# ---- main -------------------------------------------------------------------------
say "stm32boot options in use: verify '${BOOT_VERIFY[*]}', re-flash '${BOOT_DIFF[*]:-(no --diff)}'"
say "workloads: $WORKLOADS; $REPS run(s) each"
for id in $WORKLOADS; do
    [ -n "${DEVICE[$id]:-}" ] || die "unknown workload $id"
    run_workload "$id"
done
{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); baud $BAUD; $REPS run(s) per tool and workload (median)."
    echo "$("$BOOT" --version 2>&1 | head -1) (options: ${BOOT_VERIFY[*]} ${BOOT_DIFF[*]}); stm32flash $(dpkg-query -W -f '${Version}' stm32flash 2>/dev/null || echo '(version unknown)')."
    echo
    print_table
    hex_parse
} | tee "$WORK/table.md"
[ -z "$OUT" ] || cp "$WORK/table.md" "$OUT"
