# --stub: the RAM stub (stub/, docs/stub-protocol.md) loaded through the
# ROM bootloader and run on the emulator's Cortex-M core, against the same
# actions over the ROM protocol (--no-stub). Skipped when the emulator was
# built without the core.

needs_core() {
	ldd "$STM32BOOT_SIM_PROGRAM" | grep libunicorn >/dev/null ||
		{ echo "SKIP: emulator built without the core (libunicorn)"; exit 77; }
}

# The ROM's share of a --stub run: what the host sent minus what the
# stub's USART received.
rom_bytes() {
	echo $(( $(jq .bytes_in "$STATS") - $(jq .core.usart_rx_bytes "$STATS") ))
}

# write_both FILE [OPTIONS...]: FILE written with -v through the ROM into
# rom.flash and through the stub into the chip's image ($IMG).
write_both() {
	local file=$1; shift
	run_ok --no-stub -w "$file" -v "$@" "$(port)"
	extract_flash "$WORK/rom.flash"
	rm -f "$IMG"
	run_ok --stub --verbose -w "$file" -v "$@" "$(port)"
	extract_flash "$WORK/stub.flash"
}

t_write_verify_f103_gives_the_flash_the_rom_gives() {
	needs_core
	random_file "$WORK/fw.bin" 40000
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "RAM stub f1"
	out_has "verified (by CRC)"
	# The ladder's first rate: the stub's PLL (64 MHz) makes 2 Mbaud, and
	# the host's bytes reached its USART at the rate its BRR gives.
	out_has "Stub running at 2000000 baud 8N1"
	out_has "USART clock 64000000 Hz"
	stat_is '.core.usart_rx_errors' 0
	# The ROM only loaded the stub: 256-byte Write Memory blocks into RAM.
	stat_at_least '.commands."0x31"' 1
	stat_is '.commands."0x31" <= 26' true # the image in 256-byte blocks (6.5 KiB or so)
	stat_is '.commands."0x21"' 1
	stat_is '.core.faults' 0
	# No overrun check: at 2 Mbaud the 32 MHz stub has 160 cycles a byte
	# and now and then misses one while it sends a reply (how often depends
	# on when the host's writes reach the emulator); the frame's CRC fails
	# and go-back-N sends it again, which the identical flash above shows.
}

t_write_verify_f411_gives_the_flash_the_rom_gives() {
	needs_core
	DEVICE=stm32f411xe
	random_file "$WORK/fw.bin" 36000 # three 16 KiB sectors
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "RAM stub f4"
	stat_is '.core.faults' 0
	# On HSI16 the stub could not take a byte every 5 us (it settled at
	# 1 Mbaud); for 2 Mbaud it puts the PLL at 64 MHz first, and then no
	# byte is lost.
	out_has "Stub running at 2000000 baud 8N1"
	few_overruns
}

t_write_verify_g071_gives_the_flash_the_rom_gives() {
	needs_core
	DEVICE=stm32g071rb
	random_file "$WORK/fw.bin" 30000
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "RAM stub dword"
	stat_is '.core.faults' 0
	# HSI16 x 8 / 2 = 64 MHz (two wait states): 2 Mbaud, no byte lost.
	out_has "USART clock 64000000 Hz"
	out_has "Stub running at 2000000 baud 8N1"
	stat_is '.core.usart_rx_errors' 0
	few_overruns
}

