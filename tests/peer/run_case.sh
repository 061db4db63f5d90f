#!/bin/bash
# One stm32flash 0.7 scenario against stm32boot-sim.
#   run_case.sh SIM INTERPOSER MODE DEVICE CASE
# MODE direct: stm32flash talks to the bare pty with -m 8n1. A Linux pty
#   forces CS8 and drops PARENB, so stm32flash's exact read-back of its
#   termios fails for the default 8e1 ("Failed to set terminal flags"). With
#   8n1 what it sets is what the pty keeps, so the check passes; -b 0 (no
#   termios at all) is not needed. The emulator hears no TERMIOS message and
#   keeps assuming correct framing.
# MODE interposer: stm32flash keeps its default 8e1 and runs with
#   libsiminterpose.so preloaded; the emulator gets modem lines, BREAK and
#   the real frame format over its control socket (tests/interposer/README.md).
# Exit 0 pass, 1 fail, 77 skip (only when stm32flash is absent outside CI).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[ $# -eq 5 ] || { echo "usage: $0 SIM INTERPOSER MODE DEVICE CASE" >&2; exit 2; }
CASE=$5
peer_init "$1" "$2" "$3" "$4"

expected_pid() {
    case "$DEVICE" in
    stm32f103*) echo 0x0410 ;;
    stm32f407*) echo 0x0413 ;;
    stm32g071*) echo 0x0460 ;;
    *) fail "no expected PID known for $DEVICE" ;;
    esac
}

uses_extended_erase() {
    case "$DEVICE" in stm32f103*) return 1 ;; *) return 0 ;; esac
}

# Erase units a write of the first 64 KiB covers, per device.
units_for_64k() {
    case "$DEVICE" in
    stm32f103*) jq -nc '[range(0;64)]' ;;   # 1 KiB pages
    stm32f407*) jq -nc '[0,1,2,3]' ;;       # 16 KiB sectors 0-3
    stm32g071*) jq -nc '[range(0;32)]' ;;   # 2 KiB pages
    esac
}

erased_units_are() { # erased_units_are JSON-ARRAY: each erased exactly once
    stat_is '.erased_pages | keys | map(tonumber) | sort' "$1"
    stat_is '[.erased_pages[]] | unique' '[1]'
    stat_is '.page_erases' "$(jq -n "$1 | length")"
    stat_is '.mass_erases' 0
}

case_info() {
    sim_start
    flash_ok
    log_has "Device ID    : $(expected_pid)"
    sim_stop
    stat_is '.device' "\"$DEVICE\""
    stat_is '.commands["0x02"]' 1
    stat_is '.state' '"bootloader"'
}

case_write_read() {
    local flash_size
    random_file "$WORK/app.bin" 65536
    case "$DEVICE" in
    stm32g0*)
        # A G0 with its factory options boots a programmed flash whatever
        # BOOT0 says (RM0444: nBOOT_SEL = 1, nBOOT0 = 1); its empty check
        # looks at the first word only, so an erased first word keeps the
        # next power-on in the bootloader for the read back.
        printf '\377\377\377\377' | dd of="$WORK/app.bin" conv=notrunc status=none ;;
    esac
    sim_start
    flash_ok -w "$WORK/app.bin" -v
    log_has "Wrote and verified address 0x08010000 (100.00%)"
    sim_stop
    erased_units_are "$(units_for_64k)"
    stat_is '.bytes_programmed' 65536
    if uses_extended_erase; then
        stat_is '.commands["0x44"] > 0 and (.commands | has("0x43") | not)' true
    else
        stat_is '.commands["0x43"] > 0 and (.commands | has("0x44") | not)' true
    fi

    extract_flash "$WORK/flash.bin"
    flash_size=$(image_flash_size)
    same_bytes "$WORK/app.bin" "$WORK/flash.bin" 65536
    erased_file "$WORK/blank.bin" $((flash_size - 65536))
    same_bytes "$WORK/blank.bin" "$WORK/flash.bin" $((flash_size - 65536)) 0 65536

    sim_start
    flash_ok -r "$WORK/read.bin"
    sim_stop
    [ "$(stat -c %s "$WORK/read.bin")" = "$flash_size" ] || fail "read back $(stat -c %s "$WORK/read.bin") bytes, flash is $flash_size"
    same_bytes "$WORK/flash.bin" "$WORK/read.bin"
    stat_is '.page_erases + .mass_erases + .bytes_programmed' 0
}

