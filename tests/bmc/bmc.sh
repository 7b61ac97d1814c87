#!/bin/sh
# sheer bmc against real BMC peers on this machine: Debian's ipmi_sim (IPMI 2.0
# over LAN, openipmi) and the test-only Redfish BMC (redfish_bmc.py, HTTPS with
# a certificate from a test CA). For each: power status, on, soft, off, cycle
# and the boot device as the BMC saw them; then a wrong password, a password
# file others may read, a BMC that does not answer: exit 2 or 1, one line, and
# nothing reached the BMC. Redfish also: an unknown system, a certificate from
# a CA sheer was not given.
#
# usage: tests/bmc/bmc.sh BUILD_DIR
set -u
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
for tool in ipmi_sim ipmitool python3 openssl; do
	command -v $tool >/dev/null || { echo "bmc: needs $tool (make deps)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/sheer-bmc.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
	shift
	for f in "$@"; do [ -f "$f" ] && tail -n 5 "$f" | sed "s|^|     $(basename "$f"): |"; done
}
free_port() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
# until_true SECONDS CMD...
until_true() {
	left=$(($1 * 10))
	shift
	until "$@" >/dev/null 2>&1; do
		left=$((left - 1))
		[ $left -gt 0 ] || return 1
		sleep 0.1
	done
}
printf 'secret\n' >"$WORK/password" && chmod 600 "$WORK/password"
printf 'wrong\n' >"$WORK/wrong" && chmod 600 "$WORK/wrong"
printf 'secret\n' >"$WORK/shared" && chmod 644 "$WORK/shared"

# bmc LABEL ARGS...: sheer bmc ARGS, its status in $status, output in LABEL.out/.err.
bmc() {
	label=$1
	shift
	timeout 60 "$SHEER" bmc "$@" </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err"
	status=$?
}
calls() { wc -l <"$DIR/calls.log" 2>/dev/null || echo 0; }
# check LABEL WHAT STATUS TEXT ARGS...: sheer bmc ARGS exits STATUS; stdout (0) or its one stderr line holds TEXT.
check() {
	ck_label=$1 ck_what=$2 ck_status=$3 ck_text=$4
	shift 4
	bmc "$ck_label" "$@"
	if [ "$ck_status" -eq 0 ]; then out=$WORK/$ck_label.out; else out=$WORK/$ck_label.err; fi
	if [ $status -eq "$ck_status" ] && grep -qF -- "$ck_text" "$out" &&
	   { [ "$ck_status" -eq 0 ] || [ "$(wc -l <"$out")" -eq 1 ]; }; then
		ok "$ck_what: exit $status: $(head -n 1 "$out")"
	else
		fail "$ck_what: exit $ck_status with '$ck_text', not $status" "$WORK/$ck_label.out" "$WORK/$ck_label.err"
	fi
}
# bmc_saw WHAT TEXT: the BMC's own record ($DIR/calls.log, $DIR/power, $DIR/boot) shows TEXT.
bmc_saw() {
	if grep -qxF -- "$2" "$DIR/calls.log" "$DIR/power" "$DIR/boot" 2>/dev/null; then
		ok "... the BMC saw it: $2"
	else
		fail "... the BMC saw '$2'" "$DIR/calls.log"
	fi
}
# refused_untouched WHAT STATUS TEXT ARGS...: like check, and no call reached the BMC.
refused_untouched() {
	before=$(calls)
	check "$@"
	[ "$(calls)" = "$before" ] && ok "... nothing reached the BMC" || fail "... nothing reached the BMC" "$DIR/calls.log"
}

