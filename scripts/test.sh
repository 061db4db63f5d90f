#!/usr/bin/env bash
# The whole test suite: unit, emulator, interposer, stm32flash peer and CLI
# end-to-end and fault-campaign tests; once in a normal build (its unit
# tests also under valgrind) and once under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
stm32boot_install_deps "${STM32BOOT_BUILD_DEPS[@]}" "${STM32BOOT_TEST_DEPS[@]}" valgrind
jobs=$(nproc)

echo "== build and test =="
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j"$jobs"

echo "== valgrind memcheck: unit tests =="
# The unit tests cover the library's host code without child processes; the
# end-to-end and fault tests are run under ASan+UBSan below instead.
# (Programs that are scripts, or need the interposer's environment, are left
# to ctest.)
for t in build-test/bin/test_*; do
	case $t in *interposer* | *i2c_transport | *spi_transport) continue ;; esac # re-exec themselves
	[ "$(head -c 4 "$t" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		"$t" >/dev/null
done

echo "== build and test under ASan+UBSan =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTM32BOOT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j"$jobs"
