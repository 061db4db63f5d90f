# ser2net between stm32boot and the emulator, for the network-port tests
# (sourced by test_network.sh and tests/faults/campaign_net.sh).
#
# ser2net listens on 127.0.0.1 only, with a raw port ($RAW_PORT) and an RFC
# 2217 one ($RFC_PORT) onto the emulator's pty, from a config file written
# here. The test interposer is preloaded into ser2net, so the parity, modem
# lines and BREAKs ser2net applies reach the emulator (tests/interposer).
# Needs WORK, STM32BOOT_INTERPOSER; fail() from the caller.

# A TCP port nobody listens on now (bound and released at once).
free_tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q LISTEN; }

# ser2net_start TTY CONTROL
ser2net_start() {
	command -v ser2net >/dev/null || fail "ser2net is not installed (scripts/deps.sh installs it)"
	[ -n "${STM32BOOT_INTERPOSER:-}" ] && [ -f "$STM32BOOT_INTERPOSER" ] \
		|| fail "the test interposer (tests/interposer) is not built"
	RAW_PORT=$(free_tcp_port)
	RFC_PORT=$(free_tcp_port)
	while [ "$RFC_PORT" = "$RAW_PORT" ]; do RFC_PORT=$(free_tcp_port); done
	cat >"$WORK/ser2net.yaml" <<YAML
%YAML 1.1
---
connection: &raw
    accepter: tcp,127.0.0.1,$RAW_PORT
    enable: on
    options:
      kickolduser: true
    connector: serialdev,$1,115200e81,local
connection: &rfc
    accepter: telnet(rfc2217),tcp,127.0.0.1,$RFC_PORT
    enable: on
    options:
      kickolduser: true
    connector: serialdev,$1,115200e81,local
YAML
	LD_PRELOAD=$STM32BOOT_INTERPOSER STM32BOOT_SIM_TTY=$1 STM32BOOT_SIM_CONTROL=$2 \
		ASAN_OPTIONS=verify_asan_link_order=0 \
		ser2net -n -d -l -u -P "$WORK/ser2net.pid" -c "$WORK/ser2net.yaml" \
		>"$WORK/ser2net.log" 2>&1 &
	S2N_PID=$!
	local i
	for i in $(seq 200); do
		listening "$RAW_PORT" && listening "$RFC_PORT" && return 0
		kill -0 "$S2N_PID" 2>/dev/null || fail "ser2net exited: $(cat "$WORK/ser2net.log")"
		sleep 0.02
	done
	fail "ser2net never listened on 127.0.0.1:$RAW_PORT and :$RFC_PORT: $(cat "$WORK/ser2net.log")"
}

ser2net_stop() {
	[ -n "${S2N_PID:-}" ] || return 0
	kill -TERM "$S2N_PID" 2>/dev/null
	wait "$S2N_PID" 2>/dev/null
	S2N_PID=
}

# ser2net refuses a connection to a device closed less than ~0.2 s ago
# ("Port's device already in use"): give it time between two clients.
ser2net_settle() { sleep 0.5; }
