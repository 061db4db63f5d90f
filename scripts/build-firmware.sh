#!/usr/bin/env bash
# Rebuilds the example firmware in examples/firmware (the demo's banner
# program; the emulator's tests run all of them) with Debian's
# gcc-arm-none-eabi, reproducibly (no paths, build ids or timestamps in the
# images). With --check, builds into a temporary directory and fails if a
# committed .bin differs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/examples/firmware
out=$src
check=0
if [ "${1:-}" = "--check" ]; then
	check=1
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
CC=${ARM_CC:-arm-none-eabi-gcc}
OBJCOPY=${ARM_OBJCOPY:-arm-none-eabi-objcopy}
CFLAGS=(-Os -mthumb -ffreestanding -nostdlib -fno-common -ffunction-sections -fdata-sections
	-Wall -Wextra -Werror -std=c17 -ffile-prefix-map="$src"=. -Wl,--gc-sections
	-Wl,--build-id=none)

# name  cpu  target-define  linker-script  program  banner-name
images=(
	"f103_banner cortex-m3 FW_F103 f103.ld banner.c STM32F103"
	"f030_banner cortex-m0 FW_F030 f030.ld banner.c STM32F030"
	"f103_banner_ram cortex-m3 FW_F103 f103_ram.ld banner.c STM32F103-RAM"
	"f103_iwdg cortex-m3 FW_F103 f103.ld iwdg.c STM32F103"
	"f103_fault cortex-m3 FW_F103 f103.ld fault.c STM32F103"
)
status=0
for line in "${images[@]}"; do
	read -r name cpu def ld prog label <<<"$line"
	elf=$out/$name.elf
	(cd "$src" && "$CC" "${CFLAGS[@]}" -mcpu="$cpu" -D"$def" -DFW_NAME="\"$label\"" \
		-T "$ld" startup.c "$prog" -o "$elf")
	"$OBJCOPY" -O binary "$elf" "$out/$name.bin"
	rm -f "$elf"
	if [ $check -eq 1 ]; then
		if ! cmp -s "$out/$name.bin" "$src/$name.bin"; then
			echo "examples/firmware/$name.bin differs from its rebuild" >&2
			status=1
		fi
	fi
done
[ $check -eq 1 ] && [ $status -eq 0 ] && echo "examples/firmware: committed images match their rebuild"
exit $status
