#!/usr/bin/env bash
# The whole test suite: unit, emulator, interposer, stm32flash peer and CLI
# end-to-end and fault-campaign tests, and the layer check; once in a normal
# build (its unit tests also under valgrind) and once under ASan+UBSan; a
# Release build; then each libFuzzer target (clang) for about a minute.
# Warnings are errors in every build here (STM32BOOT_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
stm32boot_install_deps "${STM32BOOT_BUILD_DEPS[@]}" "${STM32BOOT_TEST_DEPS[@]}" valgrind
jobs=$(nproc)

echo "== build and test =="
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTM32BOOT_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j"$jobs"

echo "== Release build (what users build), warnings as errors =="
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSTM32BOOT_WERROR=ON >/dev/null
cmake --build build-release -j"$jobs" >/dev/null

echo "== valgrind memcheck: unit tests =="
# The unit tests cover the library's host code without child processes; the
# end-to-end and fault tests are run under ASan+UBSan below instead.
# (Programs that are scripts, or need the interposer's environment, are left
# to ctest.)
for t in build-test/bin/test_*; do
	case $t in *interposer* | *i2c_transport | *spi_transport) continue ;; esac # re-exec themselves
	# Unicorn's JIT-generated code is not memcheck's to follow (ASan runs them).
	case $t in *test_sim_cpu_*) continue ;; esac
	[ "$(head -c 4 "$t" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		"$t" >/dev/null
done

echo "== build and test under ASan+UBSan =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTM32BOOT_WERROR=ON -DSTM32BOOT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
# Leaks inside third-party libraries only (tests/lsan.supp says which, and why).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp":print_suppressions=0 \
	ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== libFuzzer targets (clang), about 60 s each =="
# Fresh copies of the corpora: what libFuzzer adds stays out of the tree.
CC=clang cmake -S . -B build-fuzzers -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTM32BOOT_WERROR=ON -DSTM32BOOT_FUZZ=ON >/dev/null
cmake --build build-fuzzers -j"$jobs" --target fuzz_formats fuzz_protocol
fuzz_work=$(mktemp -d)
trap 'rm -rf "$fuzz_work"' EXIT
mkdir "$fuzz_work/formats" "$fuzz_work/protocol"
cp tests/fuzz/corpus/* tests/bad/* "$fuzz_work/formats/"
cp tests/fuzz/corpus-protocol/* "$fuzz_work/protocol/"
for target in formats protocol; do
	build-fuzzers/bin/fuzz_$target -max_total_time=60 -timeout=25 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzzers/crash- "$fuzz_work/$target" 2>"$fuzz_work/$target.log" ||
		{ tail -40 "$fuzz_work/$target.log"; echo "fuzz_$target failed; input kept as build-fuzzers/crash-*"; exit 1; }
	grep -E '^Done [0-9]+ runs' "$fuzz_work/$target.log" | sed "s/^/fuzz_$target: /"
done
