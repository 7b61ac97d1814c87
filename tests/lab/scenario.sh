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
	if "$@"; then
		echo "PASS: $SCENARIO: $name" | tee -a "$SCENARIO_RESULTS"
	else
		echo "FAIL: $SCENARIO: $name" | tee -a "$SCENARIO_RESULTS"
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
	tr -d '\r' <"$LOGS/$name.log" >"$LOGS/$name.clean" && mv "$LOGS/$name.clean" "$LOGS/$name.log"
	echo "$status" >"$LOGS/$name.status"
	echo "lab: $SCENARIO: $name exited with status $status (console: $LOGS/$name.log)"
}

status_of() { cat "$LOGS/$1.status"; }
exited_with() { [ "$(status_of "$1")" = "$2" ]; }
exited_nonzero() { [ "$(status_of "$1")" != 0 ]; }
# console_has NAME LINE: the console shows LINE exactly.
console_has() { grep -qxF -- "$2" "$LOGS/$1.log" || { echo "  $1: no line '$2'"; return 1; }; }
console_matches() { grep -qE -- "$2" "$LOGS/$1.log" || { echo "  $1: nothing matches /$2/"; return 1; }; }
# The test OS image's markers, in order.
markers() { grep '^SHEER-OS: ' "$LOGS/$1.log"; }
same_markers() {
	diff <(markers "$1") <(markers "$2") >/dev/null || { echo "  markers differ:"; diff <(markers "$1") <(markers "$2") | sed 's/^/    /'; return 1; }
}
lab_process_running() { pgrep -f -- "$SHEER_LAB_TAG" >/dev/null; }
no_lab_process_left() { ! lab_process_running; }
