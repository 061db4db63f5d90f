# stm32boot over USB DFU (AN3156) against the emulator: sim:...,interface=dfu
# re-executes stm32boot under stm32boot-sim --run, so every request goes
# through the real libusb (usbfs through umockdev) and the DFU back end.

DEVICE=stm32f407xg
SIZE=65536

dfu_port() { echo "sim:$DEVICE,interface=dfu,image=$IMG,stats=$STATS${1:+,$1}"; }

# The first SIZE bytes of the chip's flash into OUT.
flash_head() { extract_flash "$WORK/all.flash"; head -c "$SIZE" "$WORK/all.flash" >"$1"; }

write_seed() {
	random_file "$WORK/seed.bin" "$SIZE"
	run_ok -w "$WORK/seed.bin" "$(dfu_port)"
}

t_dfu_write_verify() {
	random_file "$WORK/fw.bin" "$SIZE"
	run_ok -w "$WORK/fw.bin" -v "$(dfu_port)"
	out_has "Wrote and verified $SIZE bytes"
	out_has "usb dfu:1-1"
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# 64 KiB at 0x08000000 are sectors 0-3 (4 x 16 KiB): only those erased.
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["0","1","2","3"]'
	stat_is '.dfu.commands."0x41"' 4
	stat_is .mass_erases 0
	stat_is .bytes_programmed "$SIZE"
	stat_is '.dfu.errors' '{}'
}

t_dfu_read() {
	write_seed
	run_ok -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port)"
	same_bytes "$WORK/dump.bin" "$WORK/seed.bin"
	stat_at_least '.dfu.requests.UPLOAD' 1
	stat_is .program_operations 0
}

t_dfu_mass_erase() {
	write_seed
	run_ok -o "$(dfu_port)"
	stat_is .mass_erases 1
	stat_is '.dfu.mass_erase_commands' 1
	flash_head "$WORK/got.bin"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/got.bin" "$WORK/erased.bin"
}

t_dfu_erase_range() {
	write_seed
	run_ok -o -S 0x08004000:0x4000 "$(dfu_port)"
	stat_is '.erased_pages | keys' '["1"]'
	flash_head "$WORK/got.bin"
	cmp -s -n 16384 "$WORK/got.bin" "$WORK/seed.bin" || fail "sector 0 changed"
}

t_dfu_diff_rewrites_only_what_differs() {
	write_seed
	cp "$WORK/seed.bin" "$WORK/new.bin"
	# One byte in sector 2 (0x08008000..0x0800BFFF) differs: its complement
	# (a fixed 0x00 was the seed's own byte once in 256 runs).
	local old
	old=$(od -An -tu1 -j $((0x8100)) -N1 "$WORK/seed.bin" | tr -d ' ')
	printf "\\$(printf '%03o' $((old ^ 0xFF)))" |
		dd of="$WORK/new.bin" bs=1 seek=$((0x8100)) conv=notrunc status=none
	cmp -s "$WORK/seed.bin" "$WORK/new.bin" && fail "the changed byte is the same"
	run_ok --diff -v -w "$WORK/new.bin" "$(dfu_port)"
	stat_is '.erased_pages | keys' '["2"]'
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/new.bin"
}

t_dfu_go_leaves_dfu() {
	write_seed
	run_ok -g 0x08000000 "$(dfu_port)"
	stat_is .state '"application"'
	stat_is '.dfu.leaves' 1
	stat_is '.dfu.final_state' '"dfuMANIFEST"'
}

t_dfu_refused_write_is_worded() {
	random_file "$WORK/fw.bin" 4096
	run_fail -w "$WORK/fw.bin" "$(dfu_port faults=nack=1)"
	error_has "errWRITE"
	stat_at_least '.dfu.errors.errWRITE' 1
}

t_dfu_disappearing_device_is_an_error() {
	random_file "$WORK/fw.bin" "$SIZE"
	run_fail -w "$WORK/fw.bin" "$(dfu_port faults=hangup-after=40)"
	error_has "disappeared"
	error_has "dfu:1-1"
}

t_dfu_device_gone_mid_read_is_an_error() {
	# It leaves while UPLOADs read ahead wait on endpoint 0: an error that
	# names the device and the address, no hang.
	write_seed
	run_fail -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port faults=hangup-after=20)"
	error_has "disappeared"
	error_has "dfu:1-1"
	grep '^stm32boot: error: ' "$ERR" | grep -qE '0x080[0-9A-F]{5}' || fail "no address in the error"
}

