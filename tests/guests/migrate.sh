#!/bin/sh
# Live migration of a tiny guest on /dev/kvm between two sheer processes
# (issue 10), through the sheer program itself. Two run directories stand
# for two hosts, A and B. The dirty guest (tests/guests/dirty.c) keeps
# rewriting its memory, checks it before each rewrite and prints
# "dirty: pass N ok" after each pass:
#  a. `sheer migrate` over unix: while it runs: the source exits 0 saying
#     where it went, the passes continue on the target's console (N+1 after
#     N, none BAD), nothing of it is left on A; poweroff on B ends it;
#  b. the same with --bandwidth 1, so that pre-copy takes several rounds;
#  c. the connection cut by a relay (migrate_relay.py) at random points, and
#     once right after the machine state, while the source is paused: the
#     source keeps running, `sheer migrate` exits 1 with one line, the
#     target exits non-zero and leaves nothing registered;
#  d. refusals, exit 2 and the source untouched: an unknown server and a
#     paused one (the target keeps waiting), plain TCP to a non-loopback
#     address, a target where a server of that name runs already (its
#     reason on the line); then that source powers off cleanly;
#  e. the server powered off, and the target stopped, during pre-copy;
#  f. over TCP on loopback, like a, after a first attempt that was cut.
# (count_moves.sh moves a guest that prints without pause.)
# Each check prints "ok"/"FAIL"; the run ends with "migrate: N passed, M failed".
# MIGRATE_CUTS="BYTES..." replaces the random cut points (to repeat a run): c's three, then f's.
#
# usage: tests/guests/migrate.sh BUILD_DIR     (needs BUILD_DIR/sheer and BUILD_DIR/guests/dirty.bzImage)
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/dirty.bzImage
RELAY=$(cd "$(dirname "$0")" && pwd)/migrate_relay.py
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "migrate: build $SHEER and $GUEST first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "migrate: needs python3 (make deps)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sheer-migrate.XXXXXX)
PIDS=
cleanup() {
	for pid in $PIDS; do kill -9 "$pid" 2>/dev/null; done
	rm -rf "$WORK"
}
# A run cut short (^C, timeout, | head) must not leave a VMM, a receiver or a relay behind.
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
export SHEER_KERNEL_CACHE=off
HOST_A=$WORK/a
HOST_B=$WORK/b

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
# fail WHAT [FILE...]: the case, then the end of each file that says why.
fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
	shift
	for f in "$@"; do [ -f "$f" ] && tail -n 8 "$f" | sed "s|^|     $(basename "$f"): |"; done
}

# on HOST ARGS...: sheer with HOST's run directory, bounded.
on() {
	host=$1
	shift
	SHEER_RUN_DIR=$host timeout 30 "$SHEER" "$@" </dev/null
}

# background LABEL COMMAND...: COMMAND in the background, its output in LABEL.out and LABEL.err.
background() {
	label=$1
	shift
	"$@" </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err" &
	eval "PID_$label=$!"
	PIDS="$PIDS $!"
}

# start_run LABEL HOST NAME [CMDLINE]: the dirty guest under `sheer run` on HOST.
start_run() {
	background "$1" env SHEER_RUN_DIR="$2" "$SHEER" run --name "$3" --cpus 1 --memory 64M --kernel "$GUEST" \
		--cmdline "${4:-console=ttyS0}" --shared-cores
}

# start_receive LABEL HOST ADDR: `sheer receive` on HOST, once it listens.
start_receive() {
	background "$1" env SHEER_RUN_DIR="$2" "$SHEER" receive --listen "$3" --shared-cores
	wait_for "$WORK/$1.err" "waiting for a server" 10 || fail "sheer receive listens on $3" "$WORK/$1.err"
}

# wait_for FILE TEXT [SECONDS]: until TEXT appears in FILE.
wait_for() {
	i=0
	while ! grep -qF -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((${3:-60} * 10)) ] && return 1
		sleep 0.1
	done
}

# exited PID: the process is gone, or a zombie that only waits for `wait`.
exited() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) return 0 ;; esac
	return 1
}

# wait_exit LABEL [SECONDS]: the background LABEL's exit status; 124 if it still ran after SECONDS (it is killed).
wait_exit() {
	eval "pid=\$PID_$1"
	i=0
	until exited "$pid"; do
		i=$((i + 1))
		if [ $i -gt $((${2:-30} * 10)) ]; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$pid"
}

