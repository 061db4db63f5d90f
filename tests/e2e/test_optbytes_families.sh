# Issue 18's proof, one test per family over the ROM path (UART on the
# emulator): show the fields, set one and read its raw byte and complement
# back from the emulator's image file, RDP level 2 refused by name,
# write-protect a group and see a write into it refused before anything is
# erased, -u lifting it. docs/option-bytes.md "Proof per family" lists which
# test covers each cell.

# opt_byte OFFSET: the option-area byte at OFFSET in $IMG as 0xHH (the image
# header holds the flash size: docs/sim.md).
opt_byte() {
	[ -e "$IMG" ] || fail "no image file"
	local flash
	flash=$(od -An -tu4 -j12 -N4 "$IMG" | tr -d ' ')
	printf '0x%02X' "0x$(od -An -tx1 -j$((32 + flash + $1)) -N1 "$IMG" | tr -d ' ')"
}

bytes_are() { # bytes_are OFFSET EXPECTED [OFFSET EXPECTED...]
	while [ $# -ge 2 ]; do
		local got
		got=$(opt_byte "$1")
		[ "$got" = "$2" ] || fail "option byte $1 is $got, expected $2"
		shift 2
	done
}

# show_and_set FIELD=VALUE OFFSET BYTE COMPLEMENT-OFFSET COMPLEMENT:
# --option-bytes lists the field at its factory value, --set-option writes
# it (read back by the CLI, and here from the image), and afterwards both
# --option-bytes and the connect summary name it as differing from factory.
show_and_set() {
	local name=${1%%=*}
	run_ok --option-bytes "$(port)"
	out_has "Option bytes of the $DEVICE"
	grep -qE "^  $name " "$OUT" || fail "$name is not shown at its factory value"
	run_ok --set-option "$1" "$(port)"
	out_has "Read back: the option bytes hold the new values."
	bytes_are "$2" "$3" "$4" "$5"
	run_ok --option-bytes "$(port)"
	grep -qE "^\* $name " "$OUT" || fail "$name is not marked as differing from factory"
	run_ok "$(port)"
	out_has "Option fields: $name="
}

rdp2_refused() {
	run_fail --set-option RDP=0xCC "$(port)"
	error_has "refusing RDP=0xCC"
	error_has "permanent"
	hint_has "--allow-permanent-lock"
	nothing_written
}

# protect_then_u GROUP WRP-OFFSET WRP-BYTE ADDRESS SIZE UNITS-SHOWN REFUSED [AFTER-U]:
# --write-protect GROUP sets the WRP byte; the summary shows the units; a
# write of SIZE bytes at ADDRESS is refused naming REFUSED and -u, nothing
# erased; -u leaves the WRP byte at AFTER-U (default: its factory value) and
# the write goes in.
protect_then_u() {
	local factory
	factory=${8:-$(opt_byte "$2")}
	run_ok --write-protect "$1" "$(port)"
	bytes_are "$2" "$3"
	run_ok "$(port)"
	out_has "Write-protected $6 (-u removes the protection)"
	random_file "$WORK/fw.bin" "$5"
	run_fail -w "$WORK/fw.bin" -S "$4" "$(port)"
	error_has "$7 write-protected"
	hint_has "-u removes write protection"
	nothing_written
	run_ok -u "$(port)"
	bytes_are "$2" "$factory"
	run_ok "$(port)"
	out_lacks "Write-protected"
	run_ok -w "$WORK/fw.bin" -S "$4" -v "$(port)"
	stat_at_least .program_operations 1
}

t_f0() {
	DEVICE=stm32f030x8 # 1 KiB pages, a WRP bit per 4 pages
	show_and_set nRST_STDBY=0 2 0xFB 3 0x04
	rdp2_refused
	protect_then_u 1 8 0xFD 0x08001000 1024 "pages: 4-7" "page 4 is"
}

# F1 has no level 2 (RM0008: any RDP byte but 0xA5 is level 1, undone by
# Readout Unprotect): 0xCC is shown as readout protection, not refused.
t_f1() {
	DEVICE=stm32f103xb
	show_and_set nRST_STDBY=0 2 0xFB 3 0x04
	run_ok --dry-run --set-option RDP=0xCC "$(port)"
	out_has "RDP: 0xA5 -> 0xCC (readout protected (back to 0xA5 erases the flash))"
	out_lacks "PERMANENT"
	protect_then_u 2 8 0xFB 0x08002000 1024 "pages: 8-11" "page 8 is"
}

t_f2() {
	DEVICE=stm32f2xx
	show_and_set nRST_STOP=0 0 0xAC 2 0x53
	rdp2_refused
	protect_then_u 2 8 0xFB 0x08008000 1024 "sectors: 2" "sector 2 is"
	bytes_are 10 0x00
}

t_f4() {
	DEVICE=stm32f407xg
	show_and_set BOR_LEV=2 0 0xE8 2 0x17
	rdp2_refused
	protect_then_u 3 8 0xF7 0x0800C000 1024 "sectors: 3" "sector 3 is"
}

t_f7() {
	DEVICE=stm32f74x # 32 KiB sectors 0-3
	show_and_set IWDG_STOP=0 9 0x7F 11 0x80
	rdp2_refused
	protect_then_u 1 8 0xFD 0x08008000 1024 "sectors: 1" "sector 1 is"
}

t_g0() {
	DEVICE=stm32g071rb # WRP1A_STRT/END bound an area of 2 KiB pages
	show_and_set nRST_SHDW=0 1 0x7E 5 0x81
	rdp2_refused
	# -u empties the area as STRT 0x7F > END 0 (RM0444: STRT > END, no area).
	protect_then_u 5 24 0x05 0x08002800 2048 "pages: 5" "page 5 is" 0x7F
	bytes_are 26 0x00
}

t_g4() {
	DEVICE=stm32g431
	show_and_set nRST_SHDW=0 1 0xB8 5 0x47
	rdp2_refused
	protect_then_u 5 24 0x05 0x08002800 2048 "pages: 5" "page 5 is" 0x7F
}

t_l0() {
	DEVICE=stm32l07x # 128-byte pages, a WRPROT bit per 4 KiB (32 pages); bit 40 in WRP45
	show_and_set nRST_STDBY=0 4 0x30 6 0xCF
	rdp2_refused
	protect_then_u 40 17 0x01 0x08028000 128 "pages: 1280-1311" "page 1280 is"
	bytes_are 19 0xFF
}

t_l1() {
	DEVICE=stm32l1-cat4 # 256-byte pages; the last 4 KiB is bit 95, in WRP1011 at 0x1C
	show_and_set nRST_STOP=0 4 0x50 6 0xAF
	rdp2_refused
	protect_then_u 95 29 0x80 0x0805F000 256 "pages: 1520-1535" "page 1520 is"
	bytes_are 31 0xFF
}

t_l4() {
	DEVICE=stm32l43x
	show_and_set IWDG_STDBY=0 2 0xEB 6 0x14
	rdp2_refused
	protect_then_u 7 24 0x07 0x08003800 2048 "pages: 7" "page 7 is"
}

# H7 over the ROM: no option area the bootloader maps (RM0433: FLASH_OPTSR
# and the WPSN registers). The fields are listed as unreachable, setting one
# is refused, and write protection, which the host cannot read back here, is
# said to be checked by the chip only: a write into the sector leaves it
# unwritten and -v reports it. The emulator keeps that protection in memory,
# so this runs against one emulator on a tty for the whole test.
t_h7_over_the_rom() {
	DEVICE=stm32h743zi
	run_ok --option-bytes "$(port)"
	out_has "registers the ROM bootloader does not map"
	out_has "RDP"
	run_ok "$(port)"
	out_lacks "Option fields:"
	run_fail --set-option RDP=0xCC "$(port)"
	error_has "no option bytes the ROM bootloader can reach"
	nothing_written
	tty_sim_start
	run_on_tty --no-stub --write-protect 0
	[ "$STATUS" -eq 0 ] || fail "--write-protect 0 failed: $(cat "$ERR")"
	grep -qF "cannot check a write against it beforehand" "$OUT" ||
		fail "the run does not say the host cannot see the protection"
	random_file "$WORK/fw.bin" 1024
	run_on_tty --no-stub -w "$WORK/fw.bin" -v
	[ "$STATUS" -eq 1 ] || fail "a verified write into a protected sector passed"
	grep -q "verify failed at 0x08000000" "$ERR" || fail "no verify failure: $(cat "$ERR")"
	grep -q "^hint: .*write-protected (-u removes it)" "$ERR" || fail "no -u hint"
	run_on_tty --no-stub -u
	[ "$STATUS" -eq 0 ] || fail "-u failed: $(cat "$ERR")"
	run_on_tty --no-stub -w "$WORK/fw.bin" -v
	[ "$STATUS" -eq 0 ] || fail "the write after -u failed: $(cat "$ERR")"
	sim_stop
}
