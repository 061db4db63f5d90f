#!/usr/bin/env bash
# stm32boot against st-flash and openocd through the emulated ST-LINK/V2
# (stm32boot-sim --interface stlink --speed realtime): write + verify a
# random file to a blank chip. See bench/README.md.
#
#   bench/stlink.sh [--build DIR] [--reps N] [--only S1,S2] [--tools LIST] [--out FILE] [--keep]
#
# --tools: some of stm32boot,st-flash,openocd (default all three).
#
# Prints one Markdown table (and writes it to --out FILE when given).
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
REPS=3
OUT=
KEEP=0
WORKLOADS="S1 S2"
TOOLS="stm32boot st-flash openocd"
BASE=0x08000000
OPENOCD_PORTS=(-c "gdb_port disabled" -c "tcl_port disabled" -c "telnet_port disabled")

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
    --reps) REPS=$2; shift ;;
    --only) WORKLOADS=${2//,/ }; shift ;;
    --tools) TOOLS=${2//,/ }; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
case "$REPS" in ''|*[!0-9]*|0) die "--reps needs a positive number" ;; esac

BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
LIMIT=$BUILD/bin/bench_limit_swd
for f in "$BOOT" "$SIM" "$LIMIT"; do
    [ -x "$f" ] || die "$f is not built (cmake --build $BUILD)"
done
ST_FLASH=$(command -v st-flash) || die "st-flash is required (apt-get install stlink-tools)"
OPENOCD=$(command -v openocd) || die "openocd is required (apt-get install openocd)"
command -v jq >/dev/null || die "jq is required (apt-get install jq)"
"$SIM" --help 2>&1 | grep -- '--interface stlink' >/dev/null || die "this stm32boot-sim has no --interface stlink"

WORK=$(mktemp -d /tmp/stm32bench-stlink.XXXXXX) || die "mktemp failed"
cleanup() { if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A DEVICE=([S1]=stm32f103x8 [S2]=stm32f407xg)
declare -A SIZE=([S1]=65536 [S2]=524288)
declare -A TARGET_CFG=([S1]=target/stm32f1x.cfg [S2]=target/stm32f4x.cfg)
declare -A TITLE=([S1]="write + verify 64 KiB random, blank F103x8"
                  [S2]="write + verify 512 KiB random, blank F407xG")

# The timed part runs inside the emulator's --run: only the tool's commands
# are timed, not the testbed's set-up. timed.sh writes nanoseconds to $1.
cat >"$WORK/timed.sh" <<'SCRIPT'
#!/usr/bin/env bash
out=$1; shift
start=$(date +%s%N)
"$@"; status=$?
end=$(date +%s%N)
echo $((end - start)) >"$out"
exit $status
SCRIPT
chmod +x "$WORK/timed.sh"

RESULTS=$WORK/results
: >"$RESULTS"

run_once() { # run_once ID TOOL REP
    local id=$1 tool=$2 rep=$3 log=$WORK/$1.$2.$3.log cmd
    local fw=$WORK/$id.bin size=${SIZE[$id]}
    rm -f "$WORK/chip.img" "$WORK/stats.json" "$WORK/ns"
    case "$tool" in
    stm32boot) cmd=("$BOOT" -v -w "$fw" stlink:) ;;
    # st-flash verifies by reading back (its "jolly good!").
    st-flash) cmd=("$ST_FLASH" write "$fw" "$BASE") ;;
    openocd) cmd=("$OPENOCD" "${OPENOCD_PORTS[@]}" -f interface/stlink.cfg -f "${TARGET_CFG[$id]}"
                  -c "program $fw $BASE verify exit") ;;
    esac
    local status=0
    timeout 900 "$SIM" --device "${DEVICE[$id]}" --interface stlink --speed realtime \
        --image "$WORK/chip.img" --stats "$WORK/stats.json" \
        --run -- "$WORK/timed.sh" "$WORK/ns" "${cmd[@]}" >"$log" 2>&1 </dev/null || status=$?
    if [ "$status" -ne 0 ]; then
        # A peer that fails is a result too (the table says so); stm32boot must not.
        [ "$tool" != stm32boot ] || die "$id $tool run $rep failed (exit $status, log $log): $(tail -2 "$log")"
        say "$id $tool run $rep FAILED (exit $status): $(tail -1 "$log")"
        echo "$id $tool failed 0 0" >>"$RESULTS"
        return 0
    fi
    cmp -s -n "$size" <(tail -c +33 "$WORK/chip.img") "$fw" ||
        die "$id $tool run $rep: exit 0 but the flash is wrong"
    local seconds counts behind
    seconds=$(awk -v ns="$(cat "$WORK/ns")" 'BEGIN { printf "%.3f", ns / 1e9 }')
    counts=$(jq -r '"\(.stlink.memory_written_bytes) \(.stlink.memory_read_bytes)"' "$WORK/stats.json")
    # How far the emulated core fell behind the wall clock: a run where it
    # did (more than a few ms) measured the emulator, not the tool.
    behind=$(jq -r '"\(.core.behind_wall_ms_max // "?") \(.core.spin_skips // "?")"' "$WORK/stats.json")
    say "$id $tool run $rep: $seconds s (SWD bytes written / read: $counts; core behind the wall at most / polling loops skipped: $behind; load $(cut -d' ' -f1 /proc/loadavg))"
    echo "$id $tool $seconds $counts $behind" >>"$RESULTS"
    [ "$KEEP" = 1 ] && cp "$WORK/stats.json" "$WORK/$id.$tool.$rep.stats.json"
    return 0
}