# last_pass FILE: the number of the last pass FILE reports (0 if none).
last_pass() {
	n=$(sed -n 's/.*dirty: pass \([0-9]*\) .*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

# wait_pass FILE N [SECONDS]: until FILE reports pass N or later.
wait_pass() {
	i=0
	while [ "$(last_pass "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt $((${3:-30} * 10)) ] && return 1
		sleep 0.1
	done
}

# passes_continue MIN FILE...: the consoles of one guest, in order, read as one stream (a line may
# start on one host and end on the next): the start line, then "dirty: pass N ok" for N = 1, 2, 3...
# without a gap, a repeat or a BAD, and at least MIN whole pass lines in the last file. Prints why not.
passes_continue() {
	python3 - "$@" <<'EOF'
import re, sys
min_last, files = int(sys.argv[1]), sys.argv[2:]
texts = [open(f, errors="replace").read() for f in files]
lines = "".join(texts).split("\n")[:-1]     # the last line may still be being written
if not lines or not lines[0].startswith("dirty: start "):
    sys.exit("no start line: %r" % (lines[:1],))
for expected, line in enumerate(lines[1:], 1):
    if line != "dirty: pass %d ok" % expected:
        sys.exit("where 'dirty: pass %d ok' belongs: %r" % (expected, line))
in_last = len(re.findall(r"^dirty: pass \d+ ok$", texts[-1], re.M))
if in_last < min_last:
    sys.exit("%d passes on the last console, wanted %d" % (in_last, min_last))
print("passes 1..%d, %d on the last console" % (len(lines) - 1, in_last))
EOF
}

# json_get FILE KEY: KEY of the JSON object in FILE, or "none".
json_get() {
	python3 -c 'import json, sys
try: print(json.load(open(sys.argv[1]))[sys.argv[2]])
except Exception: print("none")' "$1" "$2"
}

# servers HOST: name:pid of each server registered on HOST, one line.
servers() {
	on "$1" list --json | python3 -c 'import json, sys
print(" ".join("%s:%s" % (s["name"], s["pid"]) for s in json.load(sys.stdin)))'
}
nothing_registered() { [ -z "$(find "$1" \( -name '*.sock' -o -name '*.json' \) 2>/dev/null)" ]; }
list_empty() { [ "$(on "$1" list --json)" = "[]" ]; }

# migrate LABEL HOST NAME ADDR [FLAGS...]: `sheer migrate` on HOST; its status in $status.
migrate() {
	label=$1 host=$2 name=$3 addr=$4
	shift 4
	SHEER_RUN_DIR=$host timeout 120 "$SHEER" migrate "$name" --to "$addr" "$@" </dev/null \
		>"$WORK/$label.out" 2>"$WORK/$label.err"
	status=$?
}

# ---- a successful migration and what must hold after it ----

# migrated LABEL GUEST SERVER TARGET ADDR: the checks after `sheer migrate` of SERVER (whose `sheer run`
# is GUEST, console GUEST.out) to the `sheer receive` TARGET on host B, whose JSON is in LABEL.out.
migrated() {
	label=$1 guest=$2 server=$3 target=$4 addr=$5
	rounds=$(json_get "$WORK/$label.out" rounds)
	downtime=$(json_get "$WORK/$label.out" downtime_ns)
	if [ $status -eq 0 ] && [ "$(wc -l <"$WORK/$label.out")" -eq 1 ] && [ "$rounds" != none ] &&
	   [ "$rounds" -ge 1 ] && [ "$downtime" != none ] && [ "$downtime" -gt 0 ]; then
		ok "$label: migrate exits 0: $(cat "$WORK/$label.out")"
	else
		fail "$label: migrate exits 0 with one JSON line, rounds >= 1, downtime_ns > 0: exit $status" \
			"$WORK/$label.out" "$WORK/$label.err"
	fi
	wait_exit "$guest" 30
	status=$?
	if [ $status -eq 0 ] && grep -qF "$server: migrated to $addr, where it runs now" "$WORK/$guest.err"; then
		ok "$label: the source's sheer run exits 0: $(tail -n 1 "$WORK/$guest.err")"
	else
		fail "$label: the source's sheer run exits 0 saying where the server went: exit $status" "$WORK/$guest.err"
	fi
	if list_empty "$HOST_A" && nothing_registered "$HOST_A"; then
		ok "$label: nothing of $server is left on host A (sheer list is empty)"
	else
		fail "$label: nothing of $server is left on host A" "$WORK/$guest.err"
	fi
	# 4 more: the first line on host B may be the end of one the source began, not a whole line there.
	wait_pass "$WORK/$target.out" $(($(last_pass "$WORK/$guest.out") + 4)) 30
	if why=$(passes_continue 3 "$WORK/$guest.out" "$WORK/$target.out" 2>&1); then
		ok "$label: the passes continue on host B, memory intact: $why"
	else
		fail "$label: the passes continue on host B, memory intact: $why" "$WORK/$target.out" "$WORK/$target.err"
	fi
	on "$HOST_B" poweroff "$server" >"$WORK/$label.poweroff" 2>&1
	status=$?
	wait_exit "$target" 30
	target_status=$?
	if [ $status -eq 0 ] && [ $target_status -eq 0 ] && list_empty "$HOST_B" && nothing_registered "$HOST_B"; then
		ok "$label: poweroff on host B: sheer receive exits 0, nothing left registered"
	else
		fail "$label: poweroff on host B: exit $status, sheer receive exit $target_status" \
			"$WORK/$label.poweroff" "$WORK/$target.err"
	fi
}

echo "migrate: the dirty guest passes every ~0.7 s here; about 40 s in all"

# ---- a. over unix: while the guest dirties its memory ----
start_run alpha "$HOST_A" alpha
wait_for "$WORK/alpha.out" "dirty: pass 2 ok" 60 || fail "alpha reached pass 2" "$WORK/alpha.out" "$WORK/alpha.err"
start_receive alpha_b "$HOST_B" "unix:$WORK/b.sock"
migrate unix "$HOST_A" alpha "unix:$WORK/b.sock" --json
FULL_BYTES=$(json_get "$WORK/unix.out" bytes)
migrated unix alpha alpha alpha_b "unix:$WORK/b.sock"

# rounds_between LABEL GUEST MIN MAX CMDLINE WHAT: GUEST (a dirty guest with CMDLINE) migrates with
# --bandwidth from LABEL's flags and takes MIN to MAX pre-copy rounds; then the checks after a migration.
rounds_between() {
	# Its own names: background, migrate and migrated set label, guest and the others as they go.
	rb_label=$1 rb_guest=$2 rb_min=$3 rb_max=$4 rb_what=$6
	start_run "$rb_guest" "$HOST_A" "$rb_guest" "$5"
	wait_for "$WORK/$rb_guest.out" "dirty: pass 2 ok" 60 ||
		fail "$rb_guest reached pass 2" "$WORK/$rb_guest.out" "$WORK/$rb_guest.err"
	start_receive "${rb_guest}_b" "$HOST_B" "unix:$WORK/b.sock"
	migrate "$rb_label" "$HOST_A" "$rb_guest" "unix:$WORK/b.sock" --bandwidth "${rb_label#*-}" --json
	rounds=$(json_get "$WORK/$rb_label.out" rounds)
	if [ "$rounds" != none ] && [ "$rounds" -ge "$rb_min" ] && [ "$rounds" -le "$rb_max" ]; then
		ok "$rb_label: $rb_what: $rounds pre-copy rounds"
	else
		fail "$rb_label: $rb_what: $rb_min to $rb_max pre-copy rounds, not $rounds" "$WORK/$rb_label.out" \
			"$WORK/$rb_label.err"
	fi
	migrated "$rb_label" "$rb_guest" "$rb_guest" "${rb_guest}_b" "unix:$WORK/b.sock"
}
# ---- b. 1 MiB/s: a round takes seconds, so the guest dirties pages meanwhile ----
# 2.6 MiB to send first (the 2 MiB cold region, 640 KiB hot), then the hot pages, dirtied at 640 KiB/s
# (a pass a second): each round finds fewer dirty pages than the one before, and the rest fits the
# 300 ms downtime after two or three.
rounds_between bandwidth-1 beta 2 30 "dirty.kib=640 dirty.pass_ms=1000" "the guest dirties pages while a round goes"

# The 2 MiB hot region rewritten without pause, more than --bandwidth 2 carries: only auto-converge's throttle
# (every vCPU kicked each 10 ms period, however long the sender blocks) makes pre-copy converge; without it a
# round never ends with less dirty than it sent.
rounds_between bandwidth-2 theta 2 20 "console=ttyS0" "a guest outrunning the link is throttled and moves"

# ---- c. the connection cut: the source goes on, the target discards it all ----
# The source of c, d and e: the server SOURCE on host A (label and name alike), its console in SOURCE.out.
SOURCE="gamma"
start_run gamma "$HOST_A" gamma
wait_for "$WORK/gamma.out" "dirty: pass 1 ok" 60 || fail "gamma reached pass 1" "$WORK/gamma.out" "$WORK/gamma.err"
# state: and pid: of SOURCE on host A: a source left untouched keeps both.
source_status() { on "$HOST_A" status "$SOURCE" 2>&1 | sed -n 's/^\(state\|pid\): *//p' | tr '\n' ' '; }
SOURCE_STATUS=$(source_status)

# source_goes_on WHAT: SOURCE still runs on host A as before, and passes on with its memory intact.
source_goes_on() {
	why=
	now=$(source_status)
	from=$(last_pass "$WORK/$SOURCE.out")
	wait_pass "$WORK/$SOURCE.out" $((from + 2)) 30 || why="no pass after pass $from in 30 s"
	if [ "$now" = "$SOURCE_STATUS" ] && [ -z "${why:-}" ] && why=$(passes_continue 2 "$WORK/$SOURCE.out" 2>&1); then
		ok "$1: the source runs on ($now): $why"
	else
		fail "$1: the source runs on: status '$now', was '$SOURCE_STATUS'; ${why:-}" "$WORK/$SOURCE.out" \
			"$WORK/$SOURCE.err"
	fi
}

# cut WHAT RELAY-FLAGS...: migrate SOURCE to host B through a relay that cuts the connection.
cut() {
	what=$1
	shift
	start_receive cut_b "$HOST_B" "unix:$WORK/b.sock"
	background relay python3 "$RELAY" "$WORK/relay.sock" "$WORK/b.sock" "$@"
	i=0
	until [ -S "$WORK/relay.sock" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
	migrate cut "$HOST_A" "$SOURCE" "unix:$WORK/relay.sock"
	if [ $status -eq 1 ] && [ "$(wc -l <"$WORK/cut.err")" -eq 1 ] && [ ! -s "$WORK/cut.out" ] &&
	   grep -q "the server keeps running here" "$WORK/cut.err"; then
		ok "$what: migrate exits 1: $(cat "$WORK/cut.err")"
	else
		fail "$what: migrate exits 1 with one line: exit $status" "$WORK/cut.out" "$WORK/cut.err"
	fi
	wait_exit cut_b 90
	status=$?
	# Its last line names what went wrong: "receiving from ADDR: WHY; the source keeps it", WHY not empty,
	# or, cut inside the hello, "receive: from the source: WHY".
	if [ $status -ne 0 ] && [ $status -ne 124 ] && nothing_registered "$HOST_B" && list_empty "$HOST_B" &&
	   tail -n 1 "$WORK/cut_b.err" | grep -qE ': [^:;]+; the source keeps it$|^sheer: receive: from the source: .'; then
		ok "$what: the target exits $status, nothing registered: $(tail -n 1 "$WORK/cut_b.err")"
	else
		fail "$what: the target exits non-zero saying why, nothing registered: exit $status" "$WORK/cut_b.err"
	fi
	wait_exit relay 10
	grep -q ", cut$" "$WORK/relay.out" || fail "$what: the relay cut the connection" "$WORK/relay.out" "$WORK/relay.err"
	source_goes_on "$what"
}

# Anywhere from inside the hello to late in pre-copy. Not past 90% of what a whole migration sent:
# a run sends a little more or less than another, and a cut past the switch-over (MGO0) leaves the
# guest paused on the source by design (p2v/migrate/protocol.h).
[ "$FULL_BYTES" = none ] && FULL_BYTES=1000000
CUTS=${MIGRATE_CUTS:-$(shuf -i 1024-$((FULL_BYTES * 9 / 10)) -n 4 | tr '\n' ' ')}
set -- $CUTS
RETRY_CUT=${4:-$1}	# for f
for at in $1 ${2:-} ${3:-}; do
	cut "cut at byte $at of $FULL_BYTES" --cut-at "$at"
done
# The source is paused then, waiting for the target's word that it has loaded it all.
cut "cut right after the machine state (MEND)" --cut-after MEND

# ---- d. refusals: exit 2, one line, the source untouched ----
# refused WHAT TEXT NAME ADDR: `sheer migrate NAME --to ADDR` is refused with TEXT on its line, and the
# source's state and pid are still WANT_STATUS.
WANT_STATUS=$SOURCE_STATUS
refused() {
	what=$1 text=$2
	migrate refuse "$HOST_A" "$3" "$4"
	now=$(source_status)
	if [ $status -eq 2 ] && [ "$(wc -l <"$WORK/refuse.err")" -eq 1 ] && grep -qF -- "$text" "$WORK/refuse.err" &&
	   [ ! -s "$WORK/refuse.out" ] && [ "$now" = "$WANT_STATUS" ]; then
		ok "$what: exit 2: $(cat "$WORK/refuse.err")"
	else
		fail "$what: exit 2, '$text', source untouched ($WANT_STATUS): exit $status, status '$now'" \
			"$WORK/refuse.out" "$WORK/refuse.err"
	fi
}

# target_waits WHAT: a refusal made before connecting leaves the `sheer receive` on host B waiting.
target_waits() {
	sleep 0.5
	if exited "$PID_refuse_b"; then
		fail "$1: the target is not contacted, it still waits" "$WORK/refuse_b.err"
		start_receive refuse_b "$HOST_B" "unix:$WORK/b.sock"
	else
		ok "$1: the target is not contacted, it still waits"
	fi
}

start_receive refuse_b "$HOST_B" "unix:$WORK/b.sock"
refused "an unknown server" "nosuch: no such server is running" nosuch "unix:$WORK/b.sock"
target_waits "an unknown server"
# Only a running server migrates: a paused one is refused and stays paused.
on "$HOST_A" pause gamma >/dev/null 2>&1
WANT_STATUS=$(source_status)
refused "a paused server" "not running" gamma "unix:$WORK/b.sock"
target_waits "a paused server"
on "$HOST_A" resume gamma >/dev/null 2>&1
WANT_STATUS=$SOURCE_STATUS
refused "plain TCP to a non-loopback address" "is not a loopback address" gamma "tcp:192.0.2.1:4444"
# Host B runs a server of that name already: the target refuses, with its reason.
start_run twin "$HOST_B" gamma
wait_for "$WORK/twin.out" "dirty: pass 1 ok" 60 || fail "the twin reached pass 1" "$WORK/twin.out" "$WORK/twin.err"
TWIN=$(servers "$HOST_B")
refused "a target that runs a server of that name" "the target refused: gamma: a server with this name is already running" \
	gamma "unix:$WORK/b.sock"
wait_exit refuse_b 30
status=$?
if [ $status -ne 0 ] && [ $status -ne 124 ] && [ "$(servers "$HOST_B")" = "$TWIN" ]; then
	ok "the refusing target exits $status and leaves only the other server: $(tail -n 1 "$WORK/refuse_b.err")"
else
	fail "the refusing target exits non-zero, only the other server registered: exit $status" "$WORK/refuse_b.err"
fi
on "$HOST_B" poweroff gamma >/dev/null 2>&1
wait_exit twin 30 || fail "the twin powers off: exit $?" "$WORK/twin.err"
source_goes_on "after the refusals"
on "$HOST_A" poweroff gamma >"$WORK/gamma.poweroff" 2>&1
status=$?
wait_exit gamma 30
gamma_status=$?
if [ $status -eq 0 ] && [ $gamma_status -eq 0 ] && list_empty "$HOST_A" && nothing_registered "$HOST_A"; then
	ok "after failed migrations the source powers off: exit 0, nothing left registered"
else
	fail "after failed migrations the source powers off: exit $status, sheer run exit $gamma_status" \
		"$WORK/gamma.poweroff" "$WORK/gamma.err"
fi

# ---- e. the server powered off during pre-copy: nothing moves, and migrate says so ----
start_run epsilon "$HOST_A" epsilon
wait_for "$WORK/epsilon.out" "dirty: pass 1 ok" 60 || fail "epsilon reached pass 1" "$WORK/epsilon.out" "$WORK/epsilon.err"
start_receive epsilon_b "$HOST_B" "unix:$WORK/b.sock"
background stopped env SHEER_RUN_DIR="$HOST_A" "$SHEER" migrate epsilon --to "unix:$WORK/b.sock" --bandwidth 1
i=0
until on "$HOST_A" status epsilon 2>/dev/null | grep -q "^state: *migrating" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
on "$HOST_A" poweroff epsilon >/dev/null 2>&1
wait_exit stopped 30
status=$?
if [ $status -eq 1 ] && [ "$(wc -l <"$WORK/stopped.err")" -eq 1 ] &&
   grep -q "epsilon: migrate: the server stopped during the migration" "$WORK/stopped.err"; then
	ok "powered off during pre-copy: migrate exits 1: $(cat "$WORK/stopped.err")"
else
	fail "powered off during pre-copy: migrate exits 1 saying the server stopped: exit $status" "$WORK/stopped.err"
fi
wait_exit epsilon 30
a_status=$?
wait_exit epsilon_b 30
b_status=$?
if [ $a_status -eq 0 ] && [ $b_status -ne 0 ] && [ $b_status -ne 124 ] && nothing_registered "$HOST_A" &&
   nothing_registered "$HOST_B"; then
	ok "... sheer run exits 0, the target exits $b_status, nothing registered on either host"
else
	fail "... sheer run exits 0 ($a_status), the target non-zero ($b_status), nothing registered" \
		"$WORK/epsilon.err" "$WORK/epsilon_b.err"
fi

# The target stopped (SIGTERM to its sheer receive) during pre-copy: it backs out, the source goes on.
SOURCE="zeta"
start_run zeta "$HOST_A" zeta
wait_for "$WORK/zeta.out" "dirty: pass 1 ok" 60 || fail "zeta reached pass 1" "$WORK/zeta.out" "$WORK/zeta.err"
SOURCE_STATUS=$(source_status)
start_receive zeta_b "$HOST_B" "unix:$WORK/b.sock"
background backout env SHEER_RUN_DIR="$HOST_A" "$SHEER" migrate zeta --to "unix:$WORK/b.sock" --bandwidth 1
i=0
until on "$HOST_B" status zeta 2>/dev/null | grep -q "^state: *receiving" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
kill -TERM "$PID_zeta_b"
wait_exit backout 30
status=$?
if [ $status -eq 1 ] && [ "$(wc -l <"$WORK/backout.err")" -eq 1 ] &&
   grep -q "zeta: migrate: the target failed: stopped on the target before the switch-over; the server keeps running here" \
	"$WORK/backout.err"; then
	ok "target stopped during pre-copy: migrate exits 1: $(cat "$WORK/backout.err")"
else
	fail "target stopped during pre-copy: migrate exits 1 saying the target backed out: exit $status" "$WORK/backout.err"
fi
wait_exit zeta_b 30
status=$?
if [ $status -ne 0 ] && [ $status -ne 124 ] && nothing_registered "$HOST_B" &&
   tail -n 1 "$WORK/zeta_b.err" | grep -q "stopped on the target before the switch-over; the source keeps it$"; then
	ok "... the target exits $status, nothing registered: $(tail -n 1 "$WORK/zeta_b.err")"
else
	fail "... the target exits non-zero saying it backed out, nothing registered: exit $status" "$WORK/zeta_b.err"
fi
source_goes_on "target stopped during pre-copy"
on "$HOST_A" poweroff zeta >/dev/null 2>&1
wait_exit zeta 30 || fail "zeta powers off: exit $?" "$WORK/zeta.err"

# ---- f. TCP on loopback, like unix:, as a retry: the first attempt is cut ----
# A failed attempt must leave the source as good as new for the next one.
SOURCE="delta"
start_run delta "$HOST_A" delta
wait_for "$WORK/delta.out" "dirty: pass 1 ok" 60 || fail "delta reached pass 1" "$WORK/delta.out" "$WORK/delta.err"
SOURCE_STATUS=$(source_status)
cut "retry: the first attempt cut at byte $RETRY_CUT" --cut-at "$RETRY_CUT"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_receive delta_b "$HOST_B" "tcp:127.0.0.1:$PORT"
migrate tcp "$HOST_A" delta "tcp:127.0.0.1:$PORT" --json
migrated tcp delta delta delta_b "tcp:127.0.0.1:$PORT"

echo "migrate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
