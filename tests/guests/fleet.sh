#!/bin/sh
# The fleet controller (`sheer fleet serve`, power/fleet) on this machine with
# tiny guests. Four "hosts", each an agent on its own loopback address
# (127.0.0.11-14) with its own run, config and log folders, behind an ipmi_sim
# BMC whose power on starts the host (tests/guests/fleet_host: the agent) and
# whose power off stops it and its servers; certificates from
# tests/tls/make-certs; a SQLite fleet store in a temporary folder; a 5 s
# interval and a 6 s failure timeout:
#  a. a bad fleet file: exit 2, one line; the controller starts, leads, and
#     answers status/hosts (--json) with their fields;
#  b. consolidation: idle guests spread over h1 and h2 end on one host; the
#     empty host's wake is tested through IPMI (trusted), then it is powered
#     off through IPMI (its agent is gone);
#  c. trust before sleep: h4, whose BMC ignores power on, fails its wake
#     test, is marked wake_failed and is not powered off again;
#  d. an unreachable host and a BMC with a wrong password: one line each, the
#     rest of the fleet goes on;
#  e. HA: the host that runs the guests loses its power behind the
#     controller's back: it is fenced (BMC read back off) and its guests run
#     again on the spare h3, woken for them;
#  f. the controller killed (-9) during a migration and started again: the
#     migration is finished or rolled back, not repeated (history shows it once);
#  plan --json, and an operator's test-wake of a host that runs servers refused.
# Prints "ok"/"FAIL" per case and "fleet: N passed, M failed".
#
# usage: tests/guests/fleet.sh BUILD_DIR
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/idle.bzImage
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "fleet: build $SHEER and $GUEST first" >&2; exit 1; }
for tool in openssl jq ipmi_sim ipmitool python3; do
	command -v $tool >/dev/null || { echo "fleet: needs $tool (make deps)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/sheer-fleet.XXXXXX)
chmod 755 "$WORK"
PIDS=
CTL=
cleanup() {
	[ -n "$CTL" ] && kill -9 "$CTL" 2>/dev/null
	for h in h1 h2 h3 h4; do [ -f "$WORK/$h/machine.pid" ] && kill -TERM "$(cat "$WORK/$h/machine.pid")" 2>/dev/null; done
	sleep 1
	for h in h1 h2 h3 h4; do host_kill "$h" 2>/dev/null; done
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	[ -n "${FLEET_KEEP:-}" ] && cp "$WORK/ctl.log" "$FLEET_KEEP" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
export SHEER_KERNEL_CACHE=off
. "$ROOT/tests/unit/cases.sh"
CASE_LOG=$WORK/ctl.log
# until_true SECONDS CMD...: CMD succeeds within SECONDS.
until_true() {
	left=$(($1 * 5))
	shift
	until "$@" >/dev/null 2>&1; do
		left=$((left - 1))
		[ $left -gt 0 ] || return 1
		sleep 0.2
	done
}
free_port() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# ---- the hosts: an agent each, behind an ipmi_sim ----
"$ROOT/tests/tls/make-certs" "$WORK/tls" 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 controller >/dev/null
AGENT_PORT=$(free_port tcp)
printf 'secret\n' >"$WORK/bmc.pw" && chmod 600 "$WORK/bmc.pw"
printf 'wrong\n' >"$WORK/wrong.pw" && chmod 600 "$WORK/wrong.pw"
# host_env H: the folders host H's sheer uses.
host_env() { echo "SHEER_RUN_DIR=$WORK/$1/run SHEER_CONFIG_DIR=$WORK/$1/config SHEER_LOG_DIR=$WORK/$1/log"; }
# on_host H CMD...: a sheer command as host H runs it.
on_host() { h=$1; shift; env $(host_env "$h") "$SHEER" "$@"; }
# host_kill H: power lost: its agent and its servers die at once.
host_kill() {
	for f in "$WORK/$1"/run/*.pid "$WORK/$1/agent.pid" "$WORK/$1/machine.pid"; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	pkill -9 -f "$WORK/$1/run" 2>/dev/null
	return 0
}
n=10
for h in h1 h2 h3 h4; do
	n=$((n + 1))
	mkdir -p "$WORK/$h/run" "$WORK/$h/config" "$WORK/$h/log"
	chmod 700 "$WORK/$h/run"
	eval "IP_$h=127.0.0.$n BMC_PORT_$h=$(free_port udp)"
	# The machine: the agent in the foreground; its power off (SIGTERM) takes the servers with it.
	cat >"$WORK/$h/machine" <<MACHINE
#!/bin/sh
export $(host_env $h) SHEER_KERNEL_CACHE=off
"$SHEER" agent --listen 127.0.0.$n:$AGENT_PORT --tls "$WORK/tls/127.0.0.$n" 2>>"$WORK/$h/agent.log" &
echo \$! >"$WORK/$h/agent.pid"
trap 'for f in "$WORK/$h"/run/*.pid "$WORK/$h/agent.pid"; do [ -f "\$f" ] && kill -9 "\$(cat "\$f")" 2>/dev/null; done; exit 0' TERM
wait
MACHINE
	chmod +x "$WORK/$h/machine"
	"$ROOT/tests/bmc/ipmi_lan_conf" "$(eval echo \$BMC_PORT_$h)" admin secret >"$WORK/$h/lan.conf"
	BMC_DIR=$WORK/$h BMC_ON_CMD="exec $WORK/$h/machine" ipmi_sim -c "$WORK/$h/lan.conf" -f "$ROOT/tests/bmc/bmc.emu" \
		-s "$WORK/$h/state" -n >"$WORK/$h/sim.log" 2>&1 &
	PIDS="$PIDS $!"
done
# h5: no agent ever answers there, and its BMC (no machine behind it) refuses the password it is given.
mkdir -p "$WORK/h5"
BMC_PORT_h5=$(free_port udp)
"$ROOT/tests/bmc/ipmi_lan_conf" "$BMC_PORT_h5" admin secret >"$WORK/h5/lan.conf"
BMC_DIR=$WORK/h5 ipmi_sim -c "$WORK/h5/lan.conf" -f "$ROOT/tests/bmc/bmc.emu" -s "$WORK/h5/state" -n >"$WORK/h5/sim.log" 2>&1 &
PIDS="$PIDS $!"
ipmi() { ih=$1; shift; ipmitool -I lanplus -H 127.0.0.1 -p "$(eval echo \$BMC_PORT_$ih)" -U admin -P secret -C 3 "$@"; }
agent_up() { grep -q "serving on" "$WORK/$1/agent.log" 2>/dev/null && on_host "$1" agent call "$(eval echo \$IP_$1):$AGENT_PORT" --tls "$WORK/tls/controller" ping; }
for h in h1 h2 h3 h4 h5; do
	until_true 10 ipmi "$h" chassis power status || echo "fleet: the BMC of $h does not answer" >&2
	[ $h = h5 ] || ipmi "$h" chassis power on >/dev/null
done
for h in h1 h2 h3 h4; do until_true 20 agent_up "$h" || echo "fleet: the agent of $h did not start" >&2; done
# h4 runs, but its BMC will not power it on again.
touch "$WORK/h4/ignore-power-on"

# Two idle guests on h1, one on h2 (defined and started through the agents' own sheer).
guest() {
	printf '[server]\nname = %s\ncpus = 1\nmemory = 32M\nkernel = %s\ncmdline = console=ttyS0\ndedicated_cores = no\n' \
		"$2" "$GUEST" >"$WORK/$2.ini"
	on_host "$1" define "$WORK/$2.ini" >/dev/null && on_host "$1" start "$2" >/dev/null
}
guest h1 g1 && guest h1 g2 && guest h2 g3 || echo "fleet: the guests did not start" >&2

# ---- the fleet file ----
CTL_PORT=$(free_port tcp)
METRICS_PORT=$(free_port tcp)
fleet_file() {
	cat <<FLEET
[fleet]
state = sqlite:$WORK/fleet.db
interval = 5
tls = $WORK/tls/controller
listen = 127.0.0.1:$CTL_PORT
metrics = 127.0.0.1:$METRICS_PORT
failure_timeout = 6
name = ctl1
lease = 5

[policy]
max_concurrent_migrations = 2
headroom = 10%
hysteresis = 0
min_active_hosts = 1
migration_deadline = 60
FLEET
	for h in h1 h2 h3 h4; do
		role=active
		[ $h = h3 ] && role=spare
		printf '\n[host %s]\naddress = %s:%s\nbmc = ipmi://admin@127.0.0.1:%s\npassword_file = %s\nrole = %s\n' \
			"$h" "$(eval echo \$IP_$h)" "$AGENT_PORT" "$(eval echo \$BMC_PORT_$h)" "$WORK/bmc.pw" "$role"
	done
	printf '\n[host h5]\naddress = 127.0.0.15:%s\nbmc = ipmi://admin@127.0.0.1:%s\npassword_file = %s\n' \
		"$AGENT_PORT" "$BMC_PORT_h5" "$WORK/wrong.pw"
}
fleet_file >"$WORK/fleet.ini"
"$SHEER" fleet check --config "$WORK/fleet.ini" >"$WORK/out" 2>"$WORK/err" || cat "$WORK/err" >&2

# ---- a. a bad file; the controller starts and answers ----
printf '[fleet]\ntls = %s\n[host x]\naddress = 127.0.0.1:1\nrole = spare\n' "$WORK/tls/controller" >"$WORK/bad.ini"
"$SHEER" fleet serve --config "$WORK/bad.ini" >"$WORK/out" 2>"$WORK/err"
check "a fleet file that cannot work: exit 2, one line" "see the controller's log" \
	sh -c "[ $? -eq 2 ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'bad.ini' '$WORK/err'"
start_controller() {
	"$SHEER" fleet serve --config "$WORK/fleet.ini" >>"$WORK/ctl.log" 2>&1 &
	CTL=$!
}
start_controller
# ---- f (first half). killed during the first migration, started again ----
until_true 60 grep -q ': migrate ' "$WORK/ctl.log"
kill -9 "$CTL"
wait "$CTL" 2>/dev/null
MOVED=$(sed -n 's/.*action \([0-9]*\): migrate \([^ ]*\) from.*/\2/p' "$WORK/ctl.log" | head -n 1)
MOVED_ID=$(sed -n 's/.*action \([0-9]*\): migrate \([^ ]*\) from.*/\1/p' "$WORK/ctl.log" | head -n 1)
echo "--- restarted" >>"$WORK/ctl.log"
start_controller
ask() { "$SHEER" fleet "$@" --config "$WORK/fleet.ini" >"$WORK/out" 2>"$WORK/err"; }
leads() { ask status --json && jq -e '.leading and .term >= 1' "$WORK/out"; }
check "the controller leads its store" "see the controller's log" until_true 15 leads
ask status --json || : >"$WORK/out"
check "status --json: leader, term, schedules, policy, hosts by state, pending actions, alerts" "see the controller's log" \
	jq -e '.leader == "ctl1" and (.schedules | type) == "array" and .policy.policy == "sheer" and
	       (.hosts | has("on") and has("asleep") and has("failed")) and (.pending_actions | type) == "array" and
	       (.alerts | type) == "array"' "$WORK/out"
ask hosts --json || : >"$WORK/out"
check "hosts --json: each host's power, trust, heartbeat age, servers, demand" "see the controller's log" \
	jq -e 'length == 5 and all(.[]; has("power") and has("trusted_to_sleep") and has("wake_failed") and
	       has("heartbeat_age_s") and has("servers") and has("demand_cpus"))' "$WORK/out"

# ---- b. consolidation ----
# where G: the host whose report shows guest G running.
where() {
	ask hosts --json && jq -r --arg g "$1" '.[] | select(any(.servers[]; .name == $g and .running)) | .name' "$WORK/out" | head -n 1
}
together() { a=$(where g1) && [ -n "$a" ] && [ "$(where g2)" = "$a" ] && [ "$(where g3)" = "$a" ]; }
check "consolidation: g1, g2, g3 end on one host" "see the controller's log" until_true 60 together
HOME_HOST=$(where g1)
EMPTY=h1
[ "$HOME_HOST" = h1 ] && EMPTY=h2
trusted_and_off() {
	ask hosts --json && jq -e --arg h "$1" '.[] | select(.name == $h) | .trusted_to_sleep and .power == "off" and .state == "asleep"' "$WORK/out"
}
check "the emptied host $EMPTY: its wake tested (trusted), then powered off" "see the controller's log" until_true 90 trusted_and_off "$EMPTY"
check "... through IPMI: its BMC says off, its agent is gone" "see the controller's log" \
	sh -c "ipmitool -I lanplus -H 127.0.0.1 -p $(eval echo \$BMC_PORT_$EMPTY) -U admin -P secret -C 3 chassis power status | grep -q off &&
	       ! kill -0 \$(cat '$WORK/$EMPTY/agent.pid') 2>/dev/null"
ask plan --json || : >"$WORK/out"
check "plan --json: the last round's interval, policy, migrations with their state, hosts to power off and on" "see the controller's log" \
	jq -e '.interval >= 1 and .policy == "sheer" and (.migrations | type) == "array" and (.power_off | type) == "array" and
	       (.power_on | type) == "array"' "$WORK/out"
"$SHEER" fleet test-wake "$HOME_HOST" --config "$WORK/fleet.ini" --timeout 20 >"$WORK/out" 2>"$WORK/err"
check "test-wake of $HOME_HOST, which runs the guests: refused (exit 2, one line), nothing powered off" "see the controller's log" \
	sh -c "[ $? -eq 2 ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'it runs servers' '$WORK/err' &&
	       ipmitool -I lanplus -H 127.0.0.1 -p $(eval echo \$BMC_PORT_$HOME_HOST) -U admin -P secret -C 3 chassis power status | grep -q on"

# ---- f (second half). the migration the killed controller left: settled once ----
check "the migration of $MOVED left by the killed controller: settled by the next one (finished or rolled back)" "see the controller's log" \
	grep -Eq "left unfinished by ctl1\): (ok|rolled_back)" "$WORK/ctl.log"
ask history --json || : >"$WORK/out"
check "... history shows that action once, settled, and $MOVED moved once" "see the controller's log" \
	jq -e --arg s "$MOVED" --argjson id "$MOVED_ID" '([.[] | select(.id == $id and .result != "pending")] | length == 1) and
	       ([.[] | select(.kind == "migrate" and .server == $s and .result == "ok")] | length == 1)' "$WORK/out"

# ---- c. trust before sleep: h4's BMC ignores power on ----
wake_failed() { ask hosts --json && jq -e '.[] | select(.name == "h4") | .wake_failed and (.trusted_to_sleep | not)' "$WORK/out"; }
check "h4, whose BMC ignores power on: its wake test fails, it is marked wake_failed" "see the controller's log" until_true 150 wake_failed
# The operator powers it on: marked, on and empty, it is neither put to sleep nor tested for three intervals.
rm -f "$WORK/h4/ignore-power-on"
ipmi h4 chassis power on >/dev/null
h4_answers() { ask hosts --json && jq -e '.[] | select(.name == "h4") | .answering and (.servers | length) == 0' "$WORK/out"; }
check "... powered on by the operator: it answers, empty" "see the controller's log" until_true 30 h4_answers
offs_h4() { grep -cE 'power_off from h4|wake_test to h4' "$WORK/ctl.log"; }
before=$(offs_h4)
sleep 16
still_on_h4() { [ "$(offs_h4)" -eq "$before" ] && ipmi h4 chassis power status 2>/dev/null | grep -q 'is on$'; }
check "... and, marked, is not put to sleep afterwards (its BMC says on)" "see the controller's log" still_on_h4
"$SHEER" fleet clear-wake h4 --config "$WORK/fleet.ini" >"$WORK/out" 2>"$WORK/err"
cleared() { ask hosts --json && jq -e '.[] | select(.name == "h4") | (.wake_failed | not)' "$WORK/out"; }
check "clear-wake h4: the operator's clear reaches the controller" "see the controller's log" until_true 10 cleared

# ---- d. an unreachable host and a BMC with a wrong password ----
check "h5 unreachable: one line, once" "see the controller's log" \
	sh -c "n=\$(grep -c 'host h5 does not answer' '$WORK/ctl.log'); [ \$n -ge 1 ] && [ \$n -le 2 ]"
check "h5's BMC refuses the credentials: one line, once per start" "see the controller's log" \
	sh -c "[ \$(grep -c 'h5: BMC .*password_file' '$WORK/ctl.log') -ge 1 ] && [ \$(grep -c 'h5: BMC .*password_file' '$WORK/ctl.log') -le 2 ]"
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/out"
check "metrics: hosts by state, h5's BMC not ok, migrations, leader, watts" "see the controller's log" \
	sh -c "grep -q '^sheer_fleet_leader 1' '$WORK/out' && grep -q 'sheer_fleet_host_bmc_ok{host=\"h5\"} 0' '$WORK/out' &&
	       grep -q '^sheer_fleet_hosts{state=\"asleep\"}' '$WORK/out' && grep -q '^sheer_fleet_migrations_done_total' '$WORK/out' &&
	       grep -q '^sheer_fleet_power_watts' '$WORK/out'"

# ---- e. HA: the host of the guests loses its power ----
# Judged from the log after the kill: a wake test before it read hosts back off too.
KILLED_AT_LINE=$(wc -l <"$WORK/ctl.log")
host_kill "$HOME_HOST"
since_kill() { tail -n +$((KILLED_AT_LINE + 1)) "$WORK/ctl.log"; }
on_spare() { [ "$(where g1)" = h3 ] && [ "$(where g2)" = h3 ] && [ "$(where g3)" = h3 ]; }
fenced() { since_kill | grep -q "ok: $HOME_HOST is off (read back)"; }
check "$HOME_HOST killed: fenced through its BMC (read back off)" "see the controller's log" until_true 40 fenced
check "... its guests run again on the spare h3, woken for them" "see the controller's log" until_true 90 on_spare
fenced_first() {
	fence=$(since_kill | grep -n "ok: $HOME_HOST is off (read back)" | head -n 1 | cut -d: -f1)
	restart=$(since_kill | grep -n 'restart g' | head -n 1 | cut -d: -f1)
	[ -n "$fence" ] && [ -n "$restart" ] && [ "$fence" -lt "$restart" ]
}
check "... fenced before any restart" "see the controller's log" fenced_first

echo "fleet: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
