# -r output files that are not plain new names: symlinks, FIFOs, devices,
# directories, write errors. What the user pointed at is never replaced, and
# a failed write leaves neither the file nor a temporary behind.

no_temporaries() { # no_temporaries DIR...
	local left
	left=$(find "$@" -name '*.tmp-*' 2>/dev/null)
	[ -z "$left" ] || fail "temporary files left behind: $left"
}

t_output_symlink_is_followed() {
	seed_chip
	mkdir "$WORK/store" "$WORK/links"
	echo old >"$WORK/store/dump.bin"
	ln -s ../store/dump.bin "$WORK/links/dump.bin"
	run_ok -r "$WORK/links/dump.bin" -S 0x08000000:4096 "$(port)"
	[ -L "$WORK/links/dump.bin" ] || fail "the symlink was replaced"
	[ "$(readlink "$WORK/links/dump.bin")" = ../store/dump.bin ] || fail "the symlink changed"
	flash_slice "$WORK/want.bin" 0 4096
	same_bytes "$WORK/store/dump.bin" "$WORK/want.bin"
	no_temporaries "$WORK/store" "$WORK/links"
}

t_output_dangling_symlink_creates_its_target() {
	seed_chip
	ln -s new.hex "$WORK/link.hex"
	run_ok -r "$WORK/link.hex" -S 0x08000000:256 "$(port)"
	[ -L "$WORK/link.hex" ] || fail "the symlink was replaced"
	[ -f "$WORK/new.hex" ] || fail "the link's target was not created"
	head -1 "$WORK/new.hex" | grep -q '^:' || fail "the target is not Intel HEX"
	no_temporaries "$WORK"
}

t_output_fifo_is_written_in_place() {
	seed_chip
	mkfifo "$WORK/pipe"
	timeout 60 cat "$WORK/pipe" >"$WORK/got.bin" &
	local reader=$!
	run_ok -r "$WORK/pipe" -S 0x08000000:8192 "$(port)"
	wait "$reader" || fail "the FIFO's reader did not get an end of file"
	[ -p "$WORK/pipe" ] || fail "the FIFO was replaced"
	flash_slice "$WORK/want.bin" 0 8192
	same_bytes "$WORK/got.bin" "$WORK/want.bin"
	no_temporaries "$WORK"
}

# A reader that leaves after one byte: the rest cannot go anywhere (more
# than a pipe holds is sent, so the write must meet the closed end).
t_output_fifo_reader_gone_is_a_broken_pipe() {
	seed_chip
	mkfifo "$WORK/pipe"
	timeout 60 head -c 1 "$WORK/pipe" >/dev/null &
	local reader=$!
	run_fail -r "$WORK/pipe" "$(port)"
	wait "$reader"
	error_has "Broken pipe"
	[ -p "$WORK/pipe" ] || fail "the FIFO was replaced"
	no_temporaries "$WORK"
}

# The device node is a private copy of /dev/full (needs root and a file
# system that allows devices), so the test cannot harm the real one.
t_output_full_device_is_written_not_replaced() {
	mknod "$WORK/full" c 1 7 2>/dev/null || { echo "SKIP: cannot make a device node"; exit 77; }
	local probe
	probe=$( (printf x >"$WORK/full") 2>&1 )
	case "$probe" in
	*"No space left"*) ;;
	*) echo "SKIP: device nodes do not work here ($probe)"; exit 77 ;;
	esac
	run_fail -r "$WORK/full" -S 0x08000000:4096 "$(port)"
	error_has "No space left on device"
	[ -c "$WORK/full" ] || fail "the device node was replaced"
	no_temporaries "$WORK"
}

# SIGXFSZ is ignored here as a shell would leave it for a daemon; stm32boot
# ignores it itself too. The emulator keeps no image file, which would hit
# the limit first.
t_output_file_size_limit_is_reported() {
	(
		trap '' XFSZ
		ulimit -f 4 # 4 KiB
		run_fail -r "$WORK/big.bin" -S 0x08000000:16384 "sim:$DEVICE,speed=fast"
		error_has "File too large"
		err_lacks "Input/output error"
	) || exit 1
	[ ! -e "$WORK/big.bin" ] || fail "a partial big.bin was left"
	no_temporaries "$WORK"
}

t_output_file_size_limit_keeps_the_old_file() {
	echo "the old contents" >"$WORK/keep.bin"
	(
		trap '' XFSZ
		ulimit -f 4
		run_fail -r "$WORK/keep.bin" -S 0x08000000:16384 "sim:$DEVICE,speed=fast"
		error_has "File too large"
	) || exit 1
	[ "$(cat "$WORK/keep.bin")" = "the old contents" ] || fail "keep.bin was changed"
	no_temporaries "$WORK"
}

t_output_directory_is_refused_before_reading() {
	mkdir "$WORK/dir"
	run_fail -r "$WORK/dir" "$(port)"
	error_has "is a directory"
	[ -d "$WORK/dir" ] || fail "the directory is gone"
	# Refused before the port is opened: no emulator ran, nothing was read.
	[ ! -e "$STATS" ] || stat_is '.commands["0x11"]' null
	no_temporaries "$WORK"
}
