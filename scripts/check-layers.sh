#!/usr/bin/env bash
# The layer rules of docs/architecture.md, checked:
#  1. only src/lib/rom (and the ROM back end's own tests) include the ROM
#     back end's private headers or call its stm32_bl_* / stm32_session_*;
#  2. src/cli includes only the public headers (and its own);
#  3. the library never prints and never exits;
#  4. no two library, CLI or emulator files include, or call, each other in a loop
#     (with BUILD_DIR: calls, from the objects' symbols);
#  5. no source file over 800 lines.
#
#   scripts/check-layers.sh [BUILD_DIR]
set -u -o pipefail
cd "$(dirname "$0")/.."
build=${1:-}
failures=0
fail() { echo "layers: $*" >&2; failures=$((failures + 1)); }

rom_private='"rom/(rom_protocol|rom_session|rom_internal|protocol_internal|protocol_link)\.h"'
rom_calls='\bstm32_(bl|session)_[a-z_]+\('

# 1. The ROM back end's insides stay in src/lib/rom (its unit tests and the
#    protocol fuzzer test them from tests/unit/rom and tests/fuzz).
while IFS= read -r hit; do
	fail "ROM back end's private header outside src/lib/rom: $hit"
done < <(grep -rnE "#include $rom_private" src tests bench tools --include='*.[ch]' |
	grep -vE '^(src/lib/rom/|tests/unit/rom/|tests/fuzz/)')
while IFS= read -r hit; do
	fail "ROM protocol call outside src/lib/rom: $hit"
done < <(grep -rnE "$rom_calls" src --include='*.[ch]' | grep -v '^src/lib/rom/')

# 2. The CLI is a shell over the public API.
while IFS= read -r hit; do
	file=${hit%%:*}
	header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$hit")
	case $header in
	stm32boot.h | stm32boot/*.h) ;;
	*) [ -f "src/cli/$header" ] || fail "$file includes a non-public header: $header" ;;
	esac
done < <(grep -rn '#include "' src/cli --include='*.[ch]')

# 3. The library reports through struct stm32_error; the caller words it.
#    Two uses are not messages: "-r -" writes the image to stdout, and the
#    child forked to run the emulator leaves with _exit when exec fails.
speech='\b(printf|fprintf|puts|fputs|putchar|perror|exit|_exit|abort)\(|\b(stdout|stderr)\b'
while IFS= read -r hit; do
	code=$(sed -E 's#^[^:]+:[0-9]+:##; s#/\*.*##; s#//.*##' <<<"$hit")
	grep -qE "$speech" <<<"$code" || continue
	case $hit in
	src/lib/image/format_file.c:*stdout*) continue ;;
	src/lib/link/transport_sim.c:*_exit\(127\)*) continue ;;
	esac
	fail "the library prints or exits: $hit"
done < <(grep -rnE "$speech" src/lib --include='*.[ch]')

# 4a. Includes: an edge per quoted include that names a file of the tree.
include_edges() {
	local root=$1
	while IFS= read -r file; do
		while IFS= read -r header; do
			for base in "$root" "$(dirname "$file")"; do
				if [ -f "$base/$header" ]; then
					echo "$file $(realpath --relative-to=. "$base/$header")"
					break
				fi
			done
		done < <(sed -nE 's/^#include "([^"]+)".*/\1/p' "$file")
	done < <(find "$root" -name '*.[ch]')
}
for root in src/lib src/cli src/sim; do
	if ! include_edges "$root" | tsort >/dev/null 2>/tmp/layers.$$; then
		fail "include loop in $root: $(tr '\n' ' ' </tmp/layers.$$)"
	fi
done
rm -f /tmp/layers.$$

# 4b. Calls: file A uses a symbol file B defines, from the built objects.
call_edges() {
	local objects=("$@") defs
	defs=$(for o in "${objects[@]}"; do
		nm -g --defined-only "$o" 2>/dev/null | awk -v f="$o" '{print $3, f}'
	done | sort -u)
	for o in "${objects[@]}"; do
		nm -u "$o" 2>/dev/null | awk '{print $2}' | sort -u |
			join - <(echo "$defs") | awk -v f="$o" '$2 != f {print f, $2}'
	done
}
if [ -n "$build" ]; then
	mapfile -t objects < <(find "$build/src/lib/CMakeFiles" "$build/src/cli/CMakeFiles" "$build/src/sim/CMakeFiles" -name '*.o' 2>/dev/null)
	if [ ${#objects[@]} -eq 0 ]; then
		fail "no objects under $build (build it first)"
	elif ! call_edges "${objects[@]}" | sed "s|$build/||g" | tsort >/dev/null 2>/tmp/layers.$$; then
		fail "files that call each other in a loop: $(tr '\n' ' ' </tmp/layers.$$)"
	fi
	rm -f /tmp/layers.$$
fi

# 5. Files stay small enough to read.
while read -r lines file; do
	[ "$file" = total ] && continue
	[ "$lines" -gt 800 ] && fail "$file has $lines lines (keep files under ~800)"
done < <(find src -name '*.[ch]' -print0 | xargs -0 wc -l)

if [ "$failures" -gt 0 ]; then
	echo "layers: $failures problem(s)" >&2
	exit 1
fi
echo "layers: ok"
