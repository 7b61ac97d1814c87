#!/bin/sh
# The HTTP API of a real server's control socket (the idle guest on /dev/kvm, its VMM confined when run
# as root): curl --unix-socket GET /v1/server (status, configuration, the VMM's pid and vCPU threads
# that /proc knows), PUT /v1/server/power pause/resume (and `sheer status` agreeing), a second pause
# refused with 409, GET /v1/metrics checked line by line against the exposition format (and by
# `promtool check metrics`), then bad requests (a malformed request line: 400; a 1 MiB body: 413; an
# unknown path: 404; a wrong method: 405; headers that never end: cut off) each followed by `sheer
# status` saying running; last PUT off: `sheer run` exits 0 and nothing is left registered.
# Prints "ok"/"FAIL" per case and "http_api: N passed, M failed".
#
# usage: tests/guests/http_api.sh BUILD_DIR
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/idle.bzImage
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "http_api: build $SHEER and $GUEST first" >&2; exit 1; }
for tool in curl python3 promtool; do
	command -v $tool >/dev/null || { echo "http_api: $tool is missing; run 'make deps'" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/sheer-http.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
export SHEER_RUN_DIR="$WORK/run"
SOCK=$SHEER_RUN_DIR/api01.sock
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/     /' "$WORK/body" "$WORK/err" 2>/dev/null | tail -n 20; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

# api METHOD PATH [curl args...]: the body into $WORK/body, the status code on stdout.
api() {
	method=$1 path=$2
	shift 2
	curl -sS --max-time 10 --unix-socket "$SOCK" -X "$method" -o "$WORK/body" -w '%{http_code}' "$@" \
		"http://localhost$path" 2>>"$WORK/err"
}
put_power() { api PUT /v1/server/power -H 'Content-Type: application/json' -d "{\"action\":\"$1\"}"; }
# raw BYTES: what a client that is not curl sends (printf escapes); the reply's status line.
raw() {
	python3 - "$SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))
reply = b''
try:
    while (chunk := s.recv(4096)):
        reply += chunk
except socket.timeout:
    reply = b'no cut: the server kept the connection 10 s'
except OSError:
    pass
print(reply.split(b'\r\n')[0].decode('latin-1'))
EOF
}
running() { "$SHEER" status api01 2>/dev/null | grep -q '^state: *running'; }
json_field() { python3 -c "import json,sys; d=json.load(open('$WORK/body')); print($1)" 2>>"$WORK/err"; }

"$SHEER" run --name api01 --cpus 2 --memory 64M --kernel "$GUEST" --cmdline "api test" --shared-cores \
	</dev/null >"$WORK/out" 2>"$WORK/err" &
PID=$!
i=0
until [ "$(grep -c 'idle: halted' "$WORK/out" 2>/dev/null)" = 1 ] && [ -S "$SOCK" ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && { fail "the guest started"; break; }
	sleep 0.1
done

code=$(api GET /v1/server)
check "GET /v1/server: 200 with status and configuration" \
	'[ "$code" = 200 ] && [ "$(json_field "d[\"name\"], d[\"state\"], d[\"cpus\"], d[\"config\"][\"kernel\"], d[\"config\"][\"cmdline\"], d[\"config\"][\"memory\"], d[\"config\"][\"devices\"], d[\"config\"][\"nics\"]")" = "api01 running 2 $GUEST api test 67108864 [] []" ]'
vmm=$(json_field 'd["vmm_pid"]')
tids=$(json_field '" ".join(str(v["tid"]) for v in d["vcpus"])')
check "GET /v1/server: the VMM's pid and each vCPU's thread, readable in /proc" \
	'[ -n "$vmm" ] && [ "$(echo $tids | wc -w)" = 2 ] && for t in $tids; do [ -r /proc/$vmm/task/$t/schedstat ] || exit 1; done'

code=$(put_power pause)
check "PUT power pause: 204, and sheer status says paused" \
	'[ "$code" = 204 ] && "$SHEER" status api01 | grep -q "^state: *paused"'
code=$(put_power pause)
check "PUT power pause again: 409 saying why" \
	'[ "$code" = 409 ] && [ "$(json_field "d[\"error\"]")" = "pause: refused: the server is paused" ]'
code=$(put_power resume)
check "PUT power resume: 204, and sheer status says running" '[ "$code" = 204 ] && running'
check "the CLI's own protocol still works: sheer pause, sheer resume" \
	'"$SHEER" pause api01 >/dev/null && "$SHEER" resume api01 >/dev/null && running'

code=$(api GET /v1/metrics)
cp "$WORK/body" "$WORK/metrics"
check "GET /v1/metrics: promtool check metrics finds nothing to say" \
	'[ "$code" = 200 ] && promtool check metrics <"$WORK/metrics" >"$WORK/err" 2>&1'
check "GET /v1/metrics: each family's HELP and TYPE once before its samples, samples well formed" \
	'python3 "$(dirname "$0")/exposition.py" "$WORK/metrics" 2>"$WORK/err"'
check "GET /v1/metrics: up, its vCPUs' io exits counted" \
	'grep -q "^sheer_up{server=\"api01\"} 1$" "$WORK/metrics" && grep -Eq "^sheer_kvm_exits_total\{server=\"api01\",vcpu=\"0\",kind=\"io\"\} [1-9]" "$WORK/metrics"'

check "a malformed request line: 400, the server runs on" \
	'[ "$(raw "GARBAGE\\r\\n\\r\\n")" = "HTTP/1.1 400 Bad Request" ] && running'
head -c 1048576 /dev/zero | tr '\0' '{' >"$WORK/big"
code=$(api PUT /v1/server/power -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary @"$WORK/big")
check "a 1 MiB body: 413, the server runs on" '[ "$code" = 413 ] && running'
code=$(api GET /v1/nothing)
check "an unknown path: 404, the server runs on" '[ "$code" = 404 ] && running'
code=$(api DELETE /v1/server)
check "a wrong method: 405, the server runs on" '[ "$code" = 405 ] && running'
check "headers that never end are cut off; the server runs on" \
	'[ -z "$(raw "GET /v1/server HTTP/1.1\\r\\nHost: x\\r\\n")" ] && running'

code=$(put_power off)
wait "$PID"
status=$?
PID=
check "PUT power off: 204, sheer run exits 0, nothing left registered" \
	'[ "$code" = 204 ] && [ $status -eq 0 ] && [ -z "$(find "$SHEER_RUN_DIR" \( -name "*.sock" -o -name "*.json" \))" ]'
echo "http_api: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
