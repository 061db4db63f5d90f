#!/usr/bin/env bash
# stm32boot against dfu-util on the emulated F407's USB DFU bootloader
# (stm32boot-sim --interface dfu --speed realtime). See bench/README.md.
#
#   bench/dfu.sh [--build DIR] [--reps N] [--only D1,D2] [--out FILE] [--keep]
#
# Prints one Markdown table (and writes it to --out FILE when given).
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
REPS=3
OUT=
KEEP=0
WORKLOADS="D1 D2"
DEVICE=stm32f407xg
SIZE=1048576
BASE=0x08000000

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD=$(cd "$2" && pwd) || die "no build directory $2"; shift ;;
    --reps) REPS=$2; shift ;;
    --only) WORKLOADS=${2//,/ }; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
case "$REPS" in ''|*[!0-9]*|0) die "--reps needs a positive number" ;; esac

BOOT=$BUILD/bin/stm32boot
SIM=$BUILD/bin/stm32boot-sim
LIMIT=$BUILD/bin/bench_limit_dfu
for f in "$BOOT" "$SIM" "$LIMIT"; do
    [ -x "$f" ] || die "$f is not built (cmake --build $BUILD)"
done
DFU_UTIL=$(command -v dfu-util) || die "dfu-util is required (apt-get install dfu-util)"
command -v jq >/dev/null || die "jq is required (apt-get install jq)"
# (not a pipe into grep -q: with pipefail, its early exit can fail the help's write)
SIM_HELP=$("$SIM" --help 2>&1)
grep -q -- '--interface' <<<"$SIM_HELP" || die "this stm32boot-sim has no --interface dfu"

WORK=$(mktemp -d /tmp/stm32bench-dfu.XXXXXX) || die "mktemp failed"
cleanup() { if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c "$SIZE" /dev/urandom >"$WORK/fw.bin"
# The read workload's chip: fw.bin in flash, written at fast speed.
"$SIM" --device "$DEVICE" --interface dfu --image "$WORK/full.img" --run -- \
    "$BOOT" --quiet -w "$WORK/fw.bin" dfu: >"$WORK/prepare.log" 2>&1 ||
    die "could not prepare the chip ($(tail -1 "$WORK/prepare.log"))"

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
# dfu-util has no verify: write, then read back (compared afterwards).
cat >"$WORK/dfu-util-wv.sh" <<SCRIPT
#!/usr/bin/env bash
"$DFU_UTIL" -a 0 -s $BASE -D "$WORK/fw.bin" || exit \$?
rm -f "$WORK/back.bin"
"$DFU_UTIL" -a 0 -s $BASE:$SIZE -U "$WORK/back.bin"
SCRIPT
chmod +x "$WORK/timed.sh" "$WORK/dfu-util-wv.sh"

RESULTS=$WORK/results
: >"$RESULTS"

run_once() { # run_once ID TOOL REP
    local id=$1 tool=$2 rep=$3 log=$WORK/$1.$2.$3.log cmd
    rm -f "$WORK/chip.img" "$WORK/stats.json" "$WORK/read.bin" "$WORK/back.bin" "$WORK/ns"
    [ "$id" = D2 ] && cp "$WORK/full.img" "$WORK/chip.img"
    case "$id:$tool" in
    D1:stm32boot) cmd=("$BOOT" -v -w "$WORK/fw.bin" dfu:) ;;
    D1:dfu-util) cmd=("$WORK/dfu-util-wv.sh") ;;
    D2:stm32boot) cmd=("$BOOT" -S "$BASE:$SIZE" -r "$WORK/read.bin" dfu:) ;;
    D2:dfu-util) cmd=("$DFU_UTIL" -a 0 -s "$BASE:$SIZE" -U "$WORK/read.bin") ;;
    esac
    local status=0
    timeout 900 "$SIM" --device "$DEVICE" --interface dfu --speed realtime --image "$WORK/chip.img" \
        --stats "$WORK/stats.json" --run -- "$WORK/timed.sh" "$WORK/ns" "${cmd[@]}" \
        >"$log" 2>&1 </dev/null || status=$?
    [ "$status" -eq 0 ] || die "$id $tool run $rep failed (exit $status, log $log): $(tail -2 "$log")"
    # The result must be right: flash = fw.bin (D1), the file read = flash (D2 / dfu-util's -U).
    # (not a pipe: cmp stops after SIZE bytes and tail's SIGPIPE would fail it)
    cmp -s -n "$SIZE" <(tail -c +33 "$WORK/chip.img") "$WORK/fw.bin" ||
        die "$id $tool run $rep: exit 0 but the flash is wrong"
    [ "$id:$tool" != D1:dfu-util ] || cmp -s "$WORK/back.bin" "$WORK/fw.bin" ||
        die "$id $tool run $rep: the read-back differs"
    [ "$id" != D2 ] || cmp -s "$WORK/read.bin" "$WORK/fw.bin" || die "$id $tool run $rep: the file read differs"
    local seconds bytes
    seconds=$(awk -v ns="$(cat "$WORK/ns")" 'BEGIN { printf "%.3f", ns / 1e9 }')
    bytes=$(jq -r '"\(.dfu.download_bytes) \(.dfu.upload_bytes) \(.mass_erases) \(.page_erases)"' "$WORK/stats.json")
    say "$id $tool run $rep: $seconds s (download/upload bytes, mass/sector erases: $bytes)"
    echo "$id $tool $seconds $bytes" >>"$RESULTS"
    [ "$KEEP" = 1 ] && cp "$WORK/stats.json" "$WORK/$id.$tool.$rep.stats.json"
    return 0
}

median() { # median ID TOOL
    awk -v id="$1" -v tool="$2" '$1 == id && $2 == tool { print $3 }' "$RESULTS" |
        sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
erases() { awk -v id="$1" -v tool="$2" '$1 == id && $2 == tool { print $6 " mass / " $7 " sectors"; exit }' "$RESULTS"; }

for id in $WORKLOADS; do
    case "$id" in D1|D2) ;; *) die "unknown workload $id (D1, D2)" ;; esac
    for tool in stm32boot dfu-util; do
        for rep in $(seq 1 "$REPS"); do run_once "$id" "$tool" "$rep"; done
    done
done

declare -A TITLE=([D1]="write + verify 1 MiB random, blank F407xG (dfu-util: -D, then -U and compare)"
                  [D2]="read 1 MiB, F407xG")
{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); stm32boot-sim --interface dfu --speed realtime; $REPS run(s) per tool and workload (median)."
    echo "$("$BOOT" --version 2>&1 | head -1); $("$DFU_UTIL" --version 2>&1 | head -1)."
    echo
    echo "| id | workload | stm32boot s | dfu-util s | boot/dfu-util | limit s | boot/limit | erases boot / dfu-util |"
    echo "|---|---|---|---|---|---|---|---|"
    for id in $WORKLOADS; do
        boot=$(median "$id" stm32boot)
        peer=$(median "$id" dfu-util)
        if [ "$id" = D1 ]; then model=(write "$WORK/fw.bin"); else model=(read "$SIZE"); fi
        read -r limit _ <<<"$("$LIMIT" "$DEVICE" "${model[@]}")"
        echo "| $id | ${TITLE[$id]} | $boot | $peer | $(ratio "$boot" "$peer") | $limit | $(ratio "$boot" "$limit") | $(erases "$id" stm32boot) ; $(erases "$id" dfu-util) |"
    done
} | tee "$WORK/table.md"
[ -z "$OUT" ] || cp "$WORK/table.md" "$OUT"