case_erase() {
    random_file "$WORK/full.bin" 131072
    sim_start
    flash_ok -w "$WORK/full.bin"
    sim_stop
    stat_is '.mass_erases' 1   # the file spans the whole flash

    sim_start
    flash_ok -o -S 0x08001000:0x2000        # pages 4..11
    log_has "Erasing flash"
    flash_ok -r "$WORK/erased.bin" -S 0x08001000:0x2000
    sim_stop
    erased_units_are "$(jq -nc '[range(4;12)]')"
    erased_file "$WORK/blank.bin" 8192
    same_bytes "$WORK/blank.bin" "$WORK/erased.bin"

    extract_flash "$WORK/flash.bin"
    same_bytes "$WORK/full.bin" "$WORK/flash.bin" 4096
    same_bytes "$WORK/blank.bin" "$WORK/flash.bin" 8192 0 4096
    same_bytes "$WORK/full.bin" "$WORK/flash.bin" $((131072 - 12288)) 12288 12288
}

case_go() {
    random_file "$WORK/app.bin" 2048
    sim_start
    flash_ok -w "$WORK/app.bin" -g 0x08000000
    log_has "Starting execution at address 0x08000000... done."
    if [ "$MODE" = interposer ]; then
        [ "$(sim_query_state)" = "STATE application" ] || fail "control socket says '$(sim_query_state)', not application"
    fi
    sim_stop
    stat_is '.commands["0x21"]' 1
    stat_is '.state' '"application"'
    stat_is '.boots_application' 1
}

case_protect() {
    random_file "$WORK/app.bin" 4096
    sim_start
    flash_ok -w "$WORK/app.bin"
    flash_ok -j
    log_has "Read-Protecting flash"
    sim_stop
    stat_is '.rdp_level' 1
    stat_is '.commands["0x82"]' 1
    extract_flash "$WORK/flash.bin"
    same_bytes "$WORK/app.bin" "$WORK/flash.bin" 4096   # protection hides, does not erase

    sim_start   # the protection survives in the image
    flash -r "$WORK/read.bin" -S 0x08000000:256
    [ "$FLASH_STATUS" -ne 0 ] || fail "reading a read-protected chip succeeded"
    flash_ok -k
    log_has "Read-UnProtecting flash"
    sim_stop
    stat_is '.rdp_level' 0
    stat_is '.commands["0x92"]' 1
    extract_flash "$WORK/flash.bin"
    erased_file "$WORK/blank.bin" "$(image_flash_size)"
    same_bytes "$WORK/blank.bin" "$WORK/flash.bin"
}

# F1 option bytes (16 bytes at 0x1FFFF800, each value then its complement):
# RDP, USER, DATA0, DATA1, WRP0..WRP3. WRP0=0xFE protects pages 0-3.
f1_options_protecting_pages_0_to_3() {
    printf '\xa5\x5a\xff\x00\xff\x00\xff\x00\xfe\x01\xff\x00\xff\x00\xff\x00' >"$1"
}

case_write_unprotect() {
    [ "$DEVICE" = stm32f103xb ] || fail "write_unprotect knows only the F1 option layout"
    f1_options_protecting_pages_0_to_3 "$WORK/options.bin"
    random_file "$WORK/app.bin" 1024
    erased_file "$WORK/blank.bin" 1024

    sim_start
    flash_ok -w "$WORK/options.bin" -S 0x1FFFF800
    sim_stop
    [ "$(image_option_bytes 8 8)" = "fe01ff00ff00ff00" ] || fail "WRP option bytes are $(image_option_bytes 8 8) after writing them"

    # AN3155: writes to protected pages are not refused, they just do nothing.
    sim_start
    flash_ok -w "$WORK/app.bin"
    sim_stop
    extract_flash "$WORK/flash.bin"
    same_bytes "$WORK/blank.bin" "$WORK/flash.bin" 1024

    sim_start
    flash_ok -u
    log_has "Write-unprotecting flash"
    sim_stop
    stat_is '.commands["0x73"]' 1
    stat_is '.boots_bootloader' 2   # the chip resets itself after 0x73
    [ "$(image_option_bytes 8 8)" = "ff00ff00ff00ff00" ] || fail "WRP option bytes are $(image_option_bytes 8 8) after -u"

    sim_start
    flash_ok -w "$WORK/app.bin"
    sim_stop
    extract_flash "$WORK/flash.bin"
    same_bytes "$WORK/app.bin" "$WORK/flash.bin" 1024
}

