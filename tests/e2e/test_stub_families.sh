# --stub on the flash controllers whose driver came after F0-F4/G0/G4/L4:
# the L0/L1 PECR controller (stub/flash_pecr.c), whose flash erases to
# 0x00. As test_stub.sh (whose helpers these tests use): the flash through
# the stub must be the flash the ROM's own writes give.

. "$(dirname "${BASH_SOURCE[0]}")/test_stub.sh"

# Random bytes with a run of 0xFF (data on zero-erased flash: programmed)
# and a run of 0x00 (what erased flash holds: may be skipped).
firmware_with_runs() { # firmware_with_runs OUT SIZE
	{
		head -c 3000 /dev/urandom
		head -c 2000 /dev/zero | tr '\0' '\377'
		head -c 500 /dev/urandom
		head -c 1500 /dev/zero
		head -c $(($2 - 7000)) /dev/urandom
	} >"$1"
}

t_write_verify_l0_and_l1_give_the_flash_the_rom_gives() {
	needs_core
	for DEVICE in stm32l07x stm32l1-cat1; do
		IMG=$WORK/$DEVICE.img
		rm -f "$IMG"
		firmware_with_runs "$WORK/fw.bin" 20004 # not whole half pages
		write_both "$WORK/fw.bin"
		same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
		flash_slice "$WORK/written.bin" 0 20004
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		out_has "RAM stub pecr"
		out_has "verified (by CRC)"
		stat_is '.core.faults' 0
		stat_is '.core.usart_rx_errors' 0
		few_overruns
		if [ "$DEVICE" = stm32l07x ]; then
			# The PLL at 32 MHz (voltage range 1, one wait state): 1 Mbaud,
			# the ladder's top at 32 clocks a bit, no byte lost there.
			out_has "USART clock 32000000 Hz"
			out_has "Stub running at 1000000 baud 8N1"
		else
			# L1 stays at 460800 on the ladder (stub_baud.c, on_ladder):
			# on HSI16, no PLL needed.
			out_has "USART clock 16000000 Hz"
			out_has "Stub running at 460800 baud 8N1"
		fi
	done
}

# Asked for, 1 Mbaud on L1 puts its PLL at 32 MHz (voltage range 1, ACC64
# then one wait state) and the write still gives the flash written (an
# overrun now and then is resent: why the ladder stops at 460800 there).
t_l1_at_1_mbaud_runs_its_pll_at_32_mhz() {
	needs_core
	DEVICE=stm32l1-cat2
	firmware_with_runs "$WORK/fw.bin" 12000
	run_ok --stub --verbose --stub-baud 1000000 -w "$WORK/fw.bin" -v "$(port)"
	out_has "USART clock 32000000 Hz"
	out_has "Stub running at 1000000 baud 8N1"
	out_has "verified (by CRC)"
	flash_slice "$WORK/written.bin" 0 12000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	stat_is '.core.faults' 0
	stat_is '.core.usart_rx_errors' 0
}

t_erase_and_read_through_the_l1_stub() {
	needs_core
	DEVICE=stm32l1-cat3
	random_file "$WORK/fw.bin" 8192
	run_ok --no-stub -w "$WORK/fw.bin" "$(port)"
	run_ok --stub -r "$WORK/got.bin" -S 0x08000000:8192 "$(port)"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	out_has "Checked by the chip's checksum"
	# No mass-erase bit: the stub erases the pages one by one.
	run_ok --stub -o "$(port)"
	stat_at_least '.core.peripherals.FLASH.writes' 1024
	extract_flash "$WORK/all.flash"
	head -c "$(stat -c %s "$WORK/all.flash")" /dev/zero >"$WORK/zeros.bin"
	same_bytes "$WORK/all.flash" "$WORK/zeros.bin"
}

t_l0_parts_the_stub_cannot_use_are_refused_before_loading() {
	DEVICE=stm32l05x # 4 KiB the ROM leaves
	random_file "$WORK/fw.bin" 1024
	run_fail --stub -w "$WORK/fw.bin" "$(port)"
	error_has "does not fit"
	stat_is '.commands."0x31" // 0' 0
	# And L031/L041, whose ROM cannot write RAM at all.
	DEVICE=stm32l031
	IMG=$WORK/l031.img
	run_fail --stub -w "$WORK/fw.bin" "$(port)"
	error_has "bootloader cannot write RAM"
}

# WB and WL: the 64-bit image (flash_dword.c on the controller at
# 0x58004000, the L4's RCC at 0x58000000).
t_write_verify_wb_and_wl_give_the_flash_the_rom_gives() {
	needs_core
	local rate
	for DEVICE in stm32wb55 stm32wl55; do
		IMG=$WORK/$DEVICE.img
		rm -f "$IMG"
		firmware_with_runs "$WORK/fw.bin" 20000
		write_both "$WORK/fw.bin"
		same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
		flash_slice "$WORK/written.bin" 0 20000
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		out_has "RAM stub dword"
		out_has "verified (by CRC)"
		# The PLL: WB at 64 MHz makes 2 Mbaud, WL at its 48 MHz maximum
		# 1 Mbaud (the ladder keeps 32 clocks a bit), with no byte lost.
		rate=2000000
		[ "$DEVICE" = stm32wl55 ] && rate=1000000
		out_has "Stub running at $rate baud 8N1"
		stat_is '.core.usart_rx_errors' 0
		few_overruns
		stat_is '.core.faults' 0
		stat_is '.core.lockups' 0
		run_ok --stub -r "$WORK/got.bin" -S 0x08000000:20000 "$(port)"
		same_bytes "$WORK/got.bin" "$WORK/fw.bin"
	done
}

# WB: from FLASH_SFR.SFSA up (FSD clear) the flash is CPU2's; the stub
# reads it and says so in its HELLO, the host refuses before erasing.
t_wb_secure_flash_of_cpu2_is_not_touched_through_the_stub() {
	needs_core
	DEVICE=stm32wb55
	random_file "$WORK/fw.bin" 4096
	run_ok --no-stub -w "$WORK/fw.bin" "$(port)" # creates the chip: FSD set
	# The option word at 0x70 (SFR): SFSA 0xF0 (0x080F0000), FSD clear.
	local options=$((32 + $(image_u32 12)))
	printf '\360\376\377\377\017\001\000\000' |
		dd of="$IMG" bs=1 seek=$((options + 0x70)) conv=notrunc status=none
	extract_flash "$WORK/before.flash"
	run_fail --stub -w "$WORK/fw.bin" -S 0x080EF800 "$(port)" # its second half in the area
	error_has "would reach 0x080F0000, CPU2's secure flash (from 0x080F0000, FLASH_SFR.SFSA 0xF0)"
	run_fail --stub -o "$(port)"
	error_has "a mass or bank erase would reach 0x080F0000, CPU2's secure flash"
	extract_flash "$WORK/after.flash"
	same_bytes "$WORK/after.flash" "$WORK/before.flash"
	# Below it, as before.
	random_file "$WORK/low.bin" 8192
	run_ok --stub -w "$WORK/low.bin" -v -S 0x080E0000 "$(port)"
	flash_slice "$WORK/written.bin" $((0xE0000)) 8192
	same_bytes "$WORK/written.bin" "$WORK/low.bin"
}
