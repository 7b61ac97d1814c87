# Sourced by the shell tests that check cases one by one (cli_help.sh, fleet_check.sh, tests/guests/fleet.sh):
# the counts and check(). Each case leaves the program's output in $WORK/out and $WORK/err, shown when it
# fails, and the end of $CASE_LOG too when it names a file (a daemon's log).
passed=0
failed=0

# check NAME DETAIL CONDITION...: CONDITION is a command that succeeds when the case holds.
check() {
	name=$1 detail=$2
	shift 2
	if "$@" >/dev/null; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: $detail"
		[ -s "$WORK/out" ] && sed -n '1,5s/^/     stdout: /p' "$WORK/out"
		[ -s "$WORK/err" ] && sed -n '1,5s/^/     stderr: /p' "$WORK/err"
		[ -n "${CASE_LOG:-}" ] && [ -s "$CASE_LOG" ] && tail -n 8 "$CASE_LOG" | sed 's/^/     log: /'
	fi
	return 0
}
