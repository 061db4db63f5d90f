# The option-byte view on every back end that reads option bytes (issue
# 18): --dry-run --set-option shows each field before -> after and writes
# nothing; after the write the connect summary lists the fields that differ
# from factory and the protected sectors, and --option-bytes marks them with
# '*'. The ROM over UART, DFU (stm32boot re-run under the emulator's USB
# device) and SWD (through the emulated ST-LINK), all on one F407.

DEVICE=stm32f407xg

dfu_port() { echo "sim:$DEVICE,interface=dfu,image=$IMG,stats=$STATS"; }

# on_probe STM32BOOT-ARGS...: stm32boot under the emulated ST-LINK.
on_probe() {
	RUNS=$((RUNS + 1))
	OUT=$WORK/out.$RUNS
	ERR=$WORK/err.$RUNS
	echo "stm32boot $*" >"$WORK/cmd.$RUNS"
	rm -f "$STATS"
	STATUS=0
	timeout 100 "$STM32BOOT_SIM_PROGRAM" --device "$DEVICE" --interface stlink --image "$IMG" \
		--stats "$STATS" --run -- "$STM32BOOT" "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR" || fail "sanitizer report"
}

# A build without umockdev, unicorn or libusb has no such back end: skipped.
skip_if_not_built() {
	if grep -q "built without" "$ERR"; then
		echo "SKIP: $(grep -m1 'built without' "$ERR")"
		exit 77
	fi
}

# opt_byte OFFSET: the option-area byte at OFFSET in $IMG, as 0xHH.
opt_byte() {
	local flash
	flash=$(od -An -tu4 -j12 -N4 "$IMG" | tr -d ' ')
	printf '0x%02X' "0x$(od -An -tx1 -j$((32 + flash + $1)) -N1 "$IMG" | tr -d ' ')"
}

succeeded() { [ "$STATUS" -eq 0 ] || fail "exit status $STATUS, expected 0"; }

# The checks after a run of each kind, the same whatever carried them.
dry_run_shows_before_after() {
	out_has "Would change option bytes:"
	out_has "  nRST_STOP: 1 -> 0 (reset when entering Stop mode)"
	out_has "  BOR_LEV: 0x3 -> 0x1 (BOR level 2)"
}

summary_lists_what_differs() {
	out_has "Option fields: BOR_LEV=0x1 (BOR level 2), nRST_STOP=0 (reset when entering Stop mode), nWRP=0xFF7"
	out_has "Write-protected sectors: 3 (-u removes the protection)"
}

fields_marked() {
	grep -qE '^\* nRST_STOP +0 ' "$OUT" || fail "nRST_STOP is not marked as differing"
	grep -qE '^\* BOR_LEV +0x1 ' "$OUT" || fail "BOR_LEV is not marked as differing"
	grep -qE '^  WDG_SW +1 ' "$OUT" || fail "WDG_SW, at its factory value, is marked"
	out_has "Write-protected sectors: 3"
}

t_rom_summary_and_marks() {
	run_ok --dry-run --set-option nRST_STOP=0,BOR_LEV=1 "$(port)"
	dry_run_shows_before_after
	nothing_written
	run_ok --option-bytes "$(port)"
	! grep -qE '^\* ' "$OUT" || fail "a field of a fresh chip is marked as differing"
	run_ok --set-option nRST_STOP=0,BOR_LEV=1 "$(port)"
	run_ok --write-protect 3 "$(port)"
	run_ok "$(port)"
	summary_lists_what_differs
	run_ok --option-bytes "$(port)"
	fields_marked
}

t_dfu_summary_and_marks() {
	run --dry-run --set-option nRST_STOP=0,BOR_LEV=1 "$(dfu_port)"
	skip_if_not_built
	succeeded
	dry_run_shows_before_after
	nothing_written
	run_ok --set-option nRST_STOP=0,BOR_LEV=1 "$(dfu_port)"
	out_has "Read back: the option bytes hold the new values."
	run_ok --write-protect 3 "$(dfu_port)"
	run_ok "$(dfu_port)"
	out_has "through the USB DFU bootloader"
	summary_lists_what_differs
	run_ok --option-bytes "$(dfu_port)"
	fields_marked
}

t_swd_summary_and_marks() {
	on_probe --dry-run --set-option nRST_STOP=0,BOR_LEV=1 stlink:
	skip_if_not_built
	succeeded
	dry_run_shows_before_after
	[ "$(opt_byte 0)" = 0xEC ] || fail "a dry run changed the USER byte: $(opt_byte 0)"
	on_probe --set-option nRST_STOP=0,BOR_LEV=1 stlink:
	succeeded
	out_has "Read back: the option bytes hold the new values."
	on_probe --write-protect 3 stlink:
	succeeded
	on_probe stlink:
	succeeded
	out_has "through the ST-LINK (SWD)"
	summary_lists_what_differs
	on_probe --option-bytes stlink:
	succeeded
	fields_marked
}
