#!/bin/sh
# What `sheer fleet check` prints for a good fleet file (power/fleet/fleet.example.ini, with the
# files it names made in a scratch folder): the hosts with their BMCs and no secret, the
# schedules, the policy in force at --at (Europe/Berlin) and the next change, as text and as
# JSON. Its refusals (exit 2) are in cli_errors.sh.
#
# usage: tests/unit/fleet_check.sh [path/to/sheer]     (default: build/sheer)
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHEER=${1:-build/sheer}
case $SHEER in /*) ;; *) SHEER=$(pwd)/$SHEER ;; esac
[ -x "$SHEER" ] || { echo "fleet_check: $SHEER is not built" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sheer-fleet-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
export SHEER_CONFIG_DIR="$WORK/config" TZ=Europe/Berlin
SECRET=not-for-your-eyes
mkdir -p "$WORK/fleet-tls" "$WORK/bmc" "$SHEER_CONFIG_DIR/physical"
cp "$ROOT/power/fleet/fleet.example.ini" "$WORK/fleet.ini"
touch "$WORK/fleet-tls/ca.pem" "$WORK/fleet-tls/cert.pem" "$WORK/fleet-tls/key.pem"
for host in node1 node2 node3; do
	printf '%s\n' "$SECRET" >"$WORK/bmc/$host.pw"
	chmod 600 "$WORK/bmc/$host.pw"
done
printf '[physical]\nbmc = ipmi://admin@10.0.5.1\npassword_file = rack1.pw\n' >"$SHEER_CONFIG_DIR/physical/rack1.ini"

. "$ROOT/tests/unit/cases.sh"

# Friday 21:00: the weekday night is on; at midnight the weekend joins it.
"$SHEER" fleet check --config "$WORK/fleet.ini" --at '2025-03-07 21:00' >"$WORK/out" 2>"$WORK/err"
status=$?
check text-exit "exit 0 and nothing on stderr" sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' _ "$status" "$WORK/err"
check text-host "node2's line with its Redfish BMC, without the user's password" \
	grep -qE '^node2 +active +10\.0\.4\.12:7443 +redfish://admin@10\.0\.4\.112:443/System\.Embedded\.1 +hp-ml110-g5' "$WORK/out"
check text-spare "node3 as a spare" grep -qE '^node3 +spare ' "$WORK/out"
check text-standby "the standby server and its inventory entry" grep -qE '^rack1 +physical rack1$' "$WORK/out"
check text-schedule "nights with its days, hours and change" \
	grep -qE '^nights +mon-fri +20:00-07:00 +headroom = 10%$' "$WORK/out"
check text-active "the active schedule at --at" grep -qx 'at 2025-03-07 21:00 CET: schedules nights' "$WORK/out"
check text-policy "the policy in force: nights' headroom over [policy]'s" \
	grep -qE '^  policy = sheer, headroom = 10%, min_active_hosts = 2, power_saving = on, ' "$WORK/out"
check text-next "the next change and what applies then" \
	grep -qx 'next change: 2025-03-08 00:00 CET (schedules nights, weekend)' "$WORK/out"
check text-no-secret "the BMC password never printed" sh -c '! grep -q "$1" "$2"' _ "$SECRET" "$WORK/out"

# Saturday 10:00 as JSON: the weekend alone, min_active_hosts 1, until Monday 00:00.
"$SHEER" fleet check --config "$WORK/fleet.ini" --at '2025-03-08 10:00' --json >"$WORK/out" 2>"$WORK/err"
status=$?
check json-exit "exit 0 and nothing on stderr" sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' _ "$status" "$WORK/err"
check json-fields "weekend active, its values in force, the next change at Monday 00:00 CET" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["active_schedules"] == ["weekend"], o["active_schedules"]
assert o["policy"]["headroom_pct"] == 10 and o["policy"]["min_active_hosts"] == 1, o["policy"]
assert o["at"] == "2025-03-08T10:00:00+01:00", o["at"]
assert o["next_change"] == "2025-03-10T00:00:00+01:00", o["next_change"]
assert [h["role"] for h in o["hosts"]] == ["active", "active", "spare"]
assert o["hosts"][0]["bmc"] == "ipmi://admin@10.0.4.111:623" and o["hosts"][2]["model"] is None
assert o["standby"] == [{"name": "rack1", "physical": "rack1", "bmc": None}]
assert o["controller"]["name"] == "ctl1" and o["controller"]["interval_s"] == 300
' "$WORK/out"
check json-no-secret "the BMC password never printed" sh -c '! grep -q "$1" "$2"' _ "$SECRET" "$WORK/out"

# Across the change to summer time (Sunday 2025-03-30): the weekend ends at Monday 00:00 CEST.
"$SHEER" fleet check --config "$WORK/fleet.ini" --at '2025-03-29 23:00' >"$WORK/out" 2>"$WORK/err"
check dst-weekend "the weekend's end in summer time" grep -qx 'next change: 2025-03-31 00:00 CEST (schedules none)' "$WORK/out"
"$SHEER" fleet check --config "$WORK/fleet.ini" --at '2025-03-31 01:00' >"$WORK/out" 2>"$WORK/err"
check dst-monday "Monday's office hours at 08:00 CEST" \
	grep -qx 'next change: 2025-03-31 08:00 CEST (schedules office-hours)' "$WORK/out"

echo "fleet_check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
