# shellcheck shell=bash
# Sourced after scenario.sh by the lab's fleet runs (scenario sheer-fleet, the demo's fleet step): lab
# hosts off behind ipmi_sim BMCs that run tests/lab/inhost/fleet-host.sh on every boot, counting servers
# defined and started through the hosts' agents, and their counters followed from host to host.
# Needs SHEER (the sheer program) and WORK (an empty directory for keys, passwords and sockets).

# until_true SECONDS CMD...: CMD succeeds within SECONDS of wall time.
until_true() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 1
	done
}

# fleet_prepare NAME...: TLS certificates for the hosts NAME... and the controller (one CA), the BMCs'
# password, and the servers' load file served over HTTP (fleet-host.sh reads it; HTTP_PORT).
fleet_prepare() {
	"$TOP/tests/tls/make-certs" "$WORK/tls" "$@" controller >/dev/null
	printf 'secret\n' >"$WORK/bmc.pw" && chmod 600 "$WORK/bmc.pw"
	mkdir -p "$WORK/load" && : >"$WORK/load/load"
	http_serve "$WORK/load"
}

# fleet_hosts_start SEGMENT NAME...: each host, off behind its BMC (BMC[NAME]: its UDP port), joined to
# SEGMENT as 10.9.0.N in the order given (ADDRESS[NAME]), its agent forwarded to FWD[NAME]. Its console
# goes to $LOGS/NAME.log; while $WORK/NAME.break exists its BMC ignores power on.
declare -A BMC FWD ADDRESS
fleet_hosts_start() {
	local segment=$1 n=0 h
	shift
	for h in "$@"; do
		n=$((n + 1))
		BMC[$h]=$(free_port SOCK_DGRAM) FWD[$h]=$(free_port SOCK_STREAM) ADDRESS[$h]=10.9.0.$n
		machine_start "$h-bmc" host --cpus 2 --mem 1G --segment "$segment:${ADDRESS[$h]}/24" --forward "${FWD[$h]}:9735" \
			--bmc "${BMC[$h]}" --bmc-password-file "$WORK/bmc.pw" --bmc-break-file "$WORK/$h.break" \
			--console "$LOGS/$h.log" --qmp "$WORK/$h.qmp" --put "$TOP/tests/lab/inhost:/lab/inhost" \
			--put "$WORK/tls:/lab/tls" -- sh /lab/inhost/fleet-host.sh "$h" "$HTTP_PORT"
	done
	for h in "$@"; do until_true 30 ipmi "$h" chassis power status || echo "lab: $SCENARIO: no BMC for $h"; done
}

# fleet_host_section NAME ROLE: the host's section of a fleet file.
fleet_host_section() {
	printf '\n[host %s]\naddress = 127.0.0.1:%s\nmigration_address = %s\nbmc = ipmi://admin@127.0.0.1:%s\n' \
		"$1" "${FWD[$1]}" "${ADDRESS[$1]}" "${BMC[$1]}"
	printf 'password_file = %s\nrole = %s\n' "$WORK/bmc.pw" "$2"
}

ipmi() { local h=$1; shift; ipmitool -I lanplus -H 127.0.0.1 -p "${BMC[$h]}" -U admin -P secret -C 3 "$@"; }
power_is() { ipmi "$1" chassis power status 2>/dev/null | grep -q "is $2\$"; }
qemu_of() { pgrep -f -- "unix:$WORK/$1.qmp,server" >/dev/null; }
qemu_gone() { ! qemu_of "$1"; }
agent() { local h=$1; shift; "$SHEER" agent call "127.0.0.1:${FWD[$h]}" "$@" --tls "$WORK/tls/controller" --timeout 20; }
agent_up() { agent "$1" ping; }

# where SERVER: the host whose report shows SERVER running; host_field HOST JQ: JQ holds of HOST. Both
# read the caller's hosts_json (`sheer fleet hosts --json` of the controller it asks).
where() { hosts_json | jq -r --arg s "$1" '.[] | select(any(.servers[]; .name == $s and .running)) | .name' | head -n 1; }
host_field() { hosts_json | jq -e --arg h "$1" ".[] | select(.name == \$h) | $2"; }

# serve_on SERVER HOST: a counting test OS (idle between counts) defined and started through HOST's agent.
server_profile() {
	printf '[server]\nname = %s\ncpus = 1\nmemory = 128M\nkernel = /lab/os/vmlinuz\ninitrd = /lab/os/initrd.gz\n' "$1"
	printf 'cmdline = console=ttyS0 quiet loglevel=3 panic=-1 pci=noearly sheer.dhcp=0 sheer.count=1000000 sheer.count_write_kib=0 '
	printf 'sheer.load=console\ndedicated_cores = no\n'
}
serve_on() {
	agent "$2" define "$(jq -cn --arg name "$1" --arg text "$(server_profile "$1")" '{name: $name, text: $text}')" >/dev/null &&
		agent "$2" start "{\"name\":\"$1\"}" >/dev/null
}

# consoles: every host's console (fleet-host.sh relays each server's lines there). FLEET_HOSTS: the
# hosts whose consoles are read.
consoles() {
	local h
	for h in "${FLEET_HOSTS[@]}"; do tr -d '\r' <"$LOGS/$h.log"; done 2>/dev/null
}
# counters SERVER: its counter lines from every host's console, "N UPTIME BOOT", by count.
counters() {
	consoles | sed -n "s/^$1| sheer-os-counter \([0-9]*\) uptime \([0-9.]*\) boot \([0-9a-f-]*\)\$/\1 \2 \3/p" |
		sort -n -k1,1 -u
}
last_count() { counters "$1" | tail -n 1 | cut -d' ' -f1; }
# printed SERVER: its counter lines on every host's console, every boot's, duplicates kept.
printed() { consoles | grep -c "^$1| sheer-os-counter "; }
# counting SERVER: counted on one boot, without a gap (one line may be cut by each move), the uptime rising.
counting() {
	counters "$1" | awk -v s="$1" '
		{ if (boot == "") boot = $3; if ($3 != boot) bad = bad " a second boot";
		  if (n != "" && ($1 - n > 2 || $2 + 0 < up + 0)) bad = bad " " n "->" $1; n = $1; up = $2; lines++ }
		END { if (lines < 10) bad = bad " only " lines " lines"; if (bad != "") { print "  " s ":" bad; exit 1 } }'
}
# counts_on SERVER: its count rises within 30 s.
count_above() { [ "$(last_count "$1")" -gt "$2" ]; }
counts_on() { local was; was=$(last_count "$1"); until_true 30 count_above "$1" "${was:-0}"; }
