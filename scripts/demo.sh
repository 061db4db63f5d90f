#!/usr/bin/env bash
# Fresh Debian machine -> built stm32boot -> the example firmware flashed,
# with verify, into the emulator, started with Go, and its banner shown:
# the emulator runs the program on its Cortex-M core (libunicorn) and what
# the program sends on USART1 comes out of the emulator's pty.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
stm32boot_install_deps "${STM32BOOT_BUILD_DEPS[@]}"
cmake -S . -B build -DSTM32BOOT_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"

dir=$(mktemp -d /tmp/stm32boot-demo.XXXXXX)
build/bin/stm32boot-sim --device stm32f103xb --link "$dir/tty" 2>"$dir/sim.log" &
sim=$!
trap 'kill -TERM "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -e "$dir/tty" ] && break; sleep 0.05; done

build/bin/stm32boot -w examples/firmware/f103_banner.bin -v -g 0x08000000 "$dir/tty"
# The flasher dropped what the program printed before it closed the port;
# the program answers '?' with its banner.
banner=$( { printf '?' >&3; timeout 5 head -n 1 <&3; } 3<>"$dir/tty" | tr -d '\r')
echo "The program on the emulated STM32F103 says: $banner"
grep -q "hello from STM32F103" <<<"$banner"
