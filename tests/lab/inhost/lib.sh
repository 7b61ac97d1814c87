# shellcheck shell=sh
# Sourced by scripts that run inside a lab host (put there by a scenario).
# say: a line the scenario greps for. prefixed NAME CMD...: run CMD with every
# output line prefixed "NAME| ", its exit status in /tmp/status.NAME. A run
# still going after LAB_RUN_LIMIT seconds (default 300) is a hang: the
# watchdog prints what sheer is doing ("NAME| LAB-WATCHDOG: ...") and stops
# it, so the scenario fails in minutes and says where.
OS_KERNEL=/lab/os/vmlinuz
OS_INITRD=/lab/os/initrd.gz
OS_CMDLINE="console=ttyS0 quiet loglevel=3 panic=-1 pci=noearly"

say() { echo "LAB: $*"; }
sheer_threads() {
	for p in /proc/[0-9]*; do
		case "$(cat "$p/comm" 2>/dev/null)" in sheer|sheer-vmm) ;; *) continue ;; esac
		for t in "$p"/task/*; do echo "thread ${t##*/} $(cat "$t/comm") waits in $(cat "$t/wchan")"; done
	done
}
watchdog() {
	# Not on the pipe: killing the watchdog orphans this sleep, which must not keep the pipe open.
	sleep "${LAB_RUN_LIMIT:-300}" >/dev/null 2>&1 </dev/null
	echo "LAB-WATCHDOG: still running after ${LAB_RUN_LIMIT:-300} s; stopping it"
	sheer list --json | tr -d '\n '
	echo
	for server in $(sheer list --json | sed -n 's/.*"name": "\([^"]*\)".*/\1/p'); do
		sheer status "$server" --json | tr -d '\n '
		echo
	done
	sheer_threads
	kill -TERM "$1"
	sleep 10
	kill -KILL "$1" 2>/dev/null
}
prefixed() {
	name=$1
	shift
	{
		"$@" &
		command_pid=$!
		watchdog "$command_pid" &
		watchdog_pid=$!
		wait "$command_pid"
		echo $? >"/tmp/status.$name"
		kill "$watchdog_pid" 2>/dev/null
	} 2>&1 | while IFS= read -r line; do echo "$name| $line"; done
}
status_of() { cat "/tmp/status.$1"; }
# wait_for FILE TEXT SECONDS [PID]: until FILE contains TEXT, SECONDS of wall time at most (a loaded
# emulated host runs each grep slowly, so counting iterations would wait far longer).
wait_for() {
	local deadline=$(($(date +%s) + $3))
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		# The process that writes FILE (4th argument) ended: TEXT will not come.
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && ! grep -q "$2" "$1" 2>/dev/null && return 1
		sleep 0.1
	done
}
# refused LABEL ARGS...: run sheer ARGS, report its status, its one stderr line,
# and how many sockets/registry entries are in /run/sheer afterwards.
refused() {
	name=$1
	shift
	sheer "$@" </dev/null >/dev/null 2>"/tmp/err.$name"
	say "$name status $? lines $(wc -l <"/tmp/err.$name"): $(head -n 1 "/tmp/err.$name")"
	say "$name leftovers $(find /run/sheer -maxdepth 1 \( -name '*.sock' -o -name '*.json' \) 2>/dev/null | wc -l)"
}
# Two lab hosts on one segment (lab host --segment) meet by bounded waits on wall-clock
# time, as wait_for: the host that listens waits for its own listener (listening PORT
# SECONDS), the other retries until it answers (retry SECONDS CMD...), since either
# host may boot a minute after the other.
listening() {
	local port deadline=$(($(date +%s) + $2))
	port=$(printf ':%04X' "$1")
	# A listening socket has state 0A in /proc/net/tcp{,6}.
	while ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p="$port" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }'; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
retry() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 1
	done
}

