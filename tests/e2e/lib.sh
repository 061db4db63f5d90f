# Helpers for the stm32boot end-to-end tests (sourced by run.sh).
#
# Each test gets a scratch directory $WORK with the emulated chip's image
# file $IMG and statistics $STATS. `run` invokes stm32boot with a sim: port
# onto them; checks call `fail` with a reason. Nothing here looks at time.

STM32BOOT=${STM32BOOT:?path of the stm32boot executable}
STM32BOOT_SIM_PROGRAM=${STM32BOOT_SIM_PROGRAM:?path of stm32boot-sim}
DEVICE=stm32f103xb
RUNS=0
# uart: sim: ports. i2c / spi: the emulator serves a bus socket and
# stm32boot opens an i2c-dev / spidev node the interposer connects to it.
E2E_INTERFACE=${E2E_INTERFACE:-uart}
I2C_NODE=/dev/i2c-7
SPI_NODE=/dev/spidev0.0
I2C_ADDRESS=0x39

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${OUT:-}" ]; then
		echo "---- last command: $(cat "$WORK/cmd.$RUNS" 2>/dev/null)" >&2
		echo "---- stdout" >&2; cat "$OUT" >&2
		echo "---- stderr" >&2; cat "$ERR" >&2
	fi
	exit 1
}

e2e_init() {
	command -v jq >/dev/null || fail "jq is required (apt-get install jq)"
	[ -x "$STM32BOOT" ] || fail "stm32boot not built: $STM32BOOT"
	[ -x "$STM32BOOT_SIM_PROGRAM" ] || fail "emulator not built: $STM32BOOT_SIM_PROGRAM"
	WORK=$(mktemp -d /tmp/stm32e2e.XXXXXX) || fail "mktemp"
	trap 'e2e_cleanup' EXIT
	IMG=$WORK/chip.img
	STATS=$WORK/stats.json
	# Runs without PORT and --list see no drive of the machine's.
	export STM32BOOT_DRIVE_ROOTS=$WORK/no-drives
	# Sanitizer reports must never pass for an ordinary exit status 1.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=87"
}

e2e_cleanup() {
	[ -n "${SIM_PID:-}" ] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$WORK"
}

# The port for the current device, image and stats (extra ,key=value appended).
# On a bus the extras are kept for the emulator that run starts.
port() {
	case "$E2E_INTERFACE" in
	i2c) printf '%s' "${1:-}" >"$WORK/port.extra"; echo "$I2C_NODE" ;;
	spi) printf '%s' "${1:-}" >"$WORK/port.extra"; echo "$SPI_NODE" ;;
	*) echo "sim:$DEVICE,image=$IMG,stats=$STATS,speed=fast${1:+,$1}" ;;
	esac
}

# Start the emulator on a bus socket with port's extras as options (KEY=VALUE
# becomes --KEY VALUE, FLAG --FLAG), as the library does for sim: ports.
bus_start() {
	local extra=() item
	if [ -s "$WORK/port.extra" ]; then
		local IFS=,
		for item in $(cat "$WORK/port.extra"); do
			case "$item" in
			*=*) extra+=("--${item%%=*}" "${item#*=}") ;;
			?*) extra+=("--$item") ;;
			esac
		done
	fi
	BUS=$WORK/bus
	rm -f "$BUS" "$WORK/port.extra"
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface "$E2E_INTERFACE" --link "$BUS" \
		--i2c-address "$I2C_ADDRESS" --image "$IMG" --stats "$STATS" --speed fast \
		"${extra[@]}" >"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	local tries=0
	until [ -S "$BUS" ]; do
		kill -0 "$SIM_PID" 2>/dev/null || fail "the emulator exited: $(cat "$WORK/sim.err")"
		tries=$((tries + 1))
		[ "$tries" -lt 500 ] || fail "the emulator never made its bus socket"
		sleep 0.01
	done
}

