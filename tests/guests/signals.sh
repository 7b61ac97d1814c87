#!/bin/sh
# Signals to a running `sheer run` (the ckpt guest on /dev/kvm): those that
# would end a process by default but mean nothing to a VMM (USR1, USR2, ALRM,
# PIPE, a real-time signal, ...) leave the server running; QUIT, like INT,
# TERM and HUP, powers the guest off and sheer cleans up (exit 0, nothing
# left registered). Prints "ok"/"FAIL" per case and "signals: N passed, M failed".
#
# usage: tests/guests/signals.sh BUILD_DIR
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/ckpt.bzImage
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "signals: build $SHEER and $GUEST first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/sheer-signals.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
export SHEER_RUN_DIR="$WORK/run"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/     /' "$WORK/err" "$WORK/out" 2>/dev/null | tail -n 20; }

"$SHEER" run --name sig01 --cpus 1 --memory 64M --kernel "$GUEST" --shared-cores </dev/null >"$WORK/out" 2>"$WORK/err" &
PID=$!
i=0
until grep -q "ckpt: count 1 " "$WORK/out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 600 ] && { fail "the guest started counting"; break; }
	sleep 0.1
done
# 40: a real-time signal (glibc's SIGRTMIN is 34; sheer kicks vCPUs with 35).
for sig in USR1 USR2 ALRM PIPE VTALRM PROF XCPU XFSZ TRAP IO PWR 40; do
	kill -"$sig" "$PID"
	sleep 0.1
	if kill -0 "$PID" 2>/dev/null && "$SHEER" status sig01 2>/dev/null | grep -q running; then
		ok "SIG$sig leaves the server running"
	else
		fail "SIG$sig leaves the server running"
	fi
done
kill -QUIT "$PID"
wait "$PID"
status=$?
PID=
if [ $status -eq 0 ] && [ -z "$(find "$SHEER_RUN_DIR" \( -name '*.sock' -o -name '*.json' \))" ]; then
	ok "SIGQUIT powers the guest off: exit 0, nothing left registered"
else
	fail "SIGQUIT powers the guest off: exit $status"
fi
echo "signals: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
