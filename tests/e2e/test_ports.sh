# Ports that are not serial ports are refused at once, saying what they are,
# before any sync is tried (no "no answer from the bootloader").

port_refused() { # port_refused PATH KIND
	run_fail -w "$WORK/fw.bin" "$1"
	error_has "$1 is $2, not a serial port"
	err_lacks "no answer"
	err_lacks "BOOT0"
}

t_port_regular_file_is_refused() {
	random_file "$WORK/fw.bin" 1024
	echo "a file" >"$WORK/hostname"
	port_refused "$WORK/hostname" "a regular file"
	[ "$(cat "$WORK/hostname")" = "a file" ] || fail "the file was written to"
}

t_port_dev_null_is_refused() {
	random_file "$WORK/fw.bin" 1024
	port_refused /dev/null "a non-terminal character device"
}

t_port_directory_is_refused() {
	random_file "$WORK/fw.bin" 1024
	mkdir "$WORK/dir"
	port_refused "$WORK/dir" "a directory"
}

t_port_fifo_is_refused() {
	random_file "$WORK/fw.bin" 1024
	mkfifo "$WORK/fifo"
	port_refused "$WORK/fifo" "a FIFO"
}
