# Bad input: one clear error line, exit status 1, and nothing erased or
# programmed (the chip keeps what it had).

t_malformed_hex_checksum() {
	seed_chip
	run_fail -w "$E2E_DATA/bad-checksum.hex" "$(port)"
	error_has "bad-checksum.hex"
	nothing_written
	flash_unchanged
}

t_malformed_hex_digits() {
	seed_chip
	run_fail -w "$E2E_DATA/bad-digits.hex" "$(port)"
	error_has "bad-digits.hex"
	nothing_written
	flash_unchanged
}

t_malformed_srec() {
	seed_chip
	run_fail -w "$E2E_DATA/bad-length.srec" "$(port)"
	error_has "bad-length.srec"
	nothing_written
	flash_unchanged
}

t_malformed_elf() {
	seed_chip
	run_fail -w "$E2E_DATA/truncated.elf" "$(port)"
	error_has "truncated.elf"
	nothing_written
	flash_unchanged
}

t_bad_corpus() {
	if [ ! -d "$E2E_BAD" ]; then
		echo "SKIP: the malformed-input corpus tests/bad does not exist yet"
		exit 77
	fi
	seed_chip
	local file count=0
	for file in "$E2E_BAD"/*; do
		[ -f "$file" ] || continue
		case "$file" in *.md) continue ;; esac
		run_fail -w "$file" "$(port)"
		nothing_written
		count=$((count + 1))
	done
	[ "$count" -gt 0 ] || fail "no malformed files in $E2E_BAD"
	flash_unchanged
}

t_image_beyond_flash() {
	seed_chip
	random_file "$WORK/big.bin" $(( $(flash_size) + 4 ))
	run_fail -w "$WORK/big.bin" "$(port)"
	error_has "0x08020000"
	nothing_written
	flash_unchanged
}

t_hex_outside_flash() {
	seed_chip
	random_file "$WORK/a.bin" 16
	bin_to_hex "$WORK/a.bin" 0x09000000 >"$WORK/far.hex"
	run_fail -w "$WORK/far.hex" "$(port)"
	error_has "0x09000000"
	nothing_written
	flash_unchanged
}

t_data_beyond_start_range() {
	seed_chip
	random_file "$WORK/fw.bin" 2048
	run_fail -w "$WORK/fw.bin" -S 0x08000000:1024 "$(port)"
	nothing_written
	flash_unchanged
}

t_start_range_outside_memory() {
	seed_chip
	run_fail -r "$WORK/x.bin" -S 0x30000000:16 "$(port)"
	nothing_written
	run_fail -o -S 0x08000000:0x40000 "$(port)"
	nothing_written
	flash_unchanged
}

t_start_page_beyond_flash() {
	seed_chip
	run_fail -o -s 200 -e 1 "$(port)"
	error_has "200"
	nothing_written
	flash_unchanged
}

t_empty_file() {
	seed_chip
	: >"$WORK/empty.bin"
	run_fail -w "$WORK/empty.bin" "$(port)"
	nothing_written
	flash_unchanged
}

t_directory() {
	seed_chip
	run_fail -w "$WORK" "$(port)"
	error_has "directory"
	[ ! -e "$STATS" ] || fail "the emulator was started"
	flash_unchanged
}

# A 4 GiB sparse file is refused from its size, before a byte is read.
t_sparse_4gib_file() {
	seed_chip
	truncate -s 4G "$WORK/huge.bin"
	run_fail -w "$WORK/huge.bin" "$(port)"
	error_has "huge.bin"
	nothing_written
	flash_unchanged
}

# A file the user may not read (root reads anything, so drop to nobody).
t_unreadable_file() {
	seed_chip
	printf 'data' >"$WORK/secret.bin"
	chmod 000 "$WORK/secret.bin"
	local as_user=() program=$STM32BOOT
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || fail "setpriv (util-linux) is required as root"
		as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		# the build tree may sit where nobody cannot reach it (a clone in
		# a private folder): run a copy from a folder anyone may enter
		local bin
		bin=$(mktemp -d)
		chmod 755 "$bin"
		cp "$STM32BOOT" "$bin/stm32boot"
		program=$bin/stm32boot
	fi
	RUNS=$((RUNS + 1)); OUT=$WORK/out.$RUNS; ERR=$WORK/err.$RUNS; STATUS=0
	"${as_user[@]}" timeout 100 "$program" --sim "$STM32BOOT_SIM_PROGRAM" -w "$WORK/secret.bin" \
		sim:"$DEVICE" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	[ "$program" = "$STM32BOOT" ] || rm -rf "$(dirname "$program")"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "not exactly one error line"
	error_has "Permission denied"
	flash_unchanged
}

t_missing_file() {
	seed_chip
	run_fail -w "$WORK/no-such-file.hex" "$(port)"
	error_has "no-such-file.hex"
	[ ! -e "$STATS" ] || fail "the emulator was started"
	flash_unchanged
}

# Each bad value: a usage error before the port is even opened.
bad_value() {
	run_fail "$@" "$(port)"
	[ ! -e "$STATS" ] || fail "the emulator was started for: $*"
	hint_has "--help"
}

t_bad_option_values() {
	seed_chip
	bad_value -b 12345;          error_has "baud"
	bad_value -b fast;           error_has "baud"
	bad_value -m 8x1;            error_has "mode"
	bad_value -m 8e;             error_has "mode"
	bad_value -S 0x08000002;     error_has "word-aligned"
	bad_value -S 0x08000000:0;   error_has "length"
	bad_value -S 0xFFFFFFF0:0x20; error_has "4 GiB"
	bad_value -S nonsense;       error_has "start address"
	bad_value -g 0x08000001;     error_has "word-aligned"
	bad_value -g zero;           error_has "execution address"
	bad_value -i 'rts;dtr';      error_has "GPIO"
	bad_value -F 10;             error_has "too small"
	bad_value -F 256:2;          error_has "too small"
	bad_value -F abc;            error_has "frame"
	bad_value -o -e 0x10000;     error_has "page count"
	bad_value -o -e -1;          error_has "page count"
	bad_value -a 0x02;           error_has "I2C address"
	bad_value -a 0x78;           error_has "I2C address"
	bad_value -n many;           error_has "retry"
	bad_value --format elf -r "$WORK/x"; error_has "format"
	flash_unchanged
}

t_bad_combinations() {
	bad_value -r "$WORK/a" -w "$WORK/b";  error_has "at the same time"
	bad_value -o -C;                      error_has "at the same time"
	bad_value -j -k;                      error_has "at the same time"
	bad_value -v -e 1 -o;                 error_has "-v is only valid when writing (-w) or reading (-r)"
	bad_value -o -S 0x08000000 -s 1;      error_has "can't combine"
	bad_value -w "$E2E_EXAMPLES/blinky.hex" -e 4; error_has "-e N with -w"
	# No PORT: the search for boards finds none in an empty sysfs.
	mkdir -p "$WORK/nosys"
	STM32BOOT_SYSFS_ROOT=$WORK/nosys run_fail
	error_has "no port given, and no board found"
	run_fail "$(port)" "$(port)"
	error_has "given twice"
	run_fail -r "$WORK/a" "$(port)" "$(port),uid=000000000000000000000001"
	error_has "-r with several ports"
}

t_i2c_address_on_serial_port() {
	run_ok -a 0x39 "$(port)"
	err_has "warning: -a 0x39 ignored"
	# I2C ports work now, but only with the bootloader's address.
	run_fail /dev/i2c-1
	error_has "address is needed (-a)"
}

t_failed_go_exits_nonzero() {
	# Go to an address the bootloader refuses (system memory is not executable
	# from the bootloader's Go): must be an error, unlike stm32flash.
	run_fail -g 0xFFFFFFFC "$(port)"
	error_has "0xFFFFFFFC"
}
