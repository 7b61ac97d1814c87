#!/bin/sh
# A console nobody reads must never block the VMM (issue 9, defect 2): `sheer run` of
# the chatter guest, which prints without end, with its stdout a pipe that `sleep 300`
# holds and never reads. Once that pipe is full, `sheer shutdown`, `sheer status` (alone
# and 20 at once), `sheer list`, a second `sheer run` and `sheer poweroff` must each answer
# within 10 s; the server then exits 0 with a warning counting the console bytes it
# dropped, and nothing is left registered. Prints "ok"/"FAIL" per case and
# "slow_console: N passed, M failed".
#
# usage: tests/guests/slow_console.sh BUILD_DIR
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
CHATTER=$BUILD/guests/chatter.bzImage
HELLO=$BUILD/guests/hello.bzImage
for file in "$SHEER" "$CHATTER" "$HELLO"; do
	[ -f "$file" ] || { echo "slow_console: build $file first" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "slow_console: needs python3 (make deps)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/sheer-slow-console.XXXXXX)
PID=
READER=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	[ -n "$READER" ] && kill "$READER" 2>/dev/null
	rm -rf "$WORK"
}
# A run cut short (^C, timeout, | head, a closed terminal) must not leave a VMM behind.
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
export SHEER_RUN_DIR="$WORK/run"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
# fail WHAT [FILE...]: the case, then the end of each file that says why.
fail() {
	what=$1
	shift
	failed=$((failed + 1))
	echo "FAIL $what"
	for file in "$@"; do sed 's/^/     /' "$file" 2>/dev/null | tail -n 10; done
}

# within_10s OUT ARGS...: sheer ARGS, its output in OUT, killed after 10 s (exit status 124).
within_10s() {
	out=$1
	shift
	timeout 10 "$SHEER" "$@" </dev/null >"$out" 2>&1
}

# Waits until the pipe behind FIFO takes no more (at most 60 s) and prints how long that
# took. A pipe is full when its pages are, which can be some bytes short of its size: full
# here is more than half of it queued and no change for a second. A second read end that
# only asks FIONREAD takes nothing out of the pipe.
wait_pipe_full() {
	python3 - "$1" <<'EOF'
import array, fcntl, os, sys, termios, time
F_GETPIPE_SZ = 1032
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
capacity = fcntl.fcntl(fd, F_GETPIPE_SZ)
queued = array.array("i", [0])
start = time.monotonic()
last, unchanged_since = -1, start
while time.monotonic() - start < 60:
    fcntl.ioctl(fd, termios.FIONREAD, queued)
    now = time.monotonic()
    if queued[0] != last:
        last, unchanged_since = queued[0], now
    elif last > capacity // 2 and now - unchanged_since >= 1:
        print("%.1f s (%d bytes queued)" % (unchanged_since - start, last))
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
}

# The same as `sheer run ... | sleep 300`, through a named pipe so that sheer's pid and exit
# status are at hand.
mkfifo "$WORK/console"
sleep 300 <"$WORK/console" &
READER=$!
"$SHEER" run --name chat01 --cpus 1 --memory 16M --kernel "$CHATTER" --shared-cores \
	</dev/null >"$WORK/console" 2>"$WORK/err" &
PID=$!
if filled=$(wait_pipe_full "$WORK/console"); then
	ok "the guest filled the unread pipe in $filled"
	# sheer's console buffer behind it fills at the same pace: give it as long again.
	sleep "${filled%% *}"
else
	fail "the guest filled the unread pipe within 60 s" "$WORK/err"
fi

# The button needs the device lock the UART holds while it writes: the chatter guest ignores
# it, so the answer is "still running" after 1 s.
within_10s "$WORK/shutdown" shutdown chat01 --timeout 1
status=$?
if [ $status -eq 1 ] && grep -q "chat01: still running after 1 s" "$WORK/shutdown"; then
	ok "sheer shutdown answers: the button is pressed, the guest does not care"
else
	fail "sheer shutdown answers within 10 s: exit $status" "$WORK/shutdown"
fi
within_10s "$WORK/status" status chat01
status=$?
if [ $status -eq 0 ] && grep -q '^state: *shutting-down$' "$WORK/status"; then
	ok "sheer status answers: shutting-down"
else
	fail "sheer status answers within 10 s: exit $status" "$WORK/status"
fi
# More clients at once than the control socket's backlog (16): those of a stuck server stay
# queued, and then connecting at all blocks, as `sheer run` and `sheer list` do to find out
# which servers are alive.
clients=
for i in $(seq 20); do
	within_10s "$WORK/crowd.$i" status chat01 &
	clients="$clients $!"
done
for client in $clients; do wait "$client"; done
answered=$(grep -l '^state: *shutting-down$' "$WORK"/crowd.* | wc -l)
if [ "$answered" -eq 20 ]; then
	ok "20 sheer status at once all answer"
else
	fail "20 sheer status at once all answer within 10 s: $answered did" "$WORK/crowd.1"
fi
within_10s "$WORK/list" list
status=$?
if [ $status -eq 0 ] && grep -q '^chat01 ' "$WORK/list"; then
	ok "sheer list answers and lists chat01"
else
	fail "sheer list answers within 10 s and lists chat01: exit $status" "$WORK/list"
fi
# Another server: the hello guest prints one line and powers itself off.
within_10s "$WORK/hello" run --name hello01 --cpus 1 --memory 16M --kernel "$HELLO" --shared-cores
status=$?
if [ $status -eq 0 ] && grep -q "hello: sheer test guest on serial" "$WORK/hello"; then
	ok "a second sheer run starts, runs its guest and exits 0"
else
	fail "a second sheer run starts, runs its guest and exits 0 within 10 s: exit $status" "$WORK/hello"
fi
within_10s "$WORK/poweroff" poweroff chat01 --timeout 8
status=$?
if [ $status -eq 0 ]; then
	ok "sheer poweroff answers and the server stops"
else
	fail "sheer poweroff answers and the server stops within 10 s: exit $status" "$WORK/poweroff"
fi

# The server should be gone by now; one that is stuck is killed after 5 s more.
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
if kill -0 "$PID" 2>/dev/null; then
	kill -9 "$PID"
	{ wait "$PID"; } 2>/dev/null
	fail "sheer run exits after the poweroff (killed 5 s later)" "$WORK/err"
else
	wait "$PID"
	status=$?
	if [ $status -eq 0 ] && grep -q "bytes of console output dropped: its reader was too slow" "$WORK/err"; then
		ok "sheer run exits 0 and counts what it dropped: $(grep dropped "$WORK/err")"
	else
		fail "sheer run exits 0 and warns about dropped console bytes: exit $status" "$WORK/err"
	fi
fi
PID=

# The run directory first: sheer list cleans up after a VMM that did not.
leftovers=$(find "$SHEER_RUN_DIR" \( -name '*.sock' -o -name '*.json' \))
within_10s "$WORK/list" list
status=$?
if [ -z "$leftovers" ] && [ $status -eq 0 ] && [ "$(wc -l <"$WORK/list")" -eq 1 ]; then
	ok "nothing is left registered: sheer list is empty"
else
	echo "left in the run directory: $leftovers" >>"$WORK/list"
	fail "nothing is left registered, sheer list is empty: exit $status" "$WORK/list"
fi
echo "slow_console: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
