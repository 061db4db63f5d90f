#!/usr/bin/env bash
# run.sh FILE FUNCTION: one end-to-end test case in a fresh scratch directory.
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$1"
e2e_init
"$2"
echo "PASS: $2"