# Stop the emulator (bus or tty): it writes its image and statistics as it exits.
sim_stop() {
	kill -TERM "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}

# An emulator on $WORK/tty that stm32boot reaches as a plain tty through the
# test interposer, which forwards its termios and modem lines (TERMIOS,
# LINES, BREAK) to the emulator's control socket:
#   tty_sim_start [EMULATOR OPTIONS...]; run_on_tty ARGS...; sim_stop
tty_sim_start() {
	[ -n "${STM32BOOT_INTERPOSER:-}" ] && [ -f "$STM32BOOT_INTERPOSER" ] \
		|| fail "the test interposer (tests/interposer) is not built"
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --link "$WORK/tty" --image "$IMG" \
		--stats "$STATS" --control "$WORK/control" --speed fast "$@" \
		>"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	local i
	for i in $(seq 100); do [ -e "$WORK/tty" ] && [ -S "$WORK/control" ] && break; sleep 0.05; done
	[ -S "$WORK/control" ] || fail "emulator did not start: $(cat "$WORK/sim.err")"
}

run_on_tty() { # run_on_tty ARGS...: sets STATUS, OUT, ERR
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS
	STATUS=0
	LD_PRELOAD=$STM32BOOT_INTERPOSER STM32BOOT_SIM_TTY=$WORK/tty STM32BOOT_SIM_CONTROL=$WORK/control \
		timeout 100 "$STM32BOOT" "$@" "$WORK/tty" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
}

# stm32boot with what the interface needs: the interposer, the node, -a.
invoke() {
	case "$E2E_INTERFACE" in
	i2c) LD_PRELOAD=$STM32BOOT_INTERPOSER STM32BOOT_SIM_I2C=$I2C_NODE STM32BOOT_SIM_BUS=$BUS \
		timeout 100 "$STM32BOOT" -a "$I2C_ADDRESS" "$@" ;;
	spi) LD_PRELOAD=$STM32BOOT_INTERPOSER STM32BOOT_SIM_SPI=$SPI_NODE STM32BOOT_SIM_BUS=$BUS \
		timeout 100 "$STM32BOOT" "$@" ;;
	*) timeout 100 "$STM32BOOT" --sim "$STM32BOOT_SIM_PROGRAM" "$@" ;;
	esac
}

# The tests were written for the ROM protocol unless they say otherwise:
# a run without --stub or --no-stub of its own gets --no-stub, so that the
# stub being the default where its estimate pays changes no test's meaning.
# A test of that default choice sets E2E_STUB_DEFAULT=1.
stub_pin() {
	[ "${E2E_STUB_DEFAULT:-0}" = 1 ] && return
	local a
	for a in "$@"; do
		case "$a" in --stub|--no-stub) return ;; esac
	done
	echo --no-stub
}

# run [stm32boot options...] PORT: sets STATUS, OUT, ERR. The stats file is
# removed first so every check sees this run's statistics only.
run() {
	local pin
	pin=$(stub_pin "$@")
	set -- ${pin:+"$pin"} "$@"
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	rm -f "$STATS"
	printf '%q ' stm32boot --sim "$STM32BOOT_SIM_PROGRAM" "$@" >"$WORK/cmd.$RUNS"
	STATUS=0
	[ "$E2E_INTERFACE" = uart ] || bus_start
	invoke "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	[ "$E2E_INTERFACE" = uart ] || sim_stop
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report"
	fi
}

# run_ok ARGS...: the run succeeds, prints no error.
run_ok() {
	run "$@"
	[ "$STATUS" -eq 0 ] || fail "exit status $STATUS, expected 0"
	! grep -q 'error:' "$ERR" || fail "an error was printed"
}

# run_fail ARGS...: exit status 1 and exactly one "stm32boot: error:" line.
run_fail() {
	run "$@"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	local errors
	errors=$(grep -c '^stm32boot: error: ' "$ERR")
	[ "$errors" -eq 1 ] || fail "$errors error lines, expected exactly one"
}

