#!/usr/bin/env bash
# The whole test suite: unit, emulator, interposer, stm32flash peer and CLI
# end-to-end tests; once in a normal build and once under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
stm32boot_install_deps "${STM32BOOT_BUILD_DEPS[@]}" "${STM32BOOT_TEST_DEPS[@]}"
jobs=$(nproc)

echo "== build and test =="
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j"$jobs"

echo "== build and test under ASan+UBSan =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTM32BOOT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j"$jobs"
