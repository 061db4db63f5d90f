#!/usr/bin/env bash
# Fault campaign: write+verify cycles against the emulator with seeded
# faults. Every run must end in a verified success (exit 0 and the emulated
# flash equal to the image) or in a non-zero exit with an error message.
#
# usage: campaign.sh NAME FIRST_SEED LAST_SEED SIZE SPEC [MIN_SUCCESSES]
# MIN_SUCCESSES (default 0) is the least number of runs that must succeed:
# recovery, not just refusal, is what the faults at these rates test.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

name=$1 first=$2 last=$3 size=$4 spec=$5 min_ok=${6:-0}
faults_init
ok=0 failed=0
for seed in $(seq "$first" "$last"); do
	firmware=$WORK/fw.$seed.bin
	img=$WORK/chip.$seed.img
	make_firmware "$firmware" "$size" "$seed"
	write_run "$firmware" "$seed" "$spec" "$img"
	check_invariant "$firmware" "$img"
	if [ "$OUTCOME" = ok ]; then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
		echo "seed $seed: exit $STATUS: $(grep -m1 error "$ERR")"
	fi
done
echo "campaign $name ($spec): $ok verified, $failed failed cleanly, none wrong"
[ "$ok" -ge "$min_ok" ] || fail "only $ok of $((last - first + 1)) runs succeeded (want >= $min_ok)"
