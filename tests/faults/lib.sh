# Helpers for the fault tests: a fresh emulated chip per run, a firmware
# image generated from the seed, and the one invariant every run must keep.
#
# Environment: STM32BOOT, STM32BOOT_SIM_PROGRAM (set by CMake).

STM32BOOT=${STM32BOOT:?path of the stm32boot executable}
STM32BOOT_SIM_PROGRAM=${STM32BOOT_SIM_PROGRAM:?path of stm32boot-sim}
DEVICE=${DEVICE:-stm32f103xb}
FLASH_START=0x08000000
IMAGE_HEADER=32
# A run that outlives this is a hang, which is a failure in its own right.
RUN_LIMIT_S=${RUN_LIMIT_S:-120}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

faults_init() {
	WORK=$(mktemp -d /tmp/stm32faults.XXXXXX) || fail "mktemp"
	trap '[ -n "${FAULTS_KEEP:-}" ] || rm -rf "$WORK"' EXIT
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=87"
}

# make_firmware FILE SIZE SEED: deterministic bytes (perl is in every Debian).
make_firmware() {
	perl -e 'srand($ARGV[1]); print pack("C*", map { int(rand(256)) } 1 .. $ARGV[0])' \
		"$2" "$3" >"$1" || fail "cannot generate firmware"
}

# flash_of IMG SIZE OUT: the first SIZE bytes of the emulated flash.
flash_of() {
	dd if="$1" of="$3" bs=1 skip=$IMAGE_HEADER count="$2" status=none 2>/dev/null || : >"$3"
}

# write_run FIRMWARE SEED SPEC IMG: one write+verify; sets STATUS, OUT, ERR.
# max-baud=115200: the auto-baud limit the device table documents (the rate
# stm32boot uses for a sim: port anyway). Without it the emulated ROM would
# sync on any 0x7F at any rate: a chip reset under a 2 Mbaud stub would take
# the frames still in flight as commands (a Readout Protect among random
# data, now and then), at a rate far past what its auto-baud is documented
# to measure.
# CAMPAIGN_ARGS: more stm32boot options (--stub: the same through the RAM stub).
write_run() {
	local firmware=$1 seed=$2 spec=${3//,/;} img=$4 # a sim: port splits at ','

	OUT=$img.out
	ERR=$img.err
	STATUS=0
	timeout -s KILL "$RUN_LIMIT_S" "$STM32BOOT" --sim "$STM32BOOT_SIM_PROGRAM" \
		${CAMPAIGN_ARGS:-} -w "$firmware" -v \
		"sim:$DEVICE,image=$img,speed=fast,seed=$seed,max-baud=115200${spec:+,faults=$spec}" \
		>"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR" && fail "sanitizer report (seed $seed, $spec): $(head -5 "$ERR")"
	[ "$STATUS" -ne 137 ] || fail "hang: no end within ${RUN_LIMIT_S}s (seed $seed, faults $spec)"
	return 0
}

# check_invariant FIRMWARE IMG: exit 0 only with the image in flash; any
# failure is non-zero with a message. Sets OUTCOME to ok or failed.
check_invariant() {
	local firmware=$1 img=$2 size
	size=$(stat -c %s "$firmware")
	flash_of "$img" "$size" "$img.flash"
	if [ "$STATUS" -eq 0 ]; then
		cmp -s "$firmware" "$img.flash" ||
			fail "exit 0 but the flash differs from the image ($(basename "$img"))"
		OUTCOME=ok
	else
		grep -q 'error' "$ERR" ||
			fail "exit $STATUS without an error message ($(basename "$img")): $(cat "$ERR")"
		OUTCOME=failed
	fi
}
