# --option-bytes, --set-option and --write-protect against the emulator,
# per family: show, set a field and read the raw byte back from the
# emulator's image file, RDP level 2 refused by name, write protection
# refusing a write until -u lifts it.

# opt_byte OFFSET: the option-area byte at OFFSET in $IMG, as 0xHH (the
# image header says where the flash ends: docs/architecture.md).
opt_byte() {
	[ -e "$IMG" ] || fail "no image file"
	local flash
	flash=$(od -An -tu4 -j12 -N4 "$IMG" | tr -d ' ')
	printf '0x%02X' "0x$(od -An -tx1 -j$((32 + flash + $1)) -N1 "$IMG" | tr -d ' ')"
}

byte_is() { # byte_is OFFSET EXPECTED
	local got
	got=$(opt_byte "$1")
	[ "$got" = "$2" ] || fail "option byte $1 is $got, expected $2"
}

# set_and_check DEVICE FIELD=VALUE OFFSET BYTE COMPLEMENT-OFFSET COMPLEMENT
set_and_check() {
	DEVICE=$1
	run_ok --option-bytes "$(port)"
	out_has "Option bytes of the $1"
	out_has "${2%%=*}"
	out_lacks "* ${2%%=*}"
	run_ok --set-option "$2" "$(port)"
	out_has "Read back: the option bytes hold the new values."
	byte_is "$3" "$4"
	byte_is "$5" "$6"
	run_ok --option-bytes "$(port)"
	grep -qE "^\* ${2%%=*} " "$OUT" || fail "${2%%=*} is not marked as differing from factory"
	run_ok "$(port)"
	out_has "Option fields: ${2%%=*}="
}

t_f1_set_wdg_sw() { set_and_check stm32f103xb WDG_SW=0 2 0xFE 3 0x01; }
t_f3_set_wdg_sw() { set_and_check stm32f303xc WDG_SW=0 2 0xFE 3 0x01; }
t_f3_set_sdadc_monitor() { set_and_check stm32f37x SDADC12_VDD_MONITOR=0 2 0x7F 3 0x80; }
t_wb_set_iwdg_sw() { set_and_check stm32wb55 IWDG_SW=0 2 0xEE 6 0x11; }
t_wl_set_wwdg_sw() { set_and_check stm32wl55 WWDG_SW=0 2 0xE7 6 0x18; }
t_f0_set_nrst_stop() { set_and_check stm32f030x8 nRST_STOP=0 2 0xFD 3 0x02; }
t_f4_set_bor_lev() { set_and_check stm32f407xg BOR_LEV=0 0 0xE0 2 0x1F; }
t_g0_set_nboot0() { set_and_check stm32g071rb nBOOT0=0 3 0xFB 7 0x04; }
t_g4_set_nrst_mode() { set_and_check stm32g431 NRST_MODE=1 3 0xDF 7 0x20; }
t_l0_set_bor_lev() { set_and_check stm32l07x BOR_LEV=8 4 0x78 6 0x87; }
t_l1_set_iwdg_sw() { set_and_check stm32l1-cat2 IWDG_SW=0 4 0x60 6 0x9F; }
t_l4_set_nrst_stop() { set_and_check stm32l43x nRST_STOP=0 1 0xE8 5 0x17; }

t_dry_run_shows_before_after() {
	DEVICE=stm32f407xg
	run_ok --dry-run --set-option BOR_LEV=1 --set-option WDG_SW=0 "$(port)"
	out_has "BOR_LEV: 0x3 -> 0x1"
	out_has "WDG_SW: 1 -> 0 (hardware watchdog"
	out_has "Dry run"
	nothing_written
	[ ! -e "$IMG" ] || byte_is 0 0xEC
}

t_wl_boot_lock_refused_by_name() {
	DEVICE=stm32wl55
	run_fail --set-option BOOT_LOCK=1 "$(port)"
	error_has "refusing BOOT_LOCK=0x1"
	hint_has "--allow-permanent-lock"
	nothing_written
}

t_rdp_level2_refused_by_name() {
	for DEVICE in stm32f407xg stm32g071rb stm32l07x; do
		IMG=$WORK/$DEVICE.img
		run_fail --set-option RDP=0xCC "$(port)"
		error_has "refusing RDP=0xCC"
		hint_has "--allow-permanent-lock"
		nothing_written
	done
}