# The chip expects 8E1; a host framing 8N1 sends it garbage.
case_wrong_framing() {
    [ "$MODE" = interposer ] || fail "wrong_framing needs the interposer"
    sim_start
    flash -m 8n1
    [ "$FLASH_STATUS" -ne 0 ] || fail "stm32flash succeeded talking 8N1 to an 8E1 chip"
    log_has "Failed to init device"
    flash_ok   # same session, right framing: the chip still answers
    log_has "Device ID    : $(expected_pid)"
    sim_stop
    stat_is '.commands["0x02"]' 1
}

# BOOT0 on RTS, NRST on DTR through an inverter: with both lines de-asserted
# at start, NRST is low (in reset). stm32flash -i drives entry and exit.
case_gpio() {
    [ "$MODE" = interposer ] || fail "gpio needs the interposer"
    sim_start --boot0 rts --reset dtr --invert-reset
    [ "$(sim_query_state)" = "STATE reset" ] || fail "chip starts in '$(sim_query_state)', not held in reset"
    flash
    [ "$FLASH_STATUS" -ne 0 ] || fail "a chip held in reset answered"
    [ "$(sim_query_state)" = "STATE reset" ] || fail "chip left reset without the entry sequence"

    flash_ok -i '-rts,-dtr,dtr:rts,-dtr,dtr' -R
    log_has "Device ID    : $(expected_pid)"
    log_has "GPIO sequence end"
    [ "$(sim_query_state)" = "STATE application" ] || fail "after the exit sequence the chip is '$(sim_query_state)'"
    sim_stop
    stat_is '.state' '"application"'
    stat_is '.boots_bootloader' 1
    stat_is '.boots_application' 1
    stat_is '.commands["0x02"]' 1
}

# NRST on BREAK (held low while the BREAK lasts), BOOT0 on RTS. The chip
# starts in the bootloader (NRST released, BOOT0 high); only the exit BREAK
# can bring it into the application.
case_gpio_break() {
    [ "$MODE" = interposer ] || fail "gpio_break needs the interposer"
    sim_start --boot0 rts --reset brk
    [ "$(sim_query_state)" = "STATE bootloader" ] || fail "chip starts in '$(sim_query_state)'"
    flash_ok -i '-rts&brk:rts&brk' -R
    log_has "Device ID    : $(expected_pid)"
    [ "$(sim_query_state)" = "STATE application" ] || fail "after the exit BREAK the chip is '$(sim_query_state)'"
    sim_stop
    stat_is '.resets' 2
    stat_is '.boots_bootloader' 2
    stat_is '.boots_application' 1
}

# Same seed, same spec, same host bytes: same faults. A whole-flash read with
# bytes to the host corrupted: stm32flash does not check read data, so it
# finishes and the corruption lands in its output file, byte for byte.
faulty_read() { # faulty_read SEED OUT
    rm -f "$IMAGE"
    sim_start --faults 'corrupt-out=0.0003' --seed "$1"
    flash_ok -r "$2"
    sim_stop
}

case_faults_repeat() {
    faulty_read 4242 "$WORK/read.1.bin"
    jq -S .faults "$STATS" >"$WORK/faults.1.json"
    faulty_read 4242 "$WORK/read.2.bin"
    jq -S .faults "$STATS" >"$WORK/faults.2.json"
    cmp -s "$WORK/faults.1.json" "$WORK/faults.2.json" \
        || fail "fault stats differ: $(jq -c . "$WORK/faults.1.json") vs $(jq -c . "$WORK/faults.2.json")"
    [ "$(jq .corrupt_out "$WORK/faults.1.json")" -gt 0 ] || fail "no fault was injected, the comparison proves nothing"
    same_bytes "$WORK/read.1.bin" "$WORK/read.2.bin"
    erased_file "$WORK/blank.bin" "$(stat -c %s "$WORK/read.1.bin")"
    cmp -s "$WORK/blank.bin" "$WORK/read.1.bin" && fail "corrupted reads of a blank chip came back clean"

    faulty_read 4243 "$WORK/read.3.bin"
    cmp -s "$WORK/read.1.bin" "$WORK/read.3.bin" && fail "another seed corrupted exactly the same bytes"
    note "faults with seed 4242: $(jq -c . "$WORK/faults.1.json")"
}

# ---- Programs on the emulator's Cortex-M core (examples/firmware) ----
FIRMWARE=$HERE/../../examples/firmware
BANNER="(stm32boot example firmware)"

