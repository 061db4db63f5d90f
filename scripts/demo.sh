#!/usr/bin/env bash
# Fresh Debian machine -> built stm32boot -> the bundled example flashed, with
# verify, into the built-in emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
stm32boot_install_deps "${STM32BOOT_BUILD_DEPS[@]}"
cmake -S . -B build -DSTM32BOOT_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
build/bin/stm32boot -w examples/blinky.hex -v -g 0 sim:stm32f103xb