t_unknown_field_and_value() {
	run_fail --set-option NOPE=1 "$(port)"
	error_has "no option byte named 'NOPE'"
	error_has "WDG_SW"
	run_fail --set-option WDG_SW=2 "$(port)"
	error_has "valid: 0x0 (hardware watchdog"
	run_fail --set-option nRDP=0 "$(port)"
	error_has "derived"
	run_fail --set-option WDG_SW=0,Data0=0x100 "$(port)"
	error_has "Data0=0x100"
	nothing_written
	[ ! -e "$IMG" ] || byte_is 2 0xFF
}

t_allow_permanent_lock_needs_a_change() {
	run_fail --allow-permanent-lock --option-bytes "$(port)"
	error_has "only applies to -w and --set-option"
}

t_write_protect_refuses_write_until_u() {
	run_ok --write-protect 0-1 "$(port)"
	byte_is 8 0xFC
	run_ok "$(port)"
	out_has "Write-protected pages: 0-7"
	random_file "$WORK/fw.bin" 2048
	run_fail -w "$WORK/fw.bin" "$(port)"
	error_has "pages 0-1 are write-protected"
	hint_has "-u removes write protection"
	nothing_written
	run_fail -o "$(port)"
	error_has "pages 0-7 are write-protected"
	nothing_written
	run_ok -u "$(port)"
	byte_is 8 0xFF
	run_ok -w "$WORK/fw.bin" "$(port)"
}

t_write_protect_f4_sector() {
	DEVICE=stm32f407xg
	run_ok --write-protect 1 "$(port)"
	byte_is 8 0xFD
	random_file "$WORK/fw.bin" 1024
	run_fail -w "$WORK/fw.bin" -S 0x08004000 "$(port)"
	error_has "sector 1 is write-protected"
	run_ok -w "$WORK/fw.bin" "$(port)"
}

# L0/L1: Write Protect sets WRPROT bits (1 protects) in the option bytes, so
# --option-bytes and the connect summary show the pages afterwards.
t_write_protect_l0_l1_in_option_bytes() {
	DEVICE=stm32l07x
	IMG=$WORK/$DEVICE.img
	run_ok --write-protect 1 "$(port)"
	byte_is 8 0x02
	byte_is 10 0xFD
	run_ok --option-bytes "$(port)"
	out_has "Write-protected pages: 32-63"
	random_file "$WORK/fw.bin" 256
	run_fail -w "$WORK/fw.bin" -S 0x08001000 "$(port)"
	error_has "pages 32-33 are write-protected"
	run_ok -u "$(port)"
	byte_is 8 0x00
	byte_is 10 0xFF
	run_ok -w "$WORK/fw.bin" -S 0x08001000 "$(port)"
	DEVICE=stm32l1-cat2
	IMG=$WORK/$DEVICE.img
	run_ok --write-protect 17 "$(port)"
	byte_is 12 0x02
	byte_is 14 0xFD
	run_ok "$(port)"
	out_has "Write-protected pages: 272-287"
}

# F7: nWRP in the halfword at offset 8 (complement at 10), 0 protects.
t_write_protect_f7_sector() {
	DEVICE=stm32f74x
	run_ok --option-bytes "$(port)"
	out_has "BOOT_ADD0"
	out_lacks "* nWRP"
	run_ok --write-protect 2 "$(port)"
	byte_is 8 0xFB
	byte_is 10 0x04
	run_ok --option-bytes "$(port)"
	out_has "Write-protected sectors: 2"
	run_ok --set-option BOOT_ADD0=0x2000 "$(port)"
	byte_is 16 0x00
	byte_is 17 0x20
	byte_is 19 0xDF
}

t_write_protect_bad_list() {
	run_fail --write-protect 40 "$(port)"
	error_has "past the last write-protection group (0-31)"
	run_fail --write-protect 3-x "$(port)"
	error_has "'3-x' is not a number or a range"
	nothing_written
}

