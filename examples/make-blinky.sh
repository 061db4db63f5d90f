#!/usr/bin/env bash
# Generates examples/blinky.hex: a tiny STM32F103 ("Blue Pill") program that
# toggles the PC13 LED, for trying stm32boot against the emulator or a board:
#
#   stm32boot -w examples/blinky.hex -v -g 0 sim:stm32f103xb
#
# Hand-assembled Thumb code (Cortex-M3): a 16-entry vector table, a reset
# handler that clocks GPIOC, makes PC13 a push-pull output and toggles it in a
# busy loop, and a default handler that spins. Run it again after editing the
# tables below; the output is deterministic.
set -euo pipefail
cd "$(dirname "$0")"

FLASH_BASE=0x08000000
STACK_TOP=0x20005000          # end of the F103xB's 20 KiB of SRAM
RESET_HANDLER=0x08000040
DEFAULT_HANDLER=0x0800006A

thumb() { printf '0x%08X' $(( $1 | 1 )); }   # vector entries have bit 0 set

vectors=(
	"$STACK_TOP"              # initial stack pointer
	"$(thumb $RESET_HANDLER)" # reset
	"$(thumb $DEFAULT_HANDLER)" "$(thumb $DEFAULT_HANDLER)"   # NMI, HardFault
	"$(thumb $DEFAULT_HANDLER)" "$(thumb $DEFAULT_HANDLER)" "$(thumb $DEFAULT_HANDLER)" # MemManage, BusFault, UsageFault
	0 0 0 0                   # reserved
	"$(thumb $DEFAULT_HANDLER)" "$(thumb $DEFAULT_HANDLER)"   # SVCall, DebugMonitor
	0                         # reserved
	"$(thumb $DEFAULT_HANDLER)" "$(thumb $DEFAULT_HANDLER)"   # PendSV, SysTick
)

# 16-bit Thumb instructions from 0x08000040; literal offsets are
# (literal - align4(pc + 4)) / 4.
code=(
	0x480A  # 40: ldr  r0, =RCC_APB2ENR
	0x6801  # 42: ldr  r1, [r0]
	0x2210  # 44: movs r2, #0x10        (IOPCEN)
	0x4311  # 46: orrs r1, r2
	0x6001  # 48: str  r1, [r0]
	0x4809  # 4A: ldr  r0, =GPIOC_CRH
	0x6801  # 4C: ldr  r1, [r0]
	0x4A09  # 4E: ldr  r2, =~(0xF << 20)
	0x4011  # 50: ands r1, r2
	0x4A09  # 52: ldr  r2, =(0x2 << 20)  (PC13: output, push-pull, 2 MHz)
	0x4311  # 54: orrs r1, r2
	0x6001  # 56: str  r1, [r0]
	0x4808  # 58: ldr  r0, =GPIOC_ODR
	0x4B09  # 5A: ldr  r3, =(1 << 13)
	0x6801  # 5C: loop: ldr r1, [r0]
	0x4059  # 5E: eors r1, r3           (toggle PC13)
	0x6001  # 60: str  r1, [r0]
	0x4A08  # 62: ldr  r2, =DELAY
	0x3A01  # 64: delay: subs r2, #1
	0xD1FD  # 66: bne  delay
	0xE7F8  # 68: b    loop
	0xE7FE  # 6A: default handler: b .
)

literals=(
	0x40021018  # 6C: RCC_APB2ENR
	0x40011004  # 70: GPIOC_CRH
	0xFF0FFFFF  # 74
	0x00200000  # 78
	0x4001100C  # 7C: GPIOC_ODR
	0x00002000  # 80
	0x00061A80  # 84: DELAY, 400000 loops
)

banner="stm32boot example: blinky on PC13"

bytes=()
le16() { bytes+=( $(( $1 & 0xFF )) $(( ($1 >> 8) & 0xFF )) ); }
le32() { le16 $(( $1 & 0xFFFF )); le16 $(( ($1 >> 16) & 0xFFFF )); }
for v in "${vectors[@]}"; do le32 "$v"; done
for c in "${code[@]}"; do le16 "$c"; done
for l in "${literals[@]}"; do le32 "$l"; done
for (( i = 0; i < ${#banner}; i++ )); do bytes+=( "$(printf '%d' "'${banner:i:1}")" ); done
bytes+=( 0 )

# Intel HEX: one record = :LLAAAATT<data>CC, CC = two's complement of the sum.
record() { # type address data-bytes...
	local type=$1 address=$2; shift 2
	local sum=$(( $# + (address >> 8) + (address & 0xFF) + type )) line
	line=$(printf ':%02X%04X%02X' $# "$address" "$type")
	for b in "$@"; do line+=$(printf '%02X' "$b"); sum=$(( sum + b )); done
	printf '%s%02X\n' "$line" $(( (256 - (sum & 0xFF)) & 0xFF ))
}

{
	record 4 0 $(( FLASH_BASE >> 24 )) $(( (FLASH_BASE >> 16) & 0xFF ))
	for (( offset = 0; offset < ${#bytes[@]}; offset += 16 )); do
		record 0 $(( (FLASH_BASE + offset) & 0xFFFF )) "${bytes[@]:offset:16}"
	done
	entry=$(( RESET_HANDLER | 1 ))
	record 5 0 $(( entry >> 24 )) $(( (entry >> 16) & 0xFF )) $(( (entry >> 8) & 0xFF )) $(( entry & 0xFF ))
	record 1 0
} > blinky.hex
echo "examples/blinky.hex: ${#bytes[@]} bytes at $(printf '0x%08X' $FLASH_BASE)"
