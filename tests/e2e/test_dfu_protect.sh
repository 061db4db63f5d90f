# Option bytes and protection over USB DFU: the "Option Bytes" alternate
# setting written whole (AN3156), the device reloading them and coming back
# (re-enumeration), and what the emulated chip then refuses. Every request
# goes through libusb against stm32boot-sim --interface dfu.

DEVICE=stm32f407xg
SIZE=65536

dfu_port() { echo "sim:$DEVICE,interface=dfu,image=$IMG,stats=$STATS${1:+,$1}"; }
uart_port() { echo "sim:$DEVICE,image=$IMG,stats=$STATS"; }

# The first SIZE bytes of the chip's flash into OUT.
flash_head() { extract_flash "$WORK/all.flash"; head -c "$SIZE" "$WORK/all.flash" >"$1"; }

write_seed() {
	random_file "$WORK/seed.bin" "$SIZE"
	run_ok -w "$WORK/seed.bin" "$(dfu_port)"
}

# dfu_util ARGS...: unmodified dfu-util against the same chip (sets STATUS).
dfu_util() {
	command -v dfu-util >/dev/null || { echo "SKIP: dfu-util not installed"; exit 77; }
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	rm -f "$STATS"
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --image "$IMG" \
		--stats "$STATS" --run -- dfu-util "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
}

t_dfu_set_option_goes_through_the_option_bytes_alt() {
	run_ok --set-option nRST_STOP=0,WDG_SW=0 "$(dfu_port)"
	out_has "nRST_STOP: 1 -> 0"
	# Read back after the device reset and enumerated again.
	out_has "Read back: the option bytes hold the new values."
	stat_is '.dfu.resets' 1
	stat_is '.dfu.errors' '{}'
	# The chip holds them: the UART bootloader of the same image sees them.
	run_ok --option-bytes "$(uart_port)"
	out_has "* nRST_STOP          0"
	out_has "* WDG_SW             0"
	out_has "  RDP                0xAA"
	# Nothing to change: nothing written, no reset.
	run_ok --set-option nRST_STOP=0 "$(dfu_port)"
	out_has "already hold these values"
	stat_is '.dfu.resets' 0
}

t_dfu_read_protect_refuses_upload_until_unprotected() {
	write_seed
	run_ok -j "$(dfu_port)"
	out_has "Read-protecting the flash..."
	stat_is '.dfu.resets' 1
	stat_is .rdp_level 1
	# The next connection finds it protected, and the flash is not read.
	run_fail -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port)"
	out_has "Readout protection: ON, level 1"
	error_has "read-protected"
	stat_is '.dfu.upload_bytes' 16
	# dfu-util's UPLOAD is refused by the emulated ROM too (errVENDOR).
	dfu_util -a 0 -s "0x08000000:2048" -U "$WORK/peer.bin"
	[ "$STATUS" -ne 0 ] || fail "dfu-util read a read-protected chip"
	stat_at_least '.dfu.errors.errVENDOR' 1
	# -k: Read Unprotect, the flash erased, readable again.
	run_ok -k "$(dfu_port)"
	stat_is .rdp_level 0
	run_ok -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port)"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/dump.bin" "$WORK/erased.bin"
}

t_dfu_write_protect_blocks_those_sectors() {
	write_seed
	run_ok --dry-run --write-protect 0-1 "$(dfu_port)"
	out_has "Plan: write-protect sectors 0-1"
	stat_is '.dfu.resets' 0
	run_ok --write-protect 0-1 "$(dfu_port)"
	out_has "Write-protecting sectors 0-1..."
	stat_is '.dfu.resets' 1
	run_ok --option-bytes "$(dfu_port)"
	out_has "Write-protected sectors: 0-1"
	# stm32boot refuses before erasing anything ...
	random_file "$WORK/fw.bin" 32768
	run_fail -w "$WORK/fw.bin" "$(dfu_port)"
	error_has "sectors 0-1 are write-protected"
	nothing_written
	# ... and the emulated chip refuses dfu-util, which does not look first.
	dfu_util -a 0 -s 0x08000000 -D "$WORK/fw.bin"
	[ "$STATUS" -ne 0 ] || fail "dfu-util wrote a write-protected sector"
	stat_is '.dfu.errors.errERASE' 1
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/seed.bin"
	# Sector 2 is not protected.
	run_ok -w "$WORK/fw.bin" -S 0x08008000 -v "$(dfu_port)"
	# -u lifts it; then sector 0 takes the write.
	run_ok -u "$(dfu_port)"
	stat_is '.dfu.resets' 1
	run_ok --option-bytes "$(dfu_port)"
	out_has "Write-protected sectors: none"
	run_ok -w "$WORK/fw.bin" -v "$(dfu_port)"
	flash_head "$WORK/got.bin"
	cmp -s -n 32768 "$WORK/got.bin" "$WORK/fw.bin" || fail "sector 0-1 not written after -u"
}

t_dfu_permanent_lock_needs_its_option() {
	write_seed
	run_fail --set-option RDP=0xCC "$(dfu_port)"
	error_has "refusing RDP=0xCC"
	hint_has "--allow-permanent-lock"
	stat_is '.dfu.resets' 0
	stat_is .rdp_level 0
	# With it: level 2 turns the bootloader off, the device never comes back.
	run_fail --set-option RDP=0xCC --allow-permanent-lock "$(dfu_port)"
	error_has "lock it for good (RDP level 2)"
	stat_is .rdp_level 2
	run_fail -r "$WORK/dump.bin" "$(dfu_port)"
	error_has "no STM32 DFU device"
}

t_dfu_option_bytes_file_through_w() {
	# -w of an image of the option area: the same plan and lock checks as
	# over UART, written through the Option Bytes alt, the chip reset.
	printf '\xAC\xAA\x53\x55\xFF\xFF\xFF\xFF\xFF\x0F\x00\xF0\xFF\xFF\xFF\xFF' >"$WORK/opt.bin"
	run_ok -w "$WORK/opt.bin" -S 0x1FFFC000 "$(dfu_port)"
	stat_is '.dfu.resets' 1
	run_ok "$(dfu_port)"
	out_has "Option bytes: AC AA 53 55 FF FF FF FF FF 0F 00 F0 FF FF FF FF (at 0x1FFFC000)"
	out_has "Option fields: nRST_STOP=0"
	# RDP 0xCC in a file: refused before anything is written.
	printf '\xAC\xCC\x53\x33\xFF\xFF\xFF\xFF\xFF\x0F\x00\xF0\xFF\xFF\xFF\xFF' >"$WORK/lock.bin"
	run_fail -w "$WORK/lock.bin" -S 0x1FFFC000 "$(dfu_port)"
	error_has "readout protection level 2"
	hint_has "--allow-permanent-lock"
	stat_is '.dfu.resets' 0
	stat_is .rdp_level 0
}