t_h7_fields_unreachable() {
	DEVICE=stm32h743zi
	run_ok --option-bytes "$(port)"
	out_has "registers the ROM bootloader does not map"
	out_has "RDP"
	run_fail --set-option RDP=0xBB "$(port)"
	error_has "no option bytes the ROM bootloader can reach"
}

# L5, U5 (FLASH_OPTR) and H5 (FLASH_OPTSR), no mapped option area either:
# their fields are listed by name, not reachable.
t_l5_u5_h5_fields_unreachable() {
	DEVICE=stm32h563zi
	IMG=$WORK/h5.img
	run_ok --option-bytes "$(port)"
	out_has "PRODUCT_STATE"
	run_fail --set-option PRODUCT_STATE=0x17 "$(port)"
	error_has "no option bytes the ROM bootloader can reach"
	for DEVICE in stm32l552 stm32u575; do
		IMG=$WORK/$DEVICE.img
		run_ok --option-bytes "$(port)"
		out_has "registers the ROM bootloader does not map"
		out_has "TZEN"
		out_has "nSWBOOT0"
		run_fail --set-option TZEN=1 "$(port)"
		error_has "no option bytes the ROM bootloader can reach"
	done
}

t_help_lists_option_byte_actions() {
	run_ok --help
	out_has "--option-bytes"
	out_has "--set-option NAME=VALUE"
	out_has "--write-protect LIST"
}

# nBOOT1 = 0 (RM0091 "Boot configuration"): BOOT0 high now boots the SRAM,
# so the reset after the write does not come back to the bootloader.
t_f0_nboot1_zero_boots_sram() {
	DEVICE=stm32f030x8
	run_ok --dry-run --set-option nBOOT1=0 "$(port)"
	out_has "nBOOT1: 1 -> 0"
	run_fail --set-option nBOOT1=0 "$(port)"
	byte_is 2 0xEF
	byte_is 3 0x10
	stat_is .last_boot '"sram"'
	stat_is .boots_sram 1
	run_fail "$(port)"
	stat_is .boots_bootloader 0
}

# G0 (RM0444): the factory nBOOT_SEL = 1 and nBOOT0 = 1 boot main flash
# whatever the BOOT0 pin says, and the empty check (first word erased, latched
# at power-on) starts the bootloader on a blank chip instead.
t_g0_empty_check_then_software_boot() {
	DEVICE=stm32g071rb
	run_ok "$(port)"
	stat_is .last_boot '"system"'
	printf '\000\040\000\040\011\000\000\010' >"$WORK/fw.bin" # MSP, reset vector
	# A system reset alone would keep the latch (still "empty": the
	# bootloader again); -R's stub clears FLASH_ACR.EMPTY first, so the
	# program just written starts.
	run_ok -w "$WORK/fw.bin" -R "$(port)"
	stat_is .last_boot '"flash"'
	run_fail "$(port)"    # power-on: the flash is no longer empty
	stat_is .last_boot '"flash"'
	stat_is .boots_bootloader 0
}

# nBOOT_SEL = 0: the BOOT0 pin (tied high without wiring) decides again.
t_g0_boot0_pin_after_nboot_sel() {
	DEVICE=stm32g071rb
	run_ok --set-option nBOOT_SEL=0 "$(port)"
	printf '\000\040\000\040\011\000\000\010' >"$WORK/fw.bin"
	run_ok -w "$WORK/fw.bin" "$(port)"
	run_ok "$(port)"
	stat_is .last_boot '"system"'
}

# A bank erase is refused when a WRP area protects a page of the bank
# (L47x: bank 1's WRP1AR/WRP1BR at 0x1FFF7818/0x1FFF7820, RM0351): the
# plan erases bank 1 as one bank erase (0xFFFE), not as a page list.
t_bank_erase_refused_on_protected_page() {
	DEVICE=stm32l476rg
	run_ok --dry-run -o -s 0 -e 256 "$(port)"
	out_has "erase:  bank 1 (bank erase)"
	run_ok --write-protect 10 "$(port)"
	byte_is 24 0x0A
	byte_is 26 0x0A
	byte_is 28 0xF5
	run_ok --option-bytes "$(port)"
	out_has "Write-protected pages: 10"
	run_fail -o -s 0 -e 256 "$(port)"
	error_has "page 10 is write-protected"
	hint_has "-u removes write protection"
	stat_is .bank_erases 0
	# Bank 2 holds no protected page: its bank erase goes ahead.
	run_ok -o -s 256 -e 256 "$(port)"
	stat_is .bank_erases 1
	run_ok -u "$(port)"
	run_ok -o -s 0 -e 256 "$(port)"
	stat_is .bank_erases 1
	stat_is .rdp_level 0
}

