#!/bin/sh
# What an operator is told by the commands that act on a running server, through the
# sheer program and the dirty guest on /dev/kvm (it never stops on its own and ignores
# the power button):
#  - pausing a paused server: "NAME: already paused", exit 2; resuming a running one:
#    "NAME: not paused", exit 2; each time the server goes on as it was;
#  - shutdown --timeout 0 (and stop --all --timeout 0) presses the power button and
#    returns at once, exit 0, saying so, although this guest will not stop;
#  - poweroff ends it: sheer run exits 0, nothing is left registered.
# Each check prints "ok"/"FAIL"; the run ends with "manage: N passed, M failed".
#
# usage: tests/guests/manage.sh BUILD_DIR     (needs BUILD_DIR/sheer and BUILD_DIR/guests/dirty.bzImage)
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/dirty.bzImage
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "manage: build $SHEER and $GUEST first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/sheer-manage.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
# A run cut short (^C, timeout, | head) must not leave a VMM behind.
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
export SHEER_RUN_DIR="$WORK/run"
export SHEER_KERNEL_CACHE=off
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; tail -n 5 "$WORK/err" "$WORK/run.err" 2>/dev/null | sed 's/^/     /'; }

# sheer ARGS...: the command, bounded, its status in $status and its output in out and err.
sheer() {
	timeout 30 "$SHEER" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	status=$?
}

# refused NAME STATE TEXT -- ARGS...: exit 2 with the one line "sheer: TEXT", and the server still in STATE.
refused() {
	name=$1 state=$2 text=$3
	shift 4
	sheer "$@"
	if [ "$status" -eq 2 ] && [ "$(cat "$WORK/err")" = "sheer: $text" ] &&
	   "$SHEER" status web1 2>/dev/null | grep -q "^state: *$state\$"; then
		ok "$name: $(cat "$WORK/err")"
	else
		fail "$name: status $status (wanted 2, the line 'sheer: $text', the server $state)"
	fi
}

# passes: how many "dirty: pass N ok" lines the guest has printed.
passes() { grep -c '^dirty: pass [0-9]* ok' "$WORK/run.out" 2>/dev/null; }

"$SHEER" run --name web1 --cpus 1 --memory 64M --kernel "$GUEST" --shared-cores \
	</dev/null >"$WORK/run.out" 2>"$WORK/run.err" &
PID=$!
i=0
until [ "$(passes)" -ge 1 ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && { fail "the guest started its passes"; break; }
	sleep 0.1
done

sheer pause web1
[ "$status" -eq 0 ] && ok "pause: $(cat "$WORK/out")" || fail "pause: status $status"
refused pause-a-paused-server paused "web1: already paused" -- pause web1
sheer resume web1
[ "$status" -eq 0 ] && ok "resume: $(cat "$WORK/out")" || fail "resume: status $status"
refused resume-a-running-server running "web1: not paused" -- resume web1
before=$(passes)
sleep 1.5
[ "$(passes)" -gt "$before" ] && ok "the guest goes on after the refusals" || fail "the guest goes on after the refusals"

start=$(date +%s%N)
sheer shutdown web1 --timeout 0
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
if [ "$status" -eq 0 ] && [ "$(cat "$WORK/out")" = "web1: power button pressed (not waiting for it to stop)" ] &&
   [ "$elapsed_ms" -lt 2000 ] && kill -0 "$PID" 2>/dev/null; then
	ok "shutdown --timeout 0 returns at once ($elapsed_ms ms): $(cat "$WORK/out")"
else
	fail "shutdown --timeout 0: status $status after $elapsed_ms ms, said '$(cat "$WORK/out")'"
fi

sheer stop --all --timeout 0
if [ "$status" -eq 0 ] && [ "$(cat "$WORK/out")" = "web1: power button pressed (not waiting for it to stop)" ] &&
   kill -0 "$PID" 2>/dev/null; then
	ok "stop --all --timeout 0 presses every button and returns: $(cat "$WORK/out")"
else
	fail "stop --all --timeout 0: status $status, said '$(cat "$WORK/out")'"
fi

sheer poweroff web1
wait "$PID"
run_status=$?
PID=
if [ "$status" -eq 0 ] && [ "$run_status" -eq 0 ] &&
   [ -z "$(find "$SHEER_RUN_DIR" \( -name '*.sock' -o -name '*.json' \))" ]; then
	ok "poweroff ends it: sheer run exits 0, nothing left registered"
else
	fail "poweroff: status $status, sheer run exited $run_status"
fi
echo "manage: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