# program_answers SEND TEXT: after stm32flash has let go of the port (it
# drops what arrived before), the program answers SEND with a line holding TEXT.
program_answers() {
    local got
    got=$( { printf '%s' "$1" >&3; timeout 5 head -n 1 <&3; } 3<>"$TTY" )
    grep -qF -- "$2" <<<"$got" || fail "the program answered '$got' to '$1', not '$2'"
}

control() { # control REQUEST: one control-socket request, its reply checked
    local reply
    reply=$(printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$CONTROL")
    [ "$reply" = OK ] || [ "${reply#STATE}" != "$reply" ] || fail "control '$1' answered '$reply'"
}

# stm32flash -w into RAM, -g: the program's USART1 bytes reach the pty, and
# the host's reach the program.
case_go_ram_banner() {
    sim_start
    flash_ok -w "$FIRMWARE/f103_banner_ram.bin" -S 0x20001000 -g 0x20001000
    log_has "Starting execution at address 0x20001000... done."
    program_answers '?' "hello from STM32F103-RAM $BANNER"
    program_answers 'x' 'x'
    sim_stop
    stat_is '.state' '"application"'
    stat_is '.core.faults' 0
    stat_is '.core.usart_rx_bytes' 2
    stat_is '.core.usart_tx_bytes' 111   # the banner twice and the echo
}

case_go_flash_banner() {
    sim_start
    flash_ok -w "$FIRMWARE/f103_banner.bin" -v -g 0x08000000
    program_answers '?' "hello from STM32F103 $BANNER"
    sim_stop
    stat_is '.core.usart_tx_bytes' 102   # the banner twice
    stat_is '.boots_application' 1
}

# A program that stops refreshing the IWDG resets the chip: with BOOT0 high
# into the bootloader (stm32flash talks to it again), with BOOT0 low into
# the program, which then reports the watchdog's reset.
case_iwdg() {
    sim_start --control "$CONTROL" --boot0 dtr --reset rts
    flash_ok -w "$FIRMWARE/f103_iwdg.bin" -g 0x08000000
    # stm32flash started at once would take the program's own bytes for
    # the bootloader's answer: wait for the watchdog to bring it back.
    wait_state bootloader
    flash_ok   # the bootloader again
    log_has "Device ID    : $(expected_pid)"
    # BOOT0 low, NRST pulsed: a pin reset keeps RCC_CSR.IWDGRSTF, so the
    # program reports the watchdog's reset (and clears the flag)...
    control "LINES rts=1 dtr=1"
    control "LINES rts=0 dtr=1"
    local got
    got=$(timeout 5 head -n 1 "$TTY")
    grep -qF "iwdg: reset by the watchdog" <<<"$got" || fail "the program said '$got'"
    # ...and after the next pulse it starts the watchdog, is reset by it
    # into itself (BOOT0 low) and says so.
    control "LINES rts=1 dtr=1"
    control "LINES rts=0 dtr=1"
    got=$(timeout 5 head -n 3 "$TTY")
    grep -qF "iwdg: power-on, starting the watchdog" <<<"$got" || fail "the program said '$got'"
    grep -qF "iwdg: reset by the watchdog" <<<"$got" || fail "the program said '$got'"
    [ "$(sim_query_state)" = "STATE application" ] || fail "state is '$(sim_query_state)'"
    sim_stop
    stat_is '.core.resets.iwdg' 2
    stat_is '.core.iwdg_refreshes' 8
}

# A faulting program is reported (stats, a log line) and stops; a reset
# brings the bootloader back.
case_fault() {
    sim_start --control "$CONTROL" --reset rts
    flash_ok -w "$FIRMWARE/f103_fault.bin" -g 0x08000000
    flash
    [ "$FLASH_STATUS" -ne 0 ] || fail "the stopped program answered as a bootloader"
    grep -qF "the program stopped: read from unmapped memory at pc 0x080000" "$WORK/sim.1.err" \
        || fail "no fault line in the emulator's log"
    control "LINES rts=1 dtr=0"
    control "LINES rts=0 dtr=0"
    flash_ok
    log_has "Device ID    : $(expected_pid)"
    sim_stop
    stat_is '.core.faults' 1
    stat_is '.core.last_fault.address' '"0x60000000"'
    stat_is '.state' '"bootloader"'
}

declare -F "case_$CASE" >/dev/null || fail "unknown case $CASE"
"case_$CASE"
echo "PASS: $MODE $DEVICE $CASE"