# The test OS image counting (sheer.count=N) across a checkpoint or a migration:
# counters FILE...: "N UPTIME BOOT" per counter line of the consoles FILE... read in order as one stream
# (a line cut by a move is joined again: counters.awk).
counters() { sed 's/^[a-z0-9]*| //' "$@" | awk -f /lab/inhost/counters.awk; }
# continuity BEFORE AFTER [LAST]: the consoles before and after a move both counted, and the counts run on
# without a gap or a repeat (to LAST when given), one boot id, uptime never goes back.
continuity() {
	[ -n "$(counters "$1")" ] && [ -n "$(counters "$2")" ] || { echo "bad: nothing counted before or after"; return; }
	counters "$1" "$2" | awk -v want="${3:-}" '
		{ if ($1 != n + 1) bad = bad " count " $1 " after " n; if (boot != "" && length($3) == 36 && $3 != boot) bad = bad " new boot id";
		  if ($2 + 0 < up + 0) bad = bad " uptime went back"; n = $1; up = $2; if (boot == "" && length($3) == 36) boot = $3 }
		END { if (want != "" && n != want) bad = bad " ended at " n; print bad == "" ? "ok" : "bad" bad }'
}
# count_then_stop FILE NAME [PID]: once the image counted 5 more in FILE (the console of NAME's sheer,
# process PID), the power button ends its count (sheer.count ends early on it); the image then powers off.
count_then_stop() {
	wait_for "$1" "sheer-os-counter " 300 "${3:-}" || return
	from=$(counters "$1" | head -n 1 | cut -d' ' -f1)
	wait_for "$1" "sheer-os-counter $((from + 5)) " 300 "${3:-}"
	sheer shutdown "$2" --timeout 60 >/dev/null 2>&1 || sheer poweroff "$2" >/dev/null 2>&1
}
# listed NAME: how many of sheer list's lines are server NAME's; "list-failed" when sheer list fails
# (which must not read as "none").
listed() {
	out=$(sheer list 2>&1) || { echo list-failed; return; }
	printf '%s\n' "$out" | grep -c "^$1 "
}
# memsums FILE...: how many different memory checksums the image printed (1: memory intact).
memsums() { sed -n 's/.*sheer-os-memsum \([0-9a-f]*\).*/\1/p' "$@" | sort -u | wc -l; }
# memsum_report FILE...: "FILE:N ... distinct D": each log's checksum lines and how many differ (a log
# that printed none shows, rather than passing as "1 distinct").
memsum_report() { echo "$(grep -c sheer-os-memsum "$@" | tr '\n' ' ')distinct $(memsums "$@")"; }
# uplink: the host's own first NIC (00:02.0, --nic) up on the user network, so it reaches the build
# machine (the lab's BMCs and services) at the gateway, 10.0.2.2.
uplink() {
	nic=$(ls /sys/bus/pci/devices/0000:00:02.0/net)
	ip link set "$nic" up && ip addr add 10.0.2.15/24 dev "$nic"
}
# physical_entry NAME BMC-URL READY-PORT [MORE-LINES]: an inventory entry booting its disk, its BMC
# password /lab/bmc.pw, up once tcp:10.0.2.2:READY-PORT answers.
physical_entry() {
	mkdir -p /etc/sheer/physical
	[ -e /etc/sheer/physical/bmc.pw ] || { cp /lab/bmc.pw /etc/sheer/physical/bmc.pw && chmod 600 /etc/sheer/physical/bmc.pw; }
	printf '[physical]\nbmc = %s\npassword_file = bmc.pw\nboot = disk\nready = tcp:10.0.2.2:%s\n%s' "$2" "$3" "${4:-}" \
		>"/etc/sheer/physical/$1.ini"
}
# lun_profile FILE NAME CPUS: a logical server booting the disk behind the NVMe at 00:06.0.
lun_profile() {
	printf '[server]\nname = %s\ncpus = %s\nmemory = 256M\nboot = disk\n\n[device]\npci = 0000:00:06.0\n' "$2" "$3" >"$1"
}
# segment_bridge ADDR: br0 on the segment (lab host --segment), holding the host's address ADDR/24
# instead of the segment NIC, so that a server's tap on br0 reaches the other hosts.
segment_bridge() {
	# A virtio-net NIC's interface hangs off its virtio device: .../0000:00:0a.0/virtioN/net/IF.
	seg=$(ls /sys/bus/pci/devices/0000:00:0a.0/virtio*/net)
	ip addr flush dev "$seg"
	ip link add br0 type bridge
	ip link set br0 address "$(cat "/sys/class/net/$seg/address")"
	ip link set "$seg" master br0
	# The segment hands every QEMU NIC its own frames back (multicast loopback): learning on the uplink
	# would move a local server's MAC there the moment its own frame came back, and frames for it would
	# stop at the bridge. Without it, MACs are learned on the taps only; the rest is flooded to the uplink.
	echo 0 >"/sys/class/net/br0/brif/$seg/learning"
	ip link set br0 up
	ip addr add "$1/24" dev br0
}
# stream_peer PORT: numbered lines, one every half second, to the first client of PORT, in the background
# (the failover scenario's and benchmark's TCP stream), until stream_stop: then the line "end".
stream_peer() {
	rm -f /tmp/stream-stop
	STREAM_PORT=$1
	(i=0; while [ ! -e /tmp/stream-stop ]; do i=$((i + 1)); echo $i; sleep 0.5; done; echo end) | nc -l -p "$1" &
}
# stream_stop: the stream's last line, "end", goes out, and this waits (3 minutes at most) until the guest
# acknowledged everything: after a migration TCP may still be catching up, lines queued here behind its
# retransmission timer, and nc may already be gone (the kernel sends what it left). A socket of PORT still
# established or closing with unacknowledged data (states 01, 04, 0B in /proc/net/tcp) means not yet.
stream_stop() {
	: >/tmp/stream-stop
	sleep 1
	deadline=$(($(date +%s) + 180))
	while [ "$(date +%s)" -lt "$deadline" ] &&
		awk -v port="$(printf ':%04X' "$STREAM_PORT")" '
			substr($2, length($2) - 4) == port && ($4 == "01" || $4 == "04" || $4 == "0B") { busy = 1 }
			END { exit !busy }' /proc/net/tcp; do
		sleep 1
	done
}
# tcp_retransmitted: TCP segments this host has retransmitted so far.
tcp_retransmitted() {
	awk '/^Tcp:/ { if (!seen) { for (i = 2; i <= NF; i++) col[$i] = i; seen = 1; next } print $col["RetransSegs"] }' \
		/proc/net/snmp
}
# migrate_when_up NAME ADDR TLS [MORE]: sheer migrate, retried while the peer's receiver does not listen yet
# (only "cannot reach" is retried); $status is its exit status, /tmp/migrate.out what it said, and one LAB
# line says both (its first line, or all with MORE). MIGRATE_ARGS: more options for sheer migrate.
migrate_when_up() {
	deadline=$(($(date +%s) + 300))
	while :; do
		# shellcheck disable=SC2086 # MIGRATE_ARGS is a list of options
		sheer migrate "$1" --to "$2" --tls "$3" ${MIGRATE_ARGS:-} >/tmp/migrate.out 2>&1
		status=$?
		grep -q "cannot reach the target" /tmp/migrate.out || break
		[ "$(date +%s)" -ge "$deadline" ] && break
		sleep 1
	done
	if [ -n "${4:-}" ]; then
		say "migrate $1 to $2: exit $status lines $(wc -l </tmp/migrate.out): $(cat /tmp/migrate.out)"
	else
		say "migrate $1 to $2: exit $status lines $(wc -l </tmp/migrate.out): $(head -n 1 /tmp/migrate.out)"
	fi
}
