#!/bin/sh
# The host agent (`sheer agent`, power/agent) on /dev/kvm, with the dirty guest
# (it rewrites its memory and prints "dirty: pass N ok" after each pass), on
# one machine: certificates from tests/tls/make-certs, the agent on
# 127.0.0.1:PORT with a private run, config and log directory, and
# `sheer agent call` as the controller:
#  a. ping and host; define and start a server through the agent; host shows
#     it running with its vCPU time; a second start is refused (exit 2);
#  b. receive and migrate through the agent, over TLS with the agent's own
#     certificates (on one machine the target takes another name): the
#     passes go on in the target's log, the source is left stopped; a stop the
#     guest ignores fails (exit 1), a forced one stops it; undefine forgets
#     the source's definition;
#  c. who is refused: a client with a certificate from another CA (the agent
#     refuses it at the handshake and logs it once), one that does not trust
#     the agent's CA, one without a certificate; the agent serves on;
#  d. the protocol by hand (openssl s_client): a malformed request, an
#     unknown op and a line over 64 KiB each get an error answer and the
#     connection stays usable; the connection limit;
#  e. the client against agents that misbehave (openssl s_server): an answer
#     that breaks the promise of its op, no answer, no agent;
#  f. a second agent on the same port: exit 1; SIGTERM ends the agent, exit 0.
# Prints "ok"/"FAIL" per case and "agent: N passed, M failed".
#
# usage: tests/guests/agent.sh BUILD_DIR
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/dirty.bzImage
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "agent: build $SHEER and $GUEST first" >&2; exit 1; }
for tool in openssl jq; do command -v $tool >/dev/null || { echo "agent: needs $tool (make deps)" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/sheer-agent.XXXXXX)
PIDS=
cleanup() {
	for name in $("$SHEER" list 2>/dev/null | awk 'NR > 1 { print $1 }'); do "$SHEER" poweroff "$name" >/dev/null 2>&1; done
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
export SHEER_RUN_DIR="$WORK/run" SHEER_CONFIG_DIR="$WORK/config" SHEER_LOG_DIR="$WORK/log" SHEER_KERNEL_CACHE=off
passed=0
failed=0
check() {
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		tail -n 5 "$WORK/out" "$WORK/err" "$WORK/agent.err" 2>/dev/null | sed 's/^/     /'
	fi
}
# Up to S (default 10) seconds for FILE to hold TEXT.
wait_for() {
	i=0
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((${3:-10} * 10)) ] && return 1
		sleep 0.1
	done
}

"$ROOT/tests/tls/make-certs" "$WORK/tls" h1 >/dev/null
"$ROOT/tests/tls/make-certs" "$WORK/other" evil >/dev/null
TLS=$WORK/tls/h1
# A certificate of another CA, but trusting this fleet's CA: the agent is the one to refuse it.
mkdir "$WORK/mixed"
cp "$TLS/ca.pem" "$WORK/other/evil/cert.pem" "$WORK/other/evil/key.pem" "$WORK/mixed/"
PORT=$((20000 + $$ % 20000))
ADDR=127.0.0.1:$PORT
"$SHEER" agent --listen "$ADDR" --tls "$TLS" 2>"$WORK/agent.err" &
AGENT=$!
PIDS="$PIDS $AGENT"
wait_for "$WORK/agent.err" "serving on $ADDR" || echo "agent: the agent did not start" >&2

# call [--tls DIR] OP [JSON]: sheer agent call to the agent; its status in $status, output in out and err.
call() {
	tls=$TLS
	[ "$1" = --tls ] && { tls=$2; shift 2; }
	"$SHEER" agent call "$ADDR" --tls "$tls" "$@" >"$WORK/out" 2>"$WORK/err"
	status=$?
}
# answer_holds FILTER: jq's FILTER is true of the last answer.
answer_holds() { jq -e "$1" "$WORK/out" >/dev/null; }
# logged_count TEXT: how many lines of the agent's log hold TEXT.
logged_count() { grep -cF -- "$1" "$WORK/agent.err"; }