# F3 (RM0365: one WRP bit protects two 2 KiB pages) and WB (WRP1AR page
# areas, 8-bit bounds): write protection by group, a write into it refused
# before anything is erased, -u lifting it.
t_write_protect_f3_group() {
	DEVICE=stm32f303xc
	run_ok --write-protect 1 "$(port)"
	byte_is 8 0xFD
	byte_is 9 0x02
	run_ok --option-bytes "$(port)"
	out_has "Write-protected pages: 2-3"
	random_file "$WORK/fw.bin" 8192
	run_fail -w "$WORK/fw.bin" "$(port)"
	error_has "pages 2-3 are write-protected"
	nothing_written
	run_ok -u "$(port)"
	byte_is 8 0xFF
	run_ok -w "$WORK/fw.bin" "$(port)"
}

t_write_protect_wb_page_area() {
	DEVICE=stm32wb55
	run_ok --write-protect 0-1 "$(port)"
	byte_is 24 0x00
	byte_is 26 0x01
	run_ok --option-bytes "$(port)"
	out_has "Write-protected pages: 0-1"
	random_file "$WORK/fw.bin" 2048
	run_fail -w "$WORK/fw.bin" "$(port)"
	error_has "page 0 is write-protected"
	nothing_written
	run_ok -u "$(port)"
	byte_is 24 0xFF
	run_ok -w "$WORK/fw.bin" "$(port)"
}

# F7 (RM0385): BOOT_ADD1 names where a BOOT0-high reset boots; pointed at
# flash (0x2000: 0x08000000) the bootloader is left behind at the reset that
# follows the write.
t_f7_boot_add1_moves_the_boot() {
	DEVICE=stm32f74x
	run_fail --set-option BOOT_ADD1=0x2000 "$(port)"
	byte_is 24 0x00
	byte_is 25 0x20
	stat_is .last_boot '"flash"'
	run_fail "$(port)"
	stat_is .boots_bootloader 0
}

# A single-bank L4 (L43x, RM0394) keeps write protection in WRP1AR too.
t_write_protect_l43x_page_area() {
	DEVICE=stm32l43x
	run_ok --write-protect 3-4 "$(port)"
	byte_is 24 0x03
	byte_is 26 0x04
	byte_is 28 0xFC
	run_ok --option-bytes "$(port)"
	out_has "Write-protected pages: 3-4"
	run_ok -u "$(port)"
	byte_is 24 0xFF
	byte_is 26 0x00
}

# PCROP areas shown as pages: G0 bounds count 512-byte blocks (RM0444), L4
# bounds double words (RM0351), both included, from the flash start.
t_pcrop_areas_shown_as_pages() {
	DEVICE=stm32g071rb
	run_ok --option-bytes "$(port)"
	out_has "PCROP pages (code that runs but cannot be read): none"
	run_ok --set-option PCROP1A_STRT=4,PCROP1A_END=7 "$(port)"
	byte_is 8 0x04
	byte_is 16 0x07
	run_ok --option-bytes "$(port)"
	out_has "PCROP pages (code that runs but cannot be read): 1"
	run_ok "$(port)"
	out_has "PCROP pages (code that runs but cannot be read): 1"
	DEVICE=stm32l43x
	IMG=$WORK/l43x.img
	run_ok --set-option PCROP1_STRT=0x100,PCROP1_END=0x2FF "$(port)"
	run_ok --option-bytes "$(port)"
	out_has "PCROP pages (code that runs but cannot be read): 1-2"
	# Families without PCROP bounds in the table say nothing of it.
	DEVICE=stm32f103xb
	IMG=$WORK/f1.img
	run_ok --option-bytes "$(port)"
	out_lacks "PCROP"
}