out_has() { grep -qF -- "$1" "$OUT" || fail "stdout lacks '$1'"; }
err_has() { grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1'"; }
out_lacks() { ! grep -qF -- "$1" "$OUT" || fail "stdout has '$1'"; }
err_lacks() { ! grep -qF -- "$1" "$ERR" || fail "stderr has '$1'"; }
error_has() { grep '^stm32boot: error: ' "$ERR" | grep -qF -- "$1" || fail "the error line lacks '$1'"; }
hint_has() { grep '^hint: ' "$ERR" | grep -qF -- "$1" || fail "no hint with '$1'"; }

stat_is() { # stat_is JQ-EXPR EXPECTED
	[ -s "$STATS" ] || fail "no emulator statistics in $STATS"
	local actual
	actual=$(jq -c "$1" "$STATS") || fail "jq $1 failed"
	[ "$actual" = "$2" ] || fail "stats $1 is $actual, expected $2"
}

stat_at_least() { # stat_at_least JQ-EXPR MIN
	[ -s "$STATS" ] || fail "no emulator statistics in $STATS"
	local actual
	actual=$(jq -c "$1" "$STATS") || fail "jq $1 failed"
	[ "$actual" -ge "$2" ] || fail "stats $1 is $actual, expected at least $2"
}

stat_at_most() { # stat_at_most JQ-EXPR MAX
	[ -s "$STATS" ] || fail "no emulator statistics in $STATS"
	local actual
	actual=$(jq -c "$1" "$STATS") || fail "jq $1 failed"
	[ "$actual" -le "$2" ] || fail "stats $1 is $actual, expected at most $2"
}

# A stub whose receiver cannot keep up at its rate overran hundreds of
# times in a write (docs/stub-protocol.md); one that keeps up has shown up
# to 13 in the ASan build with other tests beside it, none alone: the
# emulator's timing under load, not the stub's (each is a frame sent
# again; not yet understood). A few dozen pass, hundreds do not.
few_overruns() { stat_at_most '.core.usart_rx_overruns' 30; }

# Nothing was erased or programmed in the last run. When the run failed
# before the emulator was started there are no statistics, and the chip's
# image must simply be unchanged (see flash_unchanged).
nothing_written() {
	[ -e "$STATS" ] || return 0
	stat_is .page_erases 0
	stat_is .mass_erases 0
	stat_is .bank_erases 0
	stat_is .program_operations 0
}

# A chip whose flash holds known random bytes, and a copy to compare with.
seed_chip() {
	random_file "$WORK/seed.bin" "$(flash_size)"
	run_ok -w "$WORK/seed.bin" "$(port)"
	extract_flash "$WORK/seeded.flash"
	same_bytes "$WORK/seeded.flash" "$WORK/seed.bin"
}

flash_unchanged() {
	extract_flash "$WORK/now.flash"
	same_bytes "$WORK/now.flash" "$WORK/seeded.flash"
}

# Header fields of the emulator's image file (docs/architecture.md).
image_u32() { od -An -tu4 -j "$1" -N 4 --endian=little "$IMG" | tr -d ' '; }

flash_size() {
	case "$DEVICE" in
	stm32f103xb) echo 131072 ;;
	stm32f411xe) echo 524288 ;;
	*) fail "flash_size: add $DEVICE" ;;
	esac
}

extract_flash() { # extract_flash OUT: the flash region of $IMG
	[ -f "$IMG" ] || fail "no image file $IMG"
	[ "$(head -c 8 "$IMG")" = STM32SIM ] || fail "image file has no STM32SIM magic"
	dd if="$IMG" of="$1" bs=4096 iflag=skip_bytes,count_bytes skip=32 \
		count="$(image_u32 12)" status=none || fail "dd failed"
}

# Bytes COUNT at flash offset OFFSET of the image into OUT.
flash_slice() { # flash_slice OUT OFFSET COUNT
	dd if="$IMG" of="$1" bs=4096 iflag=skip_bytes,count_bytes skip=$((32 + $2)) \
		count="$3" status=none || fail "dd failed"
}

erased_file() { head -c "$2" /dev/zero | tr '\0' '\377' >"$1"; }
random_file() { head -c "$2" /dev/urandom >"$1"; }
# Same bytes every time, for runs whose seeded faults depend on the data.
pattern_file() { yes 'stm32boot end-to-end test pattern 0123456789' | head -c "$2" >"$1"; }

same_bytes() { # same_bytes A B
	cmp -s "$1" "$2" || fail "$1 and $2 differ ($(cmp "$1" "$2" 2>&1 | head -1))"
}