t_dfu_readout_protection_and_unprotect() {
	write_seed
	# Readout protection set through the UART bootloader of the same image.
	run_ok -j "sim:$DEVICE,image=$IMG,stats=$STATS"
	run_fail -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port)"
	out_has "Readout protection: ON"
	run_ok -k "$(dfu_port)"
	stat_is .rdp_level 0
	stat_is '.dfu.commands."0x92"' 1
	flash_head "$WORK/got.bin"
	erased_file "$WORK/erased.bin" "$SIZE"
	same_bytes "$WORK/got.bin" "$WORK/erased.bin"
}

t_dfu_port_without_a_device() {
	# No emulator, no preload: libusb finds no 0483:df11 device.
	run_fail "dfu:"
	error_has "no STM32 DFU device"
}

t_dfu_port_by_address_and_serial() {
	# stm32boot under the emulator directly: dfu:BUS-PORT and dfu:SERIAL pick
	# the device, a serial that matches nothing is refused.
	local sim=("$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --image "$IMG" --run --)
	OUT=$WORK/out.address ERR=$WORK/err.address
	"${sim[@]}" "$STM32BOOT" dfu:1-1 >"$OUT" 2>"$ERR" || fail "dfu:1-1 refused"
	# DfuSe has no chip ID: the layout fits F2 and F4 rows alike, and it says so.
	err_has "fits stm32f2xx, stm32f407xg"
	out_has "Flash:        1 MiB: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB sectors at 0x08000000"
	local serial
	serial=$(sed -n 's/.*usb dfu:1-1 serial \([0-9A-F]*\).*/\1/p' "$OUT")
	[ -n "$serial" ] || fail "no serial number shown"
	OUT=$WORK/out.serial ERR=$WORK/err.serial
	"${sim[@]}" "$STM32BOOT" "dfu:$serial,device=stm32f407xg" >"$OUT" 2>"$ERR" ||
		fail "dfu:$serial refused"
	out_has "usb dfu:1-1 serial $serial"
	out_has "Chip:         STM32F40xxx/41xxx (stm32f407xg)"
	err_lacks "fits"
	OUT=$WORK/out.none ERR=$WORK/err.none
	STATUS=0
	"${sim[@]}" "$STM32BOOT" dfu:NOSUCHSERIAL >"$OUT" 2>"$ERR" || STATUS=$?
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS for an unknown serial"
	error_has "matches 'NOSUCHSERIAL'"
}

t_dfu_connect_names_the_chip_as_far_as_dfuse_tells() {
	local sim=("$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --image "$IMG" --run --)
	OUT=$WORK/out.unnamed ERR=$WORK/err.unnamed
	"${sim[@]}" "$STM32BOOT" dfu: >"$OUT" 2>"$ERR" || fail "dfu: refused"
	# DfuSe reports no chip ID: the layout's rows are named, and the way out.
	out_has "Identified:   by its memory layout, which fits stm32f2xx, stm32f407xg, stm32f412"
	out_has "dfu:...,device=NAME names the part"
	# bcdDevice is the DFU bootloader's version (AN3156), not the chip's.
	out_has "Bootloader:   USB DFU v2.2 (bcdDevice 0x2200), bcdDFU 0x011A (DfuSe), 2048-byte transfers"
	out_has "Memories:     Internal Flash, Option Bytes, OTP Memory, Device Feature"
	out_has "sectors at 0x08000000 (as the device's DFU memory layout says)"
	out_lacks "size from the device table"
	# RAM is not one of the memories DfuSe offers: no "usable" claim.
	out_has "RAM:          128 KiB at 0x20000000 (the device table's; not one of the DFU memories)"
	# Named: said so. Option bytes decoded as over UART.
	run_ok --set-option nRST_STOP=0 "$(dfu_port)"
	run_ok --write-protect 3 "$(dfu_port)"
	run_ok "$(dfu_port)"
	out_has "Chip:         STM32F40xxx/41xxx (stm32f407xg), through the USB DFU bootloader"
	out_has "Identified:   by device=stm32f407xg"
	out_has "Option fields: nRST_STOP=0 (reset when entering Stop mode), nWRP=0xFF7"
	out_has "Write-protected sectors: 3 (-u removes the protection)"
	# A part whose layout only one row has.
	OUT=$WORK/out.f72 ERR=$WORK/err.f72
	"$STM32BOOT_SIM_PROGRAM" --device stm32f72x --interface dfu --run -- "$STM32BOOT" dfu: \
		>"$OUT" 2>"$ERR" || fail "dfu: on an F72x refused"
	out_has "Identified:   by its memory layout, which only stm32f72x fits"
	err_lacks "warning"
	# Read-protected: the level from the option bytes, which stay readable.
	run_ok -j "$(dfu_port)"
	run_ok "$(dfu_port)"
	out_has "Readout protection: ON, level 1 (RDP 0xBB)"
}

# sim_boards N ARGS...: stm32boot ARGS under an emulator with N boards of
# DEVICE on the USB bus (board k >= 2 keeps $IMG.k and $STATS.k).
sim_boards() {
	local count=$1
	shift
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS ERR=$WORK/err.$RUNS
	rm -f "$STATS" "$STATS".[0-9]
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --count "$count" \
		--image "$IMG" --stats "$STATS" --run -- "$STM32BOOT" "$@" >"$OUT" 2>"$ERR" </dev/null ||
		STATUS=$?
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR" || fail "sanitizer report"
}

t_dfu_several_devices_are_listed_and_refused() {
	random_file "$WORK/fw.bin" 4096
	sim_boards 2 -w "$WORK/fw.bin" dfu:
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS with two devices on dfu:"
	[ "$(grep -c '^stm32boot: error: ' "$ERR")" -eq 1 ] || fail "not exactly one error line"
	error_has "2 STM32 DFU devices: dfu:1-1 (serial "
	error_has ", dfu:1-2 (serial "
	error_has "name one: dfu:SERIAL or dfu:BUS-PORT"
	# The two boards have serials of their own, and neither was touched.
	local serials
	serials=$(grep -o 'serial [0-9A-F]*' "$ERR" | sort -u | wc -l)
	[ "$serials" -eq 2 ] || fail "the two boards do not have two serials"
	stat_is .page_erases 0
	[ "$(jq .page_erases "$STATS.2")" = 0 ] || fail "board 2 was erased"
}

t_dfu_serial_or_path_picks_one_of_several() {
	random_file "$WORK/one.bin" 4096
	random_file "$WORK/two.bin" 4096
	sim_boards 2 dfu:1-2
	[ "$STATUS" -eq 0 ] || fail "dfu:1-2 refused: $(cat "$ERR")"
	local serial
	serial=$(sed -n 's/.*usb dfu:1-2 serial \([0-9A-F]*\).*/\1/p' "$OUT")
	[ -n "$serial" ] || fail "no serial number shown for dfu:1-2"
	# By serial: board 2 takes the write, board 1 is left alone.
	sim_boards 2 -w "$WORK/two.bin" -v "dfu:$serial,device=$DEVICE"
	[ "$STATUS" -eq 0 ] || fail "dfu:$serial refused: $(cat "$ERR")"
	out_has "usb dfu:1-2 serial $serial"
	cmp -s -n 4096 <(tail -c +33 "$IMG.2") "$WORK/two.bin" || fail "board 2 does not hold the file"
	[ "$(jq .program_operations "$STATS")" = 0 ] || fail "board 1 was programmed"
	# By path: board 1.
	sim_boards 2 -w "$WORK/one.bin" -v "dfu:1-1,device=$DEVICE"
	[ "$STATUS" -eq 0 ] || fail "dfu:1-1 refused: $(cat "$ERR")"
	cmp -s -n 4096 <(tail -c +33 "$IMG") "$WORK/one.bin" || fail "board 1 does not hold the file"
	cmp -s -n 4096 <(tail -c +33 "$IMG.2") "$WORK/two.bin" || fail "board 2 changed"
}

t_dfu_uploads_wait_queued_on_endpoint_0() {
	write_seed
	# In realtime a transfer takes bus time, and the host keeps three
	# UPLOADs waiting on endpoint 0 (the device answers them one after the
	# other); the bytes read are whole and in order.
	run_ok -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port speed=realtime)"
	same_bytes "$WORK/dump.bin" "$WORK/seed.bin"
	stat_is .dfu.most_queued 3
}

t_dfu_sim_port_names_one_of_several_boards() {
	random_file "$WORK/fw.bin" 4096
	# count=2 without a choice: refused before the emulator starts (no
	# statistics written), naming the items that choose.
	run_fail -w "$WORK/fw.bin" "$(dfu_port count=2)"
	error_has "count=2 emulates 2 DFU boards: name the one to talk to with board=K (1 to 2) or serial=SERIAL"
	[ ! -e "$STATS" ] || fail "the emulator ran although no board was named"
	# board=2: the write lands on board 2 (USB port 1-2) and nowhere else.
	run_ok -w "$WORK/fw.bin" -v "$(dfu_port count=2,board=2)"
	out_has "usb dfu:1-2 serial "
	cmp -s -n 4096 <(tail -c +33 "$IMG.2") "$WORK/fw.bin" || fail "board 2 does not hold the file"
	[ "$(jq .program_operations "$STATS")" = 0 ] || fail "board 1 was programmed"
	local serial
	serial=$(sed -n 's/.*usb dfu:1-2 serial \([0-9A-F]*\).*/\1/p' "$OUT")
	[ -n "$serial" ] || fail "no serial number shown for board 2"
	# serial=: the same board by its serial (board 1 is blank, so the bytes tell).
	run_ok -r "$WORK/dump.bin" -S 0x08000000:4096 "$(dfu_port "count=2,serial=$serial")"
	out_has "usb dfu:1-2 serial $serial"
	same_bytes "$WORK/dump.bin" "$WORK/fw.bin"
	run_fail "$(dfu_port count=2,board=3)"
	error_has "board=3, but count=2 emulates boards 1 to 2"
	run_fail "$(dfu_port count=2,board=1,serial=$serial)"
	error_has "board= and serial= both name a board: give one"
}

t_dfu_list_finds_every_board() {
	sim_boards 2 --list
	[ "$STATUS" -eq 0 ] || fail "--list: exit status $STATUS"
	[ "$(grep -c '^dfu:[0-9A-F]\{12\} *dfu, USB 0483:df11 STM32  BOOTLOADER, serial ' "$OUT")" -eq 2 ] ||
		fail "--list does not show the two boards: $(cat "$OUT")"
	sim_boards 2 --list --json
	[ "$(jq -r '[.boards[] | select(.kind == "dfu") | .usb.serial] | unique | length' "$OUT")" = 2 ] ||
		fail "--list --json does not have two DFU boards with their serials"
	# No PORT: with two boards, refused with their list ...
	sim_boards 2
	[ "$STATUS" -eq 1 ] || fail "no PORT with two boards: exit status $STATUS"
	error_has "2 boards found"
	[ "$(grep -c '^  dfu:' "$ERR")" -eq 2 ] || fail "the two boards are not listed"
	# ... with one, that one.
	sim_boards 1 -r "$WORK/dump.bin" -S 0x08000000:4096
	[ "$STATUS" -eq 0 ] || fail "no PORT with one board: $(cat "$ERR")"
	out_has "Port:         dfu:"
	out_has "(the only board found: dfu, USB 0483:df11"
	[ "$(stat -c %s "$WORK/dump.bin")" -eq 4096 ] || fail "nothing read"
}

# ---- DfuSe .dfu files on the DFU port ----

# dfuse_pack ARGS...: dfuse-pack (dfu-util), skipping when it or its -i's
# python3-intelhex is missing.
dfuse_pack() {
	command -v dfuse-pack >/dev/null || { echo "SKIP: dfuse-pack not installed"; exit 77; }
	dfuse-pack "$@" >"$WORK/pack.out" 2>&1 || fail "dfuse-pack $*: $(cat "$WORK/pack.out")"
	if grep -q "IntelHex python module could not be found" "$WORK/pack.out"; then
		echo "SKIP: dfuse-pack -i needs python3-intelhex"
		exit 77
	fi
}

t_dfu_file_from_dfuse_pack_is_flashed() {
	write_seed
	random_file "$WORK/fw.bin" "$SIZE"
	# binutils' HEX (bin_to_hex in bash is slow for 64 KiB).
	objcopy -I binary -O ihex --change-addresses 0x08000000 "$WORK/fw.bin" "$WORK/fw.hex" ||
		fail "objcopy failed"
	dfuse_pack -i "$WORK/fw.hex" "$WORK/fw.dfu"
	run_ok -w "$WORK/fw.dfu" -v "$(dfu_port)"
	out_has "Wrote and verified $SIZE bytes"
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# Read back over DFU into a .dfu file: dfuse-pack finds the same bytes.
	run_ok -r "$WORK/back.dfu" -S "0x08000000:$SIZE" "$(dfu_port)"
	(cd "$WORK" && dfuse_pack -d back.dfu)
	! grep -qE 'CRC ERROR|PARSE ERROR' "$WORK/pack.out" || fail "dfuse-pack -d: $(cat "$WORK/pack.out")"
	same_bytes "$WORK/back.dfu.target0.image0.bin" "$WORK/fw.bin"
}

t_dfu_file_for_another_usb_device_needs_force() {
	write_seed
	random_file "$WORK/fw.bin" 4096
	dfuse_pack -D 0x1209:0x0001 -b "0x08000000:$WORK/fw.bin" "$WORK/other.dfu"
	run_fail -w "$WORK/other.dfu" "$(dfu_port)"
	error_has "USB device 1209:0001, not this 0483:DF11"
	hint_has "--force"
	nothing_written
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/seed.bin"
	run_ok --force -w "$WORK/other.dfu" -v "$(dfu_port)"
	err_has "--force: writing it anyway"
	flash_head "$WORK/got.bin"
	cmp -s -n 4096 "$WORK/got.bin" "$WORK/fw.bin" || fail "the forced write did not land"
	# 0xFFFF in the file matches any device.
	dfuse_pack -D 0xFFFF:0xFFFF -b "0x08000000:$WORK/fw.bin" "$WORK/any.dfu"
	run_ok -w "$WORK/any.dfu" "$(dfu_port)"
}

t_dfu_bad_dfu_file_is_refused_before_any_erase() {
	write_seed
	run_fail -w "$E2E_BAD/dfu-bad-crc.dfu" "$(dfu_port)"
	error_has "bad CRC"
	nothing_written
	random_file "$WORK/x.bin" 256
	# The F407's flash ends at 0x08100000.
	dfuse_pack -b "0x08100000:$WORK/x.bin" "$WORK/x.dfu"
	run_fail -w "$WORK/x.dfu" "$(dfu_port)"
	error_has "0x08100000 is outside"
	nothing_written
	stat_is '.dfu.commands."0x41"' null
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/seed.bin"
}

t_dfu_port_refuses_gpio_sequences_up_front() {
	# Refused before the port is opened: no device is needed to hear why.
	random_file "$WORK/fw.bin" 1024
	run_fail -i 'rts,-rts' -w "$WORK/fw.bin" "dfu:"
	error_has "-i: dfu: is a USB DFU port"
	err_lacks "no STM32 DFU device"
	# And through the emulator: nothing erased.
	run_fail -i 'rts,-rts' -w "$WORK/fw.bin" "$(dfu_port)"
	error_has "is a USB DFU port"
	nothing_written
}

t_dfu_moves_whole_transfer_size_blocks() {
	# -F is the UART's frame limit: over DFU writes and -r reads move
	# wTransferSize (2048) bytes a request.
	random_file "$WORK/fw.bin" "$SIZE"
	run_ok -w "$WORK/fw.bin" "$(dfu_port)"
	stat_is .program_operations $((SIZE / 2048))
	run_ok -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port)"
	same_bytes "$WORK/dump.bin" "$WORK/fw.bin"
	# the blocks, the option bytes at open (RDP level 0 in them: the flash
	# needs no probe) and the two blocks read ahead past the end
	stat_is '.dfu.requests.UPLOAD' $((SIZE / 2048 + 3))
}

