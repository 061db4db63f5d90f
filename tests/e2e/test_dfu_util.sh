# Unmodified dfu-util (0.11) against stm32boot-sim --interface dfu: the
# emulated USB device must satisfy a peer we did not write.

DEVICE=stm32f407xg
SIZE=65536

dfu_util() { # dfu_util ARGS...: sets STATUS, OUT, ERR
	command -v dfu-util >/dev/null || { echo "SKIP: dfu-util not installed"; exit 77; }
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	rm -f "$STATS"
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --image "$IMG" \
		--stats "$STATS" ${SIM_SPEED:+--speed "$SIM_SPEED"} --run -- dfu-util "$@" \
		>"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report"
	fi
}

t_dfu_util_lists_alt_settings() {
	dfu_util -l
	[ "$STATUS" -eq 0 ] || fail "dfu-util -l: exit status $STATUS"
	out_has 'Found DFU: [0483:df11] ver=2200'
	out_has 'alt=0, name="@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"'
	out_has 'alt=1, name="@Option Bytes  /0x1FFFC000/01*016 e"'
	out_has 'alt=2, name="@OTP Memory /0x1FFF7800/01*528 e"'
}

t_dfu_util_download_then_upload() {
	random_file "$WORK/fw.bin" "$SIZE"
	dfu_util -a 0 -s 0x08000000:leave -D "$WORK/fw.bin"
	[ "$STATUS" -eq 0 ] || fail "dfu-util -D: exit status $STATUS"
	out_has "File downloaded successfully"
	stat_is .state '"application"'
	stat_is '.erased_pages | keys | sort_by(tonumber)' '["0","1","2","3"]'
	dfu_util -a 0 -s "0x08000000:$SIZE" -U "$WORK/back.bin"
	[ "$STATUS" -eq 0 ] || fail "dfu-util -U: exit status $STATUS"
	same_bytes "$WORK/back.bin" "$WORK/fw.bin"
}

t_dfu_util_waits_for_each_upload() {
	random_file "$WORK/fw.bin" 16384
	dfu_util -a 0 -s 0x08000000 -D "$WORK/fw.bin"
	[ "$STATUS" -eq 0 ] || fail "dfu-util -D: exit status $STATUS"
	# dfu-util sends one request, waits for it, then the next: in realtime
	# never more than one waits on endpoint 0 (stm32boot keeps three, test_dfu.sh).
	SIM_SPEED=realtime dfu_util -a 0 -s 0x08000000:16384 -U "$WORK/back.bin"
	[ "$STATUS" -eq 0 ] || fail "dfu-util -U: exit status $STATUS"
	same_bytes "$WORK/back.bin" "$WORK/fw.bin"
	stat_is .dfu.most_queued 1
}

t_dfu_util_mass_erase() {
	random_file "$WORK/fw.bin" "$SIZE"
	dfu_util -a 0 -s 0x08000000 -D "$WORK/fw.bin"
	[ "$STATUS" -eq 0 ] || fail "dfu-util -D: exit status $STATUS"
	random_file "$WORK/small.bin" 1024
	dfu_util -a 0 -s 0x08000000:mass-erase:force -D "$WORK/small.bin"
	[ "$STATUS" -eq 0 ] || fail "dfu-util mass-erase: exit status $STATUS"
	stat_is .mass_erases 1
	extract_flash "$WORK/all.flash"
	# The old data past the new kilobyte went with the mass erase.
	dd if="$WORK/all.flash" of="$WORK/rest.bin" bs=1024 skip=1 count=63 status=none
	erased_file "$WORK/erased.bin" $((SIZE - 1024))
	same_bytes "$WORK/rest.bin" "$WORK/erased.bin"
}

t_dfu_run_exits_with_the_commands_status() {
	STATUS=0
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --run -- sh -c 'exit 7' \
		>/dev/null 2>&1 || STATUS=$?
	[ "$STATUS" -eq 7 ] || fail "exit status $STATUS, expected 7"
	STATUS=0
	"$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface dfu --run -- \
		sh -c '[ -n "$UMOCKDEV_DIR" ] && [ -d "$UMOCKDEV_DIR/sys" ]' || STATUS=$?
	[ "$STATUS" -eq 0 ] || fail "the command did not see the testbed"
}

t_dfu_interface_refused_without_usb() {
	STATUS=0
	"$STM32BOOT_SIM_PROGRAM" --device stm32f103xb --interface dfu --run -- true \
		>/dev/null 2>"$WORK/err" || STATUS=$?
	[ "$STATUS" -eq 2 ] || fail "exit status $STATUS, expected 2 (usage)"
	grep -qF "has no USB DFU bootloader" "$WORK/err" || fail "no reason given: $(cat "$WORK/err")"
}

t_dfu_util_downloads_a_dfu_file_stm32boot_wrote() {
	# A .dfu file read by stm32boot through the UART bootloader of the same
	# chip image, then the flash erased; dfu-util -D puts it back.
	random_file "$WORK/fw.bin" "$SIZE"
	run_ok -w "$WORK/fw.bin" "sim:$DEVICE,image=$IMG"
	run_ok -r "$WORK/fw.dfu" -S "0x08000000:$SIZE" "sim:$DEVICE,image=$IMG"
	run_ok -o "sim:$DEVICE,image=$IMG"
	dfu_util -a 0 -D "$WORK/fw.dfu"
	[ "$STATUS" -eq 0 ] || fail "dfu-util -D fw.dfu: exit status $STATUS"
	out_has "Parsing element 1, address = 0x08000000, size = $SIZE"
	out_has "Done parsing DfuSe file"
	extract_flash "$WORK/all.flash"
	head -c "$SIZE" "$WORK/all.flash" >"$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}