# suite URL BOOT_PXE BOOT_DISK SOFT [OPTIONS...]: the cases both protocols share.
suite() {
	url=$1 pxe=$2 disk=$3 soft=$4
	shift 4
	check status0 "$url: power status of a server that is off" 0 off "$url" power status --password-file "$WORK/password" "$@"
	check on "$url: power on" 0 "power on sent" "$url" power on --password-file "$WORK/password" "$@"
	check status1 "... power status" 0 on "$url" power status --password-file "$WORK/password" "$@"
	bmc_saw "$url: power on" 1
	check soft "$url: power soft" 0 "power soft sent" "$url" power soft --password-file "$WORK/password" "$@"
	bmc_saw "$url: power soft" "$soft"
	check on2 "$url: power on again" 0 "power on sent" "$url" power on --password-file "$WORK/password" "$@"
	check off "$url: power off" 0 "power off sent" "$url" power off --password-file "$WORK/password" "$@"
	check status2 "... power status" 0 off "$url" power status --password-file "$WORK/password" "$@"
	check cycle "$url: power cycle" 0 "power cycle sent" "$url" power cycle --password-file "$WORK/password" "$@"
	check pxe "$url: bootdev pxe --persistent" 0 "boots from pxe from now on" "$url" bootdev pxe --persistent \
		--password-file "$WORK/password" "$@"
	bmc_saw "$url: bootdev pxe" "$pxe"
	check disk "$url: bootdev disk" 0 "boots from disk next time" "$url" bootdev disk --password-file "$WORK/password" "$@"
	bmc_saw "$url: bootdev disk" "$disk"
	refused_untouched wrong "$url: a wrong password" 2 "refused the credentials" "$url" power on \
		--password-file "$WORK/wrong" "$@"
	refused_untouched shared "$url: a password file others may read" 2 "chmod 600 it" "$url" power on \
		--password-file "$WORK/shared" "$@"
}

# ---- IPMI: ipmi_sim with a chassis program that keeps the state in DIR ----
DIR=$WORK/ipmi PORT=$(free_port udp)
mkdir -p "$DIR/state"
"$HERE/ipmi_lan_conf" "$PORT" admin secret >"$DIR/lan.conf"
BMC_DIR=$DIR ipmi_sim -c "$DIR/lan.conf" -f "$HERE/bmc.emu" -s "$DIR/state" -n >"$DIR/sim.log" 2>&1 &
PIDS="$PIDS $!"
IPMITOOL="ipmitool -I lanplus -C 3 -H 127.0.0.1 -p $PORT -U admin -P secret"
until_true 10 $IPMITOOL chassis power status || fail "ipmi_sim answers ipmitool on port $PORT" "$DIR/sim.log"
suite "ipmi://admin@127.0.0.1:$PORT" "set boot pxe" "set boot default" "set shutdown 1"
check ipmitool-on "ipmi: power on" 0 "power on sent" "ipmi://admin@127.0.0.1:$PORT" power on --password-file "$WORK/password"
if $IPMITOOL chassis power status 2>&1 | grep -q "Chassis Power is on"; then
	ok "... ipmitool, another client, sees the power on"
else
	fail "... ipmitool, another client, sees the power on"
fi
refused_untouched silent "ipmi: a BMC that does not answer" 1 "did not answer" "ipmi://admin@127.0.0.1:$(free_port udp)" \
	power on --password-file "$WORK/password" --timeout-ms 200 --retries 1

# ---- Redfish: the test BMC over HTTPS, its certificate from a test CA ----
DIR=$WORK/redfish PORT=$(free_port tcp)
mkdir -p "$DIR"
"$TOP/tests/tls/make-certs" "$WORK/tls" localhost >/dev/null
python3 "$HERE/redfish_bmc.py" --port "$PORT" --cert "$WORK/tls/localhost/cert.pem" --key "$WORK/tls/localhost/key.pem" \
	--user admin --password-file "$WORK/password" --system 1 --dir "$DIR" >"$DIR/bmc.log" 2>&1 &
PIDS="$PIDS $!"
until_true 10 grep -q listening "$DIR/bmc.log" || fail "the Redfish BMC listens on $PORT" "$DIR/bmc.log"
URL="redfish://admin@localhost:$PORT/1"
suite "$URL" "Pxe Continuous" "Hdd Once" "reset GracefulShutdown" --ca-file "$WORK/tls/ca.pem"
refused_untouched unknown-system "redfish: an unknown system" 2 "no such system" "redfish://admin@localhost:$PORT/2" \
	power status --password-file "$WORK/password" --ca-file "$WORK/tls/ca.pem"