# Intel HEX / S-record writers for test inputs (independent of the library).
hex_record() { # hex_record TYPE ADDRESS16 BYTES...
	local type=$1 address=$2; shift 2
	local sum=$(( $# + (address >> 8) + (address & 0xFF) + type )) line b
	line=$(printf ':%02X%04X%02X' $# "$address" "$type")
	for b in "$@"; do line+=$(printf '%02X' "$b"); sum=$((sum + b)); done
	printf '%s%02X\n' "$line" $(( (256 - (sum & 0xFF)) & 0xFF ))
}

# bin_to_hex BIN ADDRESS: Intel HEX of BIN's bytes placed at ADDRESS.
bin_to_hex() {
	local bytes address=$2 offset=0 upper=-1 chunk
	mapfile -t bytes < <(od -An -v -tu1 -w1 "$1" | tr -d ' ')
	while [ "$offset" -lt "${#bytes[@]}" ]; do
		local at=$((address + offset))
		if [ $((at >> 16)) -ne "$upper" ]; then
			upper=$((at >> 16))
			hex_record 4 0 $((upper >> 8)) $((upper & 0xFF))
		fi
		chunk=16
		[ $(( (at & 0xFFFF) + chunk )) -le 65536 ] || chunk=$((65536 - (at & 0xFFFF)))
		hex_record 0 $((at & 0xFFFF)) "${bytes[@]:offset:chunk}"
		offset=$((offset + chunk))
	done
	hex_record 1 0
}

srec_record() { # srec_record TYPE ADDRESS32 BYTES... (S3/S7 style, 4-byte address)
	local type=$1 address=$2; shift 2
	local count=$(( $# + 5 )) line b
	local sum=$(( count + (address >> 24) + ((address >> 16) & 0xFF) + ((address >> 8) & 0xFF) + (address & 0xFF) ))
	line=$(printf 'S%d%02X%08X' "$type" "$count" "$address")
	for b in "$@"; do line+=$(printf '%02X' "$b"); sum=$((sum + b)); done
	printf '%s%02X\n' "$line" $(( 255 - (sum & 0xFF) ))
}

bin_to_srec() { # bin_to_srec BIN ADDRESS
	local bytes address=$2 offset=0
	mapfile -t bytes < <(od -An -v -tu1 -w1 "$1" | tr -d ' ')
	while [ "$offset" -lt "${#bytes[@]}" ]; do
		srec_record 3 $((address + offset)) "${bytes[@]:offset:16}"
		offset=$((offset + 16))
	done
	srec_record 7 "$address"
}

# A sysfs tree of our own for the board search (STM32BOOT_SYSFS_ROOT): each
# argument NAME:VID:PID:SERIAL is a USB serial adapter's tty; a legacy 8250
# port (ttyS0) and a tty without a device are always there, and ignored.
fake_sysfs() { # fake_sysfs DIR [NAME:VID:PID:SERIAL...]
	local sys=$1 spec name vid pid serial usb; shift
	mkdir -p "$sys/class/tty/tty" "$sys/class/tty/ttyS0" "$sys/devices/platform/serial8250" \
		"$sys/bus/platform/drivers/serial8250" "$sys/bus/usb-serial/drivers/ftdi_sio"
	ln -sfn ../../../devices/platform/serial8250 "$sys/class/tty/ttyS0/device"
	ln -sfn ../../../bus/platform/drivers/serial8250 "$sys/devices/platform/serial8250/driver"
	local n=0
	for spec in "$@"; do
		IFS=: read -r name vid pid serial <<<"$spec"
		n=$((n + 1))
		usb=$sys/devices/pci0000:00/usb1/1-$n
		mkdir -p "$usb/1-$n:1.0/$name" "$sys/class/tty/$name"
		printf '%s\n' "$vid" >"$usb/idVendor"
		printf '%s\n' "$pid" >"$usb/idProduct"
		printf 'FTDI\n' >"$usb/manufacturer"
		printf 'FT232R USB UART\n' >"$usb/product"
		printf '%s\n' "$serial" >"$usb/serial"
		ln -sfn "../../../devices/pci0000:00/usb1/1-$n/1-$n:1.0/$name" "$sys/class/tty/$name/device"
		ln -sfn ../../../../../../bus/usb-serial/drivers/ftdi_sio "$usb/1-$n:1.0/$name/driver"
	done
}

# The documented --json schema (docs/json.md), checked by jq: check_json FILE.
check_json() {
	[ "$(jq -s length "$1")" = 1 ] || fail "stdout is not exactly one JSON document: $(head -c 300 "$1")"
	jq -e -f "$(dirname "${BASH_SOURCE[0]}")/json_schema.jq" "$1" >/dev/null \
		|| fail "the JSON does not follow docs/json.md: $(cat "$1")"
}