median() { # median ID TOOL ("failed" when any run failed)
    if awk -v id="$1" -v tool="$2" '$1 == id && $2 == tool && $3 == "failed" { f = 1 } END { exit !f }' "$RESULTS"; then
        echo failed
        return
    fi
    awk -v id="$1" -v tool="$2" '$1 == id && $2 == tool { print $3 }' "$RESULTS" |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
traffic() { awk -v id="$1" -v tool="$2" '$1 == id && $2 == tool { printf "%d/%d", $4 / 1024, $5 / 1024; exit }' "$RESULTS"; }
behind() { awk -v id="$1" -v tool="$2" '$1 == id && $2 == tool && $6 + 0 > m { m = $6 + 0 } END { printf "%.1f", m }' "$RESULTS"; }

for id in $WORKLOADS; do
    case "$id" in S1|S2) ;; *) die "unknown workload $id (S1, S2)" ;; esac
    head -c "${SIZE[$id]}" /dev/urandom >"$WORK/$id.bin"
    for tool in $TOOLS; do
        case "$tool" in stm32boot|st-flash|openocd) ;; *) die "unknown tool $tool" ;; esac
        for rep in $(seq 1 "$REPS"); do run_once "$id" "$tool" "$rep"; done
    done
done

{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); stm32boot-sim --interface stlink (V2, 1.8 MHz SWD) --speed realtime; $REPS run(s) per tool and workload (median)."
    echo "$("$BOOT" --version 2>&1 | head -1); $("$ST_FLASH" --version 2>&1 | head -1); $("$OPENOCD" --version 2>&1 | head -1)."
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| id | workload | stm32boot s | st-flash s | openocd s | boot/st-flash | boot/openocd | limit s | boot/limit | KiB over SWD written/read: boot; st-flash; openocd | core behind the wall, ms at most: boot; st-flash; openocd |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for id in $WORKLOADS; do
        boot=$(median "$id" stm32boot)
        stf=$(median "$id" st-flash)
        ocd=$(median "$id" openocd)
        read -r limit _ <<<"$("$LIMIT" "${DEVICE[$id]}" "$WORK/$id.bin")"
        echo "| $id | ${TITLE[$id]} | $boot | $stf | $ocd | $(ratio "$boot" "$stf") | $(ratio "$boot" "$ocd") | $limit | $(ratio "$boot" "$limit") | $(traffic "$id" stm32boot); $(traffic "$id" st-flash); $(traffic "$id" openocd) | $(behind "$id" stm32boot); $(behind "$id" st-flash); $(behind "$id" openocd) |"
    done
} | tee "$WORK/table.md"
[ -z "$OUT" ] || cp "$WORK/table.md" "$OUT"