refused_untouched unknown-system-action "redfish: an action on an unknown system (exit 1: the BMC refused it)" 1 \
	"HTTP 404: no action" "redfish://admin@localhost:$PORT/2" power on --password-file "$WORK/password" \
	--ca-file "$WORK/tls/ca.pem"
refused_untouched wrong-ca "redfish: a certificate from a CA it was not given" 2 "certificate" "$URL" power on \
	--password-file "$WORK/password"
refused_untouched silent "redfish: a BMC that does not answer" 1 "redfish://admin@localhost:" \
	"redfish://admin@localhost:$(free_port tcp)/1" power on --password-file "$WORK/password" --timeout-ms 200 --retries 1

# ---- the inventory: both BMCs as physical servers, by name ----
IPMI_URL="ipmi://admin@127.0.0.1:$(sed -n 's/^  addr 127.0.0.1 //p' "$WORK/ipmi/lan.conf")"
export SHEER_CONFIG_DIR=$WORK/config
mkdir -p "$SHEER_CONFIG_DIR/physical"
cp "$WORK/password" "$SHEER_CONFIG_DIR/physical/bmc.pw"
cp "$WORK/tls/ca.pem" "$SHEER_CONFIG_DIR/physical/bmc-ca.pem"
cat >"$SHEER_CONFIG_DIR/physical/rack1.ini" <<INI
# an IPMI server, its password next to it
[physical]
bmc = $IPMI_URL
password_file = bmc.pw
boot = disk
disk = nvme-serial:sheer-lun-1
macs = 52:54:00:00:01:01, 52:54:00:00:01:02
ready = tcp:10.0.2.15:22
INI
cat >"$SHEER_CONFIG_DIR/physical/rack2.ini" <<INI
[physical]
bmc = $URL
password_file = $SHEER_CONFIG_DIR/physical/bmc.pw
ca_file = bmc-ca.pem
boot = pxe
timeout_ms = 2000
INI
printf '[physical]\nbmc = %s\npassword_file = bmc.pw\ncolour = blue\n' "$IPMI_URL" >"$SHEER_CONFIG_DIR/physical/rack3.ini"
check name-on "inventory: bmc rack1 power on (its password file from the inventory)" 0 "power on sent" rack1 power on
check name-off "inventory: bmc rack2 power off (Redfish, its CA from the inventory)" 0 "power off sent" rack2 power off
check unknown-name "inventory: an unknown physical server" 2 "unknown physical server 'rack9'" rack9 power status
check bad-entry "inventory: an entry with an unknown key, named by file and line" 2 "rack3.ini:4: unknown key 'colour'" \
	rack3 power status
"$SHEER" physical list >"$WORK/list.out" 2>"$WORK/list.err"
status=$?
if [ $status -eq 0 ] && grep -Eq '^rack1 +on +disk +ipmi://admin@127.0.0.1:' "$WORK/list.out" &&
   grep -Eq '^rack2 +off +pxe +redfish://admin@localhost:' "$WORK/list.out" &&
   grep -Eq "^rack3 +unknown .*# .*unknown key 'colour'" "$WORK/list.out"; then
	ok "physical list: rack1 on (disk), rack2 off (pxe), rack3 unknown with its reason"
else
	fail "physical list: rack1 on, rack2 off, rack3 unknown: exit $status" "$WORK/list.out" "$WORK/list.err"
fi
"$SHEER" physical list --json >"$WORK/list.json" 2>"$WORK/list.err"
if python3 -c 'import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
assert rows["rack1"]["power"] == "on" and rows["rack1"]["disk"] == "nvme-serial:sheer-lun-1", rows["rack1"]
assert rows["rack2"]["power"] == "off" and rows["rack2"]["boot"] == "pxe", rows["rack2"]
assert rows["rack3"]["power"] is None and "colour" in rows["rack3"]["error"], rows["rack3"]' "$WORK/list.json"; then
	ok "physical list --json: the same, with disk and error fields"
else
	fail "physical list --json" "$WORK/list.json" "$WORK/list.err"
fi

echo "bmc: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