t_dfu_blocks_follow_one_address_pointer() {
	# Consecutive blocks after one Set Address Pointer (0x21): wBlockNum n
	# addresses pointer + (n - 2) * wTransferSize (AN3156).
	random_file "$WORK/fw.bin" "$SIZE"
	run_ok -v -w "$WORK/fw.bin" "$(dfu_port)"
	flash_head "$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	# The option bytes at open, then one for the write and one for the
	# verify; the verify reads 2048 bytes a request, and the UPLOADs of the
	# two blocks after each one are already waiting (two too many at the end).
	stat_is '.dfu.commands."0x21"' 3
	stat_is '.dfu.requests.UPLOAD' $((SIZE / 2048 + 3))
	stat_is '.dfu.requests.DNLOAD' $((SIZE / 2048 + 4 + 3))
	stat_is '.dfu.errors' '{}'
	run_ok -r "$WORK/dump.bin" -S "0x08000000:$SIZE" "$(dfu_port)"
	same_bytes "$WORK/dump.bin" "$WORK/fw.bin"
	stat_is '.dfu.commands."0x21"' 2
	# A read that starts elsewhere sets the pointer again, and still reads right.
	run_ok -r "$WORK/part.bin" -S "0x08000800:6144" "$(dfu_port)"
	cmp -s "$WORK/part.bin" <(tail -c +2049 "$WORK/fw.bin" | head -c 6144) || fail "the part read differs"
	stat_is '.dfu.commands."0x21"' 2
	stat_is '.dfu.requests.UPLOAD' 6
	# Reading ahead stops at the end of the memory: the last 4 KiB of flash
	# are two UPLOADs and nothing past them.
	run_ok -r "$WORK/tail.bin" -S "0x080FF000:4096" "$(dfu_port)"
	stat_is '.dfu.requests.UPLOAD' 3
}
