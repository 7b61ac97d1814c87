# shellcheck shell=bash
# Sourced by every lab scenario: paths, checks and console helpers.
# A scenario runs lab machines, keeps their consoles under $LOGS, and records
# one PASS/FAIL line per check in $SCENARIO_RESULTS (the runner counts them).
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$TOP/tests/lab/lab
SCENARIO=${SCENARIO_NAME:-$(basename "$0")}
LOGS=${SHEER_LAB_LOGS:-$TOP/build/lab-logs}/$SCENARIO
SCENARIO_RESULTS=${SCENARIO_RESULTS:-/dev/null}
SHOW=0
[ "${1:-}" = --show ] && SHOW=1
mkdir -p "$LOGS"
export SHEER_LAB_TAG="sheer-lab-$SCENARIO-$$"

# check NAME COMMAND...: run COMMAND, record whether it succeeded.
check() {
	local name=$1
	shift
	# [N s]: when, in the scenario's run, the check ended: where a slow scenario spends its time.
	if "$@"; then
		echo "PASS: $SCENARIO: $name [$SECONDS s]" | tee -a "$SCENARIO_RESULTS"
	else
		echo "FAIL: $SCENARIO: $name [$SECONDS s]" | tee -a "$SCENARIO_RESULTS"
	fi
}

# machine NAME LAB-ARGS...: run a lab machine, console to $LOGS/NAME.log, status to $LOGS/NAME.status.
machine() {
	local name=$1 status=0
	shift
	if [ "$SHOW" = 1 ]; then
		"$LAB" "$@" 2>&1 | tee "$LOGS/$name.log"
		status=${PIPESTATUS[0]}
	else
		"$LAB" "$@" >"$LOGS/$name.log" 2>&1 || status=$?
	fi
	machine_done "$name" "$status"
}
machine_done() {
	tr -d '\r' <"$LOGS/$1.log" >"$LOGS/$1.clean" && mv "$LOGS/$1.clean" "$LOGS/$1.log"
	echo "$2" >"$LOGS/$1.status"
	echo "lab: $SCENARIO: $1 exited with status $2 (console: $LOGS/$1.log)"
}

# machine_start NAME LAB-ARGS...: start a lab machine as `machine` runs one, but in the
# background, so that hosts on one segment (lab host --segment) run at the same time;
# machines_wait waits for every one started and records each as `machine` does.
# With --show their consoles interleave, each line prefixed "NAME| ".
# The lab commands are killed (and so their QEMUs) if the scenario is stopped first:
# a background command ignores the SIGINT of a Ctrl-C.
MACHINE_PIDS=() MACHINE_NAMES=() MACHINE_VIEWERS=()
machine_start() {
	local name=$1
	shift
	"$LAB" "$@" >"$LOGS/$name.log" 2>&1 &
	MACHINE_PIDS+=("$!") MACHINE_NAMES+=("$name")
	# Shown from the log, which is whole once the lab command has exited (a tee could lag).
	if [ "$SHOW" = 1 ]; then
		tail -n +1 -f --pid="$!" "$LOGS/$name.log" | awk -v p="$name| " '{ print p $0; fflush() }' &
		MACHINE_VIEWERS+=("$!")
	fi
	trap machines_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
# two_hosts_migrating SEGMENT: lab hosts a (10.9.0.1) and b (10.9.0.2) on one segment, with TLS
# certificates from one CA, each running its side of tests/lab/inhost/sheer-migrate-hosts.sh: a
# counting server moves from a to b and back. machines_wait ends them.
two_hosts_migrating() {
	"$TOP/tests/tls/make-certs" "$LOGS/tls" a b >/dev/null
	local host=(host --cpus 2 --mem 1G --timeout 900 --put "$TOP/tests/lab/inhost:/lab/inhost" --put "$LOGS/tls:/lab/tls")
	machine_start b "${host[@]}" --segment "$1:10.9.0.2/24" -- sh /lab/inhost/sheer-migrate-hosts.sh b
	machine_start a "${host[@]}" --segment "$1:10.9.0.1/24" -- sh /lab/inhost/sheer-migrate-hosts.sh a
}
machines_wait() {
	local i status
	for i in "${!MACHINE_PIDS[@]}"; do
		status=0
		wait "${MACHINE_PIDS[$i]}" || status=$?
		# Its console shown to the end before the checks print.
		[ "$SHOW" = 0 ] || wait "${MACHINE_VIEWERS[$i]}"
		machine_done "${MACHINE_NAMES[$i]}" "$status"
	done
	MACHINE_PIDS=() MACHINE_NAMES=() MACHINE_VIEWERS=()
}
machines_stop() {
	local pid
	for pid in "${MACHINE_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${MACHINE_PIDS[@]}"; do
		wait "$pid"
	done
	# The consoles shown (--show) end with their machines: none writes after the scenario is done.
	for pid in "${MACHINE_VIEWERS[@]}"; do
		wait "$pid" 2>/dev/null
	done
}

status_of() { cat "$LOGS/$1.status"; }
# exited_with NAME STATUS: on failure the end of NAME's console shows why (a hang, a panic, a timeout).
exited_with() {
	[ "$(status_of "$1")" = "$2" ] && return
	echo "  $1 exited with status $(status_of "$1"), not $2; its console ended:"
	grep -av '^LAB: ' "$LOGS/$1.log" | tail -n 30 | cut -c 1-300 | sed "s/^/    $1| /"
	return 1
}
exited_nonzero() { [ "$(status_of "$1")" != 0 ]; }
# console_has NAME LINE: the console shows LINE exactly.
console_has() { grep -qxF -- "$2" "$LOGS/$1.log" || { echo "  $1: no line '$2'"; said "$1"; return 1; }; }
console_matches() { grep -qE -- "$2" "$LOGS/$1.log" || { echo "  $1: nothing matches /$2/"; said "$1"; return 1; }; }
# said NAME: what the in-host script reported (its "LAB:" lines), so a failed check shows what happened instead.
said() { grep -a '^LAB: ' "$LOGS/$1.log" | tail -n 8 | cut -c 1-300 | sed "s/^/    $1 said: /"; }
# free_port SOCK_DGRAM|SOCK_STREAM: a port on 127.0.0.1 free now (for a lab BMC or service).
free_port() {
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
# The test OS image's markers, in order.
markers() { grep '^SHEER-OS: ' "$LOGS/$1.log"; }
same_markers() {
	diff <(markers "$1") <(markers "$2") >/dev/null || { echo "  markers differ:"; diff <(markers "$1") <(markers "$2") | sed 's/^/    /'; return 1; }
}
lab_process_running() { pgrep -f -- "$SHEER_LAB_TAG" >/dev/null; }
no_lab_process_left() { ! lab_process_running; }
# http_serve DIR: serve DIR read-only over HTTP on the build machine's loopback, which a lab machine's
# user-mode network reaches at 10.0.2.2; HTTP_PORT gets the port. The server stops with the scenario.
http_serve() {
	HTTP_PORT=$(free_port SOCK_STREAM)
	python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$1" >"$LOGS/http.log" 2>&1 &
	HTTP_PID=$!
	trap 'kill "$HTTP_PID" 2>/dev/null' EXIT
	for _ in $(seq 50); do
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$HTTP_PORT" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "lab: $SCENARIO: the HTTP server did not start" >&2
	return 1
}
