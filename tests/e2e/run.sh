#!/usr/bin/env bash
# run.sh FILE FUNCTION: one end-to-end test case in a fresh scratch directory.
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
# A file that does not parse would leave its later tests undefined: each
# would then "pass" by running nothing, so both are errors of their own.
. "$1" || { echo "FAIL: $1 did not load (status $?)"; exit 1; }
declare -F "$2" >/dev/null || { echo "FAIL: $1 defines no test $2"; exit 1; }
e2e_init
"$2"
echo "PASS: $2"