# ---- a. ping, host, define, start ----
call ping
check "ping: exit 0, this host, sheer's version" sh -c "[ $status -eq 0 ] && [ \"\$(jq -r .host '$WORK/out')\" = \"\$(hostname)\" ] &&
	[ \"\$(jq -r .version '$WORK/out')\" = \"\$('$SHEER' --version | cut -d' ' -f2)\" ]"
call host
check "host: CPUs, memory, no server yet" sh -c "[ $status -eq 0 ] && [ \$(jq .cpus_online '$WORK/out') -eq \$(getconf _NPROCESSORS_ONLN) ] &&
	[ \$(jq '.memory_free_mib <= .memory_total_mib and .memory_total_mib > 0' '$WORK/out') = true ] &&
	[ \$(jq '.servers | length' '$WORK/out') -eq 0 ] && [ \$(jq '.free_devices | type' '$WORK/out') = '\"array\"' ]"
PROFILE=$(printf '[server]\nname = ag01\ncpus = 1\nmemory = 64M\nkernel = %s\ncmdline = console=ttyS0\ndedicated_cores = no\n' "$GUEST")
call define "$(jq -n --arg text "$PROFILE" '{name: "ag01", text: $text}')"
check "define through the agent: exit 0, kept as a definition" sh -c "[ $status -eq 0 ] && [ -f '$SHEER_CONFIG_DIR/servers/ag01.ini' ]"
call define "$(jq -n --arg text "$PROFILE" '{name: "ag01", text: $text}')"
check "... again without replace: refused by sheer define (exit 2, its line)" \
	sh -c "[ $status -eq 2 ] && jq -e '.refused and .status == 2' '$WORK/out' >/dev/null && grep -q 'ag01' '$WORK/err'"
call definition '{"name":"ag01"}'
check "definition: the kept text" sh -c "[ $status -eq 0 ] && jq -r .text '$WORK/out' | grep -qx 'name = ag01'"
call start '{"name":"ag01"}'
check "start through the agent: exit 0, the guest runs" sh -c "[ $status -eq 0 ] && '$SHEER' list | grep -q '^ag01 .*running'"
wait_for "$SHEER_LOG_DIR/ag01.log" "dirty: pass 2 ok" 30
call host
check "host: ag01 running with its vCPU time" \
	answer_holds '.servers[] | select(.name == "ag01") | .running and .state == "running" and .vcpus == 1 and .memory_mib == 64 and .vcpu_seconds > 0'
call start '{"name":"ag01"}'
check "a second start: refused, exit 2, with sheer start's line" \
	sh -c "[ $status -eq 2 ] && grep -q 'ag01: already running' '$WORK/err'"

# ---- b. receive and migrate through the agent (TLS on loopback), then stop ----
call receive "{\"name\":\"ag01b\",\"port\":$((PORT + 1)),\"shared_cores\":true}"
check "receive: exit 0 once it listens in the background" sh -c "[ $status -eq 0 ] && jq -r .output '$WORK/out' | grep -q 'waiting for the source'"
call migrate "{\"name\":\"ag01\",\"to\":\"127.0.0.1\",\"port\":$((PORT + 1)),\"deadline\":120}"
check "migrate: exit 0 with sheer migrate's JSON result" \
	sh -c "[ $status -eq 0 ] && jq -e '.result.to == \"tcp:127.0.0.1:$((PORT + 1))\" and .result.rounds >= 1' '$WORK/out' >/dev/null"
call host
check "... host: ag01b runs, ag01 is defined and stopped" \
	answer_holds '([.servers[] | select(.name == "ag01b" and .running)] | length == 1) and
	       ([.servers[] | select(.name == "ag01" and .state == "stopped" and (.running | not))] | length == 1)'
last=$(sed -n 's/^dirty: pass \([0-9]*\) ok$/\1/p' "$SHEER_LOG_DIR/ag01.log" | tail -n 1)
wait_for "$SHEER_LOG_DIR/ag01b.log" "dirty: pass $((last + 3)) ok" 30
first=$(sed -n 's/^dirty: pass \([0-9]*\) ok$/\1/p' "$SHEER_LOG_DIR/ag01b.log" | head -n 1)
check "... the guest goes on in the target's log: pass ${first:-none} after ${last:-none}, none BAD" \
	sh -c "[ -n '$last' ] && [ -n '$first' ] && [ '$first' -gt '$last' ] && [ '$first' -le $((${last:-0} + 2)) ] &&
	       grep -q 'dirty: pass $((${last:-0} + 3)) ok' '$SHEER_LOG_DIR/ag01b.log' && ! grep -q BAD '$SHEER_LOG_DIR/ag01b.log'"
# The dirty guest ignores its power button: a stop without force fails (exit 1), nothing refused.
call stop '{"name":"ag01b","timeout":1}'
check "stop of a guest that ignores the button: exit 1, status 1, not refused" \
	sh -c "[ $status -eq 1 ] && jq -e '.status == 1 and (.refused | not)' '$WORK/out' >/dev/null"
call stop '{"name":"ag01b","force":true}'
check "stop through the agent: exit 0, nothing runs" sh -c "[ $status -eq 0 ] && [ \$('$SHEER' list | wc -l) -eq 1 ]"
call stop '{"name":"ag01b"}'
check "... stop again: refused, exit 2" sh -c "[ $status -eq 2 ] && grep -q 'no such server is running' '$WORK/err'"
call undefine '{"name":"ag01"}'
check "undefine through the agent: exit 0, the source's definition is gone" \
	sh -c "[ $status -eq 0 ] && [ ! -e '$SHEER_CONFIG_DIR/servers/ag01.ini' ]"
call undefine '{"name":"ag01"}'
check "... again: refused by sheer undefine (exit 2)" sh -c "[ $status -eq 2 ] && jq -e .refused '$WORK/out' >/dev/null"

# ---- c. who is refused ----
before=$(logged_count "refused at the handshake")
call --tls "$WORK/mixed" ping
check "a client with a certificate of another CA: exit 1, refused at the handshake" \
	sh -c "[ $status -eq 1 ] && [ ! -s '$WORK/out' ] && grep -q 'TLS' '$WORK/err'"
sleep 0.2
check "... logged once by the agent" [ "$(logged_count "refused at the handshake")" -eq $((before + 1)) ]
call --tls "$WORK/other/evil" ping
check "a client that does not trust the agent's CA: exit 1, says why, asks which CA signed it" \
	sh -c "[ $status -eq 1 ] && grep -q 'certificate verify failed' '$WORK/err' && grep -q 'is its certificate signed by' '$WORK/err'"
echo '{"op":"ping"}' | timeout 10 openssl s_client -connect "$ADDR" -CAfile "$TLS/ca.pem" -quiet >"$WORK/out" 2>"$WORK/err"
check "a client without a certificate: no answer" sh -c "! grep -q '\"ok\"' '$WORK/out'"
wait_for "$WORK/agent.err" "peer did not return a certificate" 5
check "... logged: the peer did not return a certificate" grep -q "peer did not return a certificate" "$WORK/agent.err"
call ping
check "the agent serves on after the refusals" [ "$status" -eq 0 ]
# handshake_with NAME PYTHON: an agent call to a local port whose one connection PYTHON handles (c: the
# accepted socket); its output in out and err, its exit in status.
handshake_with() {
	python3 -c "import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); print(s.getsockname()[1], flush=True)
c = s.accept()[0]; $2" >"$WORK/$1.port" &
	PIDS="$PIDS $!"
	i=0
	until [ -s "$WORK/$1.port" ] || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
	"$SHEER" agent call "127.0.0.1:$(cat "$WORK/$1.port")" ping --tls "$TLS" >"$WORK/out" 2>"$WORK/err"
	status=$?
}
# A port that accepts and hangs up (a host still booting behind a forwarded port): no question of certificates.
handshake_with closer 'c.close()'
check "a peer that hangs up at the handshake: exit 1, says so, no word of certificates" \
	sh -c "[ $status -eq 1 ] && grep -q 'closed the connection during the handshake' '$WORK/err' && ! grep -q 'certificate' '$WORK/err'"
# A port that accepts and then says nothing (a forwarded port whose host is not up yet): the handshake's timeout.
handshake_with mute 'time.sleep(60)'
check "a peer that accepts and never answers: exit 1, no answer to the handshake in time" \
	sh -c "[ $status -eq 1 ] && grep -q 'no answer to the handshake in time' '$WORK/err' && ! grep -q 'certificate' '$WORK/err'"

# ---- d. the protocol by hand ----
# session LINES...: each line sent on one connection, closed 2 s after the last; the answers in out.
session() {
	(for line in "$@"; do printf '%s\n' "$line"; done; sleep 2) |
		timeout 15 openssl s_client -connect "$ADDR" -CAfile "$TLS/ca.pem" -cert "$TLS/cert.pem" -key "$TLS/key.pem" \
			-quiet -no_ign_eof >"$WORK/out" 2>"$WORK/err"
}
session 'not json' '{"op":"ping"}' '{"op":"reboot"}' '{"op":"start","name":"../x"}' '{"op":"ping"}'
check "a malformed request: an error answer, then the next one answered" \
	sh -c "[ \$(wc -l <'$WORK/out') -eq 5 ] && sed -n 1p '$WORK/out' | jq -e '(.ok | not) and .refused and (.error | startswith(\"bad request: not JSON\"))' >/dev/null &&
	       sed -n 2p '$WORK/out' | jq -e '.ok and .op == \"ping\"' >/dev/null"
check "an unknown op: an error answer naming it" \
	sh -c "sed -n 3p '$WORK/out' | jq -e '(.ok | not) and (.error | contains(\"unknown op '\\''reboot'\\''\"))' >/dev/null"
check "a bad name: an error answer naming the field" \
	sh -c "sed -n 4p '$WORK/out' | jq -e '(.ok | not) and (.error | contains(\"name: not a server name\"))' >/dev/null &&
	       sed -n 5p '$WORK/out' | jq -e .ok >/dev/null"
session "$(head -c 70000 /dev/zero | tr '\0' x)" '{"op":"ping"}'
check "a line over 64 KiB: an error answer, then the next request answered" \
	sh -c "[ \$(wc -l <'$WORK/out') -eq 2 ] && sed -n 1p '$WORK/out' | jq -e '(.ok | not) and (.error | contains(\"longer than 65535 bytes\"))' >/dev/null &&
	       sed -n 2p '$WORK/out' | jq -e .ok >/dev/null"
# Eight idle connections hold every place; the ninth is closed at once, and said so.
holders=
for i in 1 2 3 4 5 6 7 8; do
	sleep 20 | timeout 25 openssl s_client -connect "$ADDR" -CAfile "$TLS/ca.pem" -cert "$TLS/cert.pem" -key "$TLS/key.pem" \
		-quiet >/dev/null 2>&1 &
	holders="$holders $!"
done
PIDS="$PIDS $holders"
sleep 2
call ping
check "the ninth connection: refused (exit 1, at the handshake), logged" \
	sh -c "[ $status -eq 1 ] && grep -q 'TLS' '$WORK/err' && grep -q 'refused: 8 connections are open already' '$WORK/agent.err'"
for pid in $holders; do kill "$pid" 2>/dev/null; done
i=0
until call ping && [ "$status" -eq 0 ] || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
check "... once they close, served again" [ "$status" -eq 0 ]

# ---- e. agents that misbehave ----
# fake_agent PORT ANSWER: one TLS connection served with the fleet's certificates, ANSWER sent (or nothing).
fake_agent() {
	(sleep 1; [ -n "$2" ] && printf '%s\n' "$2"; sleep 4) |
		timeout 8 openssl s_server -accept "$1" -naccept 1 -cert "$TLS/cert.pem" -key "$TLS/key.pem" \
			-CAfile "$TLS/ca.pem" -Verify 1 -quiet >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	sleep 0.5
}
fake_agent $((PORT + 2)) '{"ok":true,"op":"ping","host":"h1\u001b[2J","version":"0.1.0","uptime_s":1,"agent_uptime_s":1}'
"$SHEER" agent call "127.0.0.1:$((PORT + 2))" --tls "$TLS" ping >"$WORK/out" 2>"$WORK/err"
check "an answer that breaks its op's promise: exit 1, named, nothing printed" \
	sh -c "[ $? -eq 1 ] && [ ! -s '$WORK/out' ] && grep -q 'bad answer to ping: host: not a clean string' '$WORK/err'"
fake_agent $((PORT + 3)) ''
"$SHEER" agent call "127.0.0.1:$((PORT + 3))" --tls "$TLS" --timeout 2 ping >"$WORK/out" 2>"$WORK/err"
check "an agent that never answers: exit 1 after --timeout" sh -c "[ $? -eq 1 ] && grep -q 'no answer within 2 s' '$WORK/err'"
"$SHEER" agent call "127.0.0.1:$((PORT + 4))" --tls "$TLS" ping >"$WORK/out" 2>"$WORK/err"
check "no agent there: exit 1, connection refused" sh -c "[ $? -eq 1 ] && grep -q 'connection refused' '$WORK/err'"

# ---- f. the port in use; SIGTERM ----
"$SHEER" agent --listen "$ADDR" --tls "$TLS" >"$WORK/out" 2>"$WORK/err"
check "a second agent on the same port: exit 1, one line" \
	sh -c "[ $? -eq 1 ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'cannot listen on $ADDR: Address already in use' '$WORK/err'"
kill -TERM "$AGENT"
wait "$AGENT"
check "SIGTERM ends the agent: exit 0" [ $? -eq 0 ]

echo "agent: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
