# Shared by the emulator's script tests: a scratch folder, checks that count
# failures, and starting the emulator in the background.
# The caller sets SIM (the emulator program) and sources this file.

WORK=$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")
SIM_PID=
failures=0

cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

expect_eq() { # what got want
	if [ "$2" != "$3" ]; then
		fail "$1: got '$2', want '$3'"
	else
		echo "ok: $1"
	fi
}

# Start the emulator in the background; wait until its --link (a pty
# symlink, or a bus socket) exists.
start_sim() { # link args...
	local link=$1
	shift
	"$SIM" --link "$link" "$@" 2>"$WORK/sim.err" &
	SIM_PID=$!
	for _ in $(seq 200); do
		{ [ -L "$link" ] || [ -S "$link" ]; } && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "emulator did not publish $link: $(cat "$WORK/sim.err")"
	return 1
}

# SIGTERM, and expect the clean exit (status 0) that saves image and stats.
stop_sim_cleanly() {
	kill -TERM "$SIM_PID"
	wait "$SIM_PID"
	local status=$?
	SIM_PID=
	expect_eq "emulator exit status" "$status" 0
}
