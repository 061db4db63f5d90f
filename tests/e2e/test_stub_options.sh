# Option bytes and protection with the RAM stub (docs/stub-protocol.md,
# "When the CLI uses it"): the stub has no OPTION command, so every action
# that changes option bytes keeps the ROM bootloader, says so with --stub,
# and ends with the option bytes the ROM writes; by default (neither --stub
# nor --no-stub) they keep it without a word. The stub is never loaded for
# them: no Go (0x21) in the emulator's statistics.

needs_core() {
	ldd "$STM32BOOT_SIM_PROGRAM" | grep libunicorn >/dev/null ||
		{ echo "SKIP: emulator built without the core (libunicorn)"; exit 77; }
}

# opt_byte OFFSET: the option-area byte at OFFSET in $IMG, as 0xHH.
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

no_stub_loaded() { stat_is '.commands."0x21" // 0' 0; }

kept_rom() { # kept_rom OPTION: the warning --stub gives, naming the action
	err_has "$1) needs the ROM bootloader's own commands; not loading the stub"
	no_stub_loaded
}

t_set_option_with_stub_keeps_the_rom() {
	needs_core
	run_ok --stub --set-option WDG_SW=0 "$(port)"
	kept_rom "(--set-option"
	out_has "Read back: the option bytes hold the new values."
	byte_is 2 0xFE
	byte_is 3 0x01
}

t_read_protect_with_stub_keeps_the_rom() {
	needs_core
	run_ok --stub -j "$(port)"
	kept_rom "(-j"
	stat_is .rdp_level 1
}

t_read_unprotect_with_stub_keeps_the_rom() {
	needs_core
	random_file "$WORK/fw.bin" 4096
	run_ok --no-stub -w "$WORK/fw.bin" "$(port)"
	run_ok --no-stub -j "$(port)"
	stat_is .rdp_level 1
	run_ok --stub -k "$(port)"
	kept_rom "(-k"
	stat_is .rdp_level 0
	# -k mass-erases: the flash is blank again.
	extract_flash "$WORK/now.flash"
	head -c 4096 "$WORK/now.flash" | tr -d '\377' | wc -c | grep -qx 0 || fail "flash not erased by -k"
}

t_write_protect_and_unprotect_with_stub_keep_the_rom() {
	needs_core
	run_ok --stub --write-protect 0-1 "$(port)"
	kept_rom "(--write-protect"
	byte_is 8 0xFC
	run_ok --stub -u "$(port)"
	kept_rom "(-u"
	byte_is 8 0xFF
}

# By default a large write would go through the stub (its estimate wins):
# with option bytes in the input it keeps the ROM, which writes both.
t_by_default_a_large_write_with_option_bytes_keeps_the_rom() {
	needs_core
	random_file "$WORK/fw.bin" 65536
	python3 - "$WORK/fw.bin" >"$WORK/fw.hex" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
def rec(kind, addr, payload):
    body = bytes([len(payload), addr >> 8, addr & 0xFF, kind]) + payload
    return ":" + (body + bytes([(-sum(body)) & 0xFF])).hex().upper()
print(rec(4, 0, bytes([0x08, 0x00])))
for at in range(0, len(data), 16):
    if at and at % 0x10000 == 0:
        print(rec(4, 0, bytes([0x08, at >> 16])))
    print(rec(0, at & 0xFFFF, data[at:at + 16]))
print(rec(4, 0, bytes([0x1F, 0xFF])))
print(rec(0, 0xF800, bytes([0xA5, 0x5A, 0xFE, 0x01, 0xFF, 0x00, 0xFF, 0x00,
                            0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00])))
print(":00000001FF")
PY
	E2E_STUB_DEFAULT=1 run_ok --dry-run -w "$WORK/fw.hex" "$(port)"
	out_lacks "through the RAM stub"
	E2E_STUB_DEFAULT=1 run_ok -w "$WORK/fw.hex" -v "$(port)"
	out_lacks "RAM stub"
	no_stub_loaded
	byte_is 2 0xFE
	byte_is 3 0x01
	flash_slice "$WORK/now.flash" 0 65536
	same_bytes "$WORK/now.flash" "$WORK/fw.bin"
}

# By default the option actions never consider the stub.
t_by_default_option_actions_keep_the_rom_silently() {
	needs_core
	E2E_STUB_DEFAULT=1 run_ok --set-option WDG_SW=0 "$(port)"
	err_lacks "stub"
	no_stub_loaded
	byte_is 2 0xFE
	E2E_STUB_DEFAULT=1 run_ok --write-protect 0 "$(port)"
	no_stub_loaded
	byte_is 8 0xFE
	E2E_STUB_DEFAULT=1 run_ok -u "$(port)"
	no_stub_loaded
	byte_is 8 0xFF
	E2E_STUB_DEFAULT=1 run_ok -j "$(port)"
	no_stub_loaded
	stat_is .rdp_level 1
	E2E_STUB_DEFAULT=1 run_ok -k "$(port)"
	no_stub_loaded
	stat_is .rdp_level 0
}