# A PLL that never locks (the emulator's --faults pll-stuck=1): the stub
# leaves SYSCLK on HSI, says so in HELLO, refuses the rates HSI makes with
# fewer than 32 clocks a bit (BAUD), and the ladder settles where HSI
# keeps up; the write is still the ROM's.
t_a_pll_that_never_locks_leaves_the_stub_on_hsi() {
	needs_core
	local d rate clock
	for d in stm32g071rb:460800:16000000 stm32l07x:460800:16000000 stm32f103xb:230400:8000000; do
		DEVICE=${d%%:*}
		rate=${d#*:}; clock=${rate#*:}; rate=${rate%%:*}
		IMG=$WORK/$DEVICE.img
		rm -f "$IMG"
		random_file "$WORK/fw.bin" 20000
		run_ok --stub --verbose -w "$WORK/fw.bin" -v "$(port faults=pll-stuck=1)"
		out_has "USART clock $clock Hz"
		out_has "Stub running at $rate baud 8N1"
		out_has "verified (by CRC)"
		flash_slice "$WORK/written.bin" 0 20000
		same_bytes "$WORK/written.bin" "$WORK/fw.bin"
		few_overruns
		stat_is '.core.faults' 0
	done
}

# Across the bank boundary of a dual-bank L4 (bank 2 pages need BKER).
t_write_verify_l476_across_its_banks_gives_the_flash_the_rom_gives() {
	needs_core
	DEVICE=stm32l476rg
	random_file "$WORK/fw.bin" 20000
	write_both "$WORK/fw.bin" -S 0x0807F000
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "RAM stub dword"
	# The PLL at 64 MHz (three wait states): 2 Mbaud, no byte lost.
	out_has "USART clock 64000000 Hz"
	out_has "Stub running at 2000000 baud 8N1"
	stat_is '.core.usart_rx_errors' 0
	few_overruns
}

# G4 (RM0440: PLLM 7:4, PLLR 26:25) under the full 64-bit image: 64 MHz
# on the PLL, 2 Mbaud.
t_write_verify_g474_at_2_mbaud_gives_the_flash_the_rom_gives() {
	needs_core
	DEVICE=stm32g474
	random_file "$WORK/fw.bin" 24000
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "RAM stub dword"
	out_has "USART clock 64000000 Hz"
	out_has "Stub running at 2000000 baud 8N1"
	stat_is '.core.usart_rx_errors' 0
	few_overruns
	stat_is '.core.faults' 0
}

# The F030x8's bootloader leaves 6 KiB of RAM: the small F0 image (no LZ4,
# no held-back erases, 256-byte frames, two slots) fits where the family's
# image does not, and writes what the ROM writes.
t_write_verify_32k_on_f030x8_through_the_small_stub() {
	needs_core
	DEVICE=stm32f030x8
	random_file "$WORK/fw.bin" 32768
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "RAM stub f0small"
	out_has "verified (by CRC)"
	out_has "window 2"
	stat_is '.core.faults' 0
	stat_is '.core.lockups' 0
}

# --stub-baud N: that rate only, and the flash is what the ROM writes.
t_stub_baud_460800_writes_what_the_rom_writes() {
	needs_core
	random_file "$WORK/fw.bin" 12000
	run_ok --no-stub -w "$WORK/fw.bin" -v "$(port)"
	extract_flash "$WORK/rom.flash"
	rm -f "$IMG"
	run_ok --stub --stub-baud 460800 -w "$WORK/fw.bin" -v "$(port)"
	extract_flash "$WORK/stub.flash"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	out_has "Stub running at 460800 baud 8N1"
	stat_is '.core.usart_rx_errors' 0
}

# --stub-baud 0: no switch, the ROM's rate and framing.
# The F100 value line runs at 24 MHz at most: the stub keeps HSI (8 MHz)
# there instead of the F1's 64 MHz PLL, and so its rates (230400 with 32
# clocks a bit); the dry run says the same rate.
t_value_line_f100_keeps_hsi_and_its_rates() {
	needs_core
	DEVICE=stm32f10x-hdvl
	random_file "$WORK/fw.bin" 16000
	run_ok --dry-run -w "$WORK/fw.bin" "$(port)"
	out_has "RAM stub f1 at 230400 baud"
	run_ok --stub --verbose -w "$WORK/fw.bin" -v "$(port)"
	out_has "USART clock 8000000 Hz"
	out_has "Stub running at 230400 baud 8N1"
	flash_slice "$WORK/written.bin" 0 16000
	same_bytes "$WORK/written.bin" "$WORK/fw.bin"
	stat_is '.core.usart_rx_errors' 0
}

t_stub_baud_0_stays_at_the_rom_rate() {
	needs_core
	random_file "$WORK/fw.bin" 4000
	run_ok --stub --stub-baud 0 -w "$WORK/fw.bin" -v "$(port)"
	out_has "Stub running at 115200 baud 8E1"
}

# A rate the stub's clock cannot make is refused by name before anything
# is loaded or written (the F1 USART divides its 64 MHz by 16 at least).
t_a_rate_the_stub_cannot_make_is_refused_by_name() {
	needs_core
	random_file "$WORK/fw.bin" 4000
	run_fail --stub --stub-baud 5000000 -w "$WORK/fw.bin" "$(port)"
	error_has "--stub-baud 5000000: the stub's 64 MHz clock cannot make 5000000 baud"
	nothing_written
	stat_is '.commands."0x31" // 0' 0
	run_fail --no-stub --stub-baud 460800 -w "$WORK/fw.bin" "$(port)"
	error_has "--stub-baud sets the RAM stub's rate"
}

# A firmware-like image (code-like bytes, 0xFF gaps) goes in LZ4-compressed
# frames where liblz4 was built in, and the flash ends up as the ROM's.
t_firmware_through_lz4_frames_gives_the_flash_the_rom_gives() {
	needs_core
	python3 "$E2E_DATA/firmware_like.py" 40000 7 >"$WORK/fw.bin" || fail "no firmware-like input"
	write_both "$WORK/fw.bin"
	same_bytes "$WORK/stub.flash" "$WORK/rom.flash"
	same_bytes <(head -c 40000 "$WORK/stub.flash") "$WORK/fw.bin"
	out_has "verified (by CRC)"
	if [ "$E2E_LZ4" = 1 ]; then
		out_has "frames LZ4-compressed"
		! grep -q " 0 of [0-9]* frames LZ4" "$OUT" || fail "no frame was compressed"
		# The stub's USART got fewer bytes than the image has.
		[ "$(jq .core.usart_rx_bytes "$STATS")" -lt 40000 ] || fail "the frames were not smaller"
	else
		grep -q " 0 of [0-9]* frames LZ4" "$OUT" || fail "frames compressed without liblz4"
	fi
	stat_is '.core.faults' 0
}

t_read_through_the_stub_is_the_flash() {
	needs_core
	seed_chip
	run_ok --stub -r "$WORK/got.bin" "$(port)"
	same_bytes "$WORK/got.bin" "$WORK/seed.bin"
	stat_is '.commands."0x11" <= 4' true # the ROM read only what connecting reads
	stat_at_least '.core.usart_tx_bytes' 131072
}

t_erase_through_the_stub_leaves_erased_flash() {
	needs_core
	seed_chip
	run_ok --stub -o "$(port)"
	extract_flash "$WORK/now.flash"
	erased_file "$WORK/erased.bin" "$(flash_size)"
	same_bytes "$WORK/now.flash" "$WORK/erased.bin"
	stat_at_least '.core.peripherals.FLASH.writes' 2
}

# Page erases are held back by the stub until a write goes into the page
# (docs/stub-protocol.md, "Overlap"): with nothing written they must still
# be done, and only they.
t_page_erase_through_the_stub_is_held_back_yet_done() {
	needs_core
	seed_chip
	run_ok --stub -o -s 3 -e 5 "$(port)"
	extract_flash "$WORK/now.flash"
	cp "$WORK/seeded.flash" "$WORK/want.flash"
	erased_file "$WORK/ff.bin" 5120
	dd if="$WORK/ff.bin" of="$WORK/want.flash" bs=1024 seek=3 conv=notrunc status=none
	same_bytes "$WORK/now.flash" "$WORK/want.flash"
}

# A 0xFF gap in the input: its pages are erased, then nothing is written
# into them; the stub must erase them all the same (after the writes).
t_an_input_gap_is_erased_though_not_written() {
	needs_core
	seed_chip
	random_file "$WORK/a.bin" 16384
	erased_file "$WORK/gap.bin" 16384 # one whole write block: not sent
	random_file "$WORK/b.bin" 4096
	cat "$WORK/a.bin" "$WORK/gap.bin" "$WORK/b.bin" >"$WORK/fw.bin"
	run_ok --stub --verbose -w "$WORK/fw.bin" "$(port)"
	out_has "skipped 1"
	flash_slice "$WORK/head.flash" 0 36864
	same_bytes "$WORK/head.flash" "$WORK/fw.bin"
	stat_is '.core.faults' 0
}

t_crc_through_the_stub_is_the_rom_s() {
	needs_core
	seed_chip
	run_ok --no-stub -C "$(port)"
	grep '^CRC(' "$OUT" >"$WORK/rom.crc" || fail "no CRC line over the ROM"
	run_ok --stub -C "$(port)"
	grep '^CRC(' "$OUT" >"$WORK/stub.crc" || fail "no CRC line through the stub"
	same_bytes "$WORK/stub.crc" "$WORK/rom.crc"
	stat_at_least '.core.peripherals.CRC.writes' 32768 # one word at a time
}

# The chip resets into its bootloader right after the stub started: the
# stub never answers. Without -i the user is told what to do; nothing is
# reported written.
t_a_stub_that_never_answers_fails_with_what_to_do() {
	needs_core
	random_file "$WORK/fw.bin" 1024
	run_ok --stub -w "$WORK/fw.bin" "$(port)"
	local n=$(( $(rom_bytes) + 1 ))
	rm -f "$IMG"
	run_fail --stub -w "$WORK/fw.bin" "$(port "faults=reset-after=$n")"
	error_has "did not answer after Go"
	error_has "reset the board with BOOT0 high"
	error_has "--no-stub"
	out_lacks "Wrote"
	stat_is .state '"bootloader"'
	stat_is '.page_erases + .program_operations' 0
}

# With -i the chip is put back into its bootloader, and the user is told.
t_a_stub_that_never_answers_is_reset_into_the_bootloader_with_i() {
	needs_core
	random_file "$WORK/fw.bin" 1024
	run_ok --stub -w "$WORK/fw.bin" "$(port)"
	local n=$(( $(rom_bytes) + 1 ))
	rm -f "$IMG" "$STATS"
	tty_sim_start --boot0 rts --reset dtr --faults "reset-after=$n"
	run_on_tty --stub -i '-rts&dtr,-dtr' -w "$WORK/fw.bin"
	[ "$STATUS" -eq 1 ] || fail "exit status $STATUS, expected 1"
	error_has "the chip was reset into its bootloader"
	sim_stop
	# power-on, the -i entry, the fault's reset (BOOT0 still high), the re-entry
	stat_is .boots_bootloader 4
}

t_no_stub_for_the_family_is_an_error_with_stub() {
	needs_core
	DEVICE=stm32h563zi
	run_fail --stub -r "$WORK/got.bin" "$(port)"
	error_has "no stub for the H5 family yet"
}

t_a_stub_too_big_for_the_ram_is_refused_before_loading() {
	DEVICE=stm32f03xx6 # 2 KiB the ROM leaves
	random_file "$WORK/fw.bin" 1024
	run_fail --stub -w "$WORK/fw.bin" "$(port)"
	error_has "does not fit"
	stat_is '.commands."0x31" // 0' 0
	stat_is '.commands."0x21" // 0' 0
}

# --dry-run shows the stub's estimate beside the ROM's and loads nothing.
t_dry_run_shows_both_estimates_and_loads_nothing() {
	needs_core
	random_file "$WORK/fw.bin" 20000
	run_ok --dry-run --stub -w "$WORK/fw.bin" -v "$(port)"
	out_has "through the RAM stub f1 at 2000000 baud"
	out_has "over the ROM"
	out_has "not loaded in a dry run"
	stat_is '.commands."0x31" // 0' 0
	stat_is '.commands."0x21" // 0' 0
	run_ok --dry-run --no-stub -w "$WORK/fw.bin" -v "$(port)"
	out_has "--no-stub keeps the ROM"
	E2E_STUB_DEFAULT=1 run_ok --dry-run -w "$WORK/fw.bin" -v "$(port)"
	out_has "the stub is used: it pays for loading it"
	stat_is '.commands."0x21" // 0' 0
	random_file "$WORK/small.bin" 300
	E2E_STUB_DEFAULT=1 run_ok --dry-run -w "$WORK/small.bin" -v "$(port)"
	out_has "the ROM is used: loading the stub does not pay here"
}

# Neither --stub nor --no-stub: the estimate chooses (docs/stub-protocol.md,
# "When the CLI uses it").
t_by_default_a_large_write_goes_through_the_stub() {
	needs_core
	random_file "$WORK/fw.bin" 65536
	E2E_STUB_DEFAULT=1 run_ok --verbose -w "$WORK/fw.bin" -v "$(port)"
	out_has "the RAM stub's estimate beats the ROM's"
	out_has "RAM stub f1"
	out_has "verified (by CRC)"
	flash_slice "$WORK/now.flash" 0 65536
	same_bytes "$WORK/now.flash" "$WORK/fw.bin"
	stat_is '.commands."0x21"' 1 # the Go that started the stub
	stat_is '.commands."0x31" <= 26' true # the ROM wrote only the stub into RAM
}

t_by_default_a_small_write_or_no_stub_keeps_the_rom() {
	needs_core
	random_file "$WORK/small.bin" 300
	E2E_STUB_DEFAULT=1 run_ok --verbose -w "$WORK/small.bin" -v "$(port)"
	out_lacks "RAM stub"
	stat_is '.commands."0x21" // 0' 0
	random_file "$WORK/fw.bin" 65536
	E2E_STUB_DEFAULT=1 run_ok --verbose --no-stub -w "$WORK/fw.bin" "$(port)"
	out_lacks "RAM stub"
	stat_is '.commands."0x21" // 0' 0
}

# -R on an F09x needs the ROM's reset (an option-byte reload): by default
# the write keeps the ROM so that -R works.
t_by_default_a_reset_that_needs_the_rom_keeps_the_rom() {
	needs_core
	DEVICE=stm32f09x
	random_file "$WORK/fw.bin" 65536
	E2E_STUB_DEFAULT=1 run_ok --dry-run -R -w "$WORK/fw.bin" "$(port)"
	out_has "-R on this chip needs the ROM's reset"
}

# -R after a write through the stub: its RESET is a SYSRESETREQ (BOOT0
# high here, so the bootloader runs again); -g through the stub jumps to
# the program just written.
t_reset_and_go_after_a_stub_write() {
	needs_core
	run_ok --stub -w "$E2E_EXAMPLES/firmware/f103_banner.bin" -v -R "$(port)"
	stat_is '.core.resets.sysresetreq' 1
	stat_is .state '"bootloader"'
	rm -f "$IMG"
	run_ok --stub -w "$E2E_EXAMPLES/firmware/f103_banner.bin" -g 0x08000000 "$(port)"
	stat_is '.core.faults' 0
	stat_at_least '.core.usart_tx_bytes' 51 # the stub's frames, then the banner
}

# Where a reset must reload the option bytes (F030xC/F09x) or clear
# FLASH_SR.PEMPTY (L45x), the stub has no reset: -R is refused after the
# write, with what to do instead.
t_reset_through_the_stub_is_refused_where_it_needs_an_option_reload() {
	needs_core
	DEVICE=stm32f030xc
	random_file "$WORK/fw.bin" 4096
	run_fail --stub -w "$WORK/fw.bin" -R "$(port)"
	error_has "without --stub"
	extract_flash "$WORK/now.flash"
	head -c 4096 "$WORK/now.flash" >"$WORK/got.bin"
	same_bytes "$WORK/got.bin" "$WORK/fw.bin"
}

# Actions the stub does not serve keep the ROM, and say so.
t_actions_the_stub_does_not_serve_keep_the_rom() {
	needs_core
	run_ok --stub --option-bytes "$(port)"
	err_has "needs the ROM bootloader's own commands"
	stat_is '.commands."0x21" // 0' 0
}

# An input with option bytes besides flash: the stub writes flash only, so
# the whole write keeps the ROM (rather than failing after the flash part).
t_an_input_with_option_bytes_keeps_the_rom() {
	needs_core
	{
		hex_record 4 0 0x08 0x00
		hex_record 0 0 1 2 3 4 5 6 7 8
		hex_record 4 0 0x1F 0xFF
		hex_record 0 0xF800 0xA5 0x5A 0xFF 0x00 0xFF 0x00 0xFF 0x00 0xFF 0x00 0xFF 0x00 0xFF 0x00 0xFF 0x00
		echo ':00000001FF'
	} >"$WORK/fw.hex"
	run_ok --stub -w "$WORK/fw.hex" "$(port)"
	err_has "bytes outside flash"
	stat_is '.commands."0x21" // 0' 0
	flash_slice "$WORK/got.bin" 0 8
	printf '\001\002\003\004\005\006\007\010' >"$WORK/want.bin"
	same_bytes "$WORK/got.bin" "$WORK/want.bin"
}
