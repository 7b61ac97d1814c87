# Inside the lab hosts of the sheer-failover scenario: A (10.9.0.1) and B (10.9.0.2) on one segment, each
# with an e1000e at 00:02.0 on that segment carrying the server's MAC, and a bridge br0 on the segment for
# the server's virtio-net. The server pairs A's e1000e with its virtio-net (failover = net0), reads a
# stream of numbered lines from B, and moves A -> B (B gives it its own e1000e) -> A (whose pool names no
# such NIC: it stays on virtio-net, and says so).
#   sheer-failover.sh a | b
. /lab/inhost/lib.sh
A=10.9.0.1 B=10.9.0.2 GUEST=10.9.0.10 MAC=02:5e:00:00:0a:01
NIC=0000:00:02.0
export LAB_RUN_LIMIT=900
# The lab's emulated hosts copy a few MiB/s over TLS while the streaming guest keeps dirtying pages, so
# a 300 ms pause takes about a hundred pre-copy rounds to reach. What is under test here is the failover
# pair across the move; the downtime itself is the benchmark's (tests/lab/bench/failover, default limit).
MIGRATE_ARGS="--downtime-ms 1500"
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }
# The standby's tap on the bridge: its carrier is off while the e1000e is in the guest.
carrier() { cat /sys/class/net/sheer*/carrier 2>/dev/null | xargs; }
nics() { sheer status fo --json | tr -d ' \n' | sed -n 's/.*"nics":\(\[[^]]*\]\).*/\1/p'; }

profile() {
	cat <<EOT
[server]
name = ${1:-fo}
cpus = 1
memory = 256M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE sheer.dhcp=0 sheer.failover=$GUEST/24 sheer.stream=$B:5000 sheer.wait=powerbutton

[nic]
bridge = br0
mac = ${2:-$MAC}

[device]
pci = $NIC
EOT
	[ -n "${3-failover}" ] && echo "failover = net0"
}

refusals() {
	profile fo 02:5e:00:00:0a:99 >/tmp/badmac.ini
	refused different-macs run /tmp/badmac.ini
	say "different-macs: $NIC $(drv $NIC)"
	# No stream: the peer takes one connection, the failover server's.
	profile nofo "$MAC" "" | sed 's/ sheer.stream=[^ ]*//' >/tmp/nofo.ini
	prefixed nofo sheer run /tmp/nofo.ini >/tmp/nofo.log &
	wait_for /tmp/nofo.log "failover interface\|waiting for power button" 300
	refused no-pair migrate nofo --to tcp:$B:7999 --tls /lab/tls/a
	say "no-pair: state $(sheer status nofo --json | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p') $NIC $(drv $NIC)"
	sheer poweroff nofo >/dev/null 2>&1
	wait
}

# The last stream line's number, and whether one after N found the e1000e in the guest again (nics=1) with
# ten frames received through it (rxe=, from 0 since it came: the guest prints lines behind their arrival,
# so a line printed with the e1000e in may have come through virtio-net before it).
last_stream() { sed -n 's/^run| sheer-os-stream \([0-9]*\) .*/\1/p' /tmp/run.log | tail -n 1; }
streams_with_e1000e_after() {
	sed -n 's/^run| sheer-os-stream //p' /tmp/run.log |
		awk -v n="$1" '$1 > n && $4 == "nics=1" && substr($6, 5) + 0 >= 10 { found = 1 } END { exit !found }'
}
# A move that fails before the switch-over (nobody listens at A:7999): the NIC goes back into the guest.
move_nowhere() {
	sheer migrate fo --to tcp:$A:7999 --tls /lab/tls/a </dev/null >/tmp/nowhere.out 2>&1
	say "nowhere: exit $? lines $(grep -c . /tmp/nowhere.out): $(tail -n 1 /tmp/nowhere.out)"
	say "nowhere: after: $(sheer status fo --json | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p') $NIC $(drv $NIC) nics $(nics)"
	n=$(last_stream)
	deadline=$(($(date +%s) + 120))
	until streams_with_e1000e_after "${n:-0}"; do
		[ "$(date +%s)" -ge "$deadline" ] && break
		sleep 1
	done
	say "nowhere: streams through the e1000e again after line ${n:-0}: $(streams_with_e1000e_after "${n:-0}" && echo yes || echo no)"
	say "nowhere: standby carrier $(carrier)"
}

a() {
	segment_bridge $A
	refusals
	profile >/tmp/fo.ini
	prefixed run sheer run /tmp/fo.ini </dev/null >/tmp/run.log &
	if wait_for /tmp/run.log "sheer-os-stream 10 " 400; then
		say "before: $NIC $(drv $NIC) nics $(nics)"
		say "before: standby carrier $(carrier)"
		move_nowhere
		migrate_when_up fo tcp:$B:7000 /lab/tls/a
		[ "$status" = 0 ] || sheer poweroff fo
	else
		say "fo never streamed"
		sheer poweroff fo
	fi
	wait
	cat /tmp/run.log
	say "run exit $(status_of run): $NIC $(drv $NIC)"
	# Back from B, onto a pool with no NIC of the model: virtio-net only.
	prefixed back sheer receive --listen tcp:$A:7001 --tls /lab/tls/a --failover-pool 0000:00:1f.3 \
		</dev/null >/tmp/back.log &
	back=$!
	if wait_for /tmp/back.log "received from" 600 $back; then
		wait_for /tmp/back.log "the server runs on virtio-net" 60 $back
		say "back: $NIC $(drv $NIC) nics $(nics)"
		say "back: standby carrier $(carrier)"
		sheer status fo | grep '^nic:' | sed 's/^/LAB: back status /'
		wait_for /tmp/back.log "sheer-os-stream-end" 600 $back
		sheer shutdown fo --timeout 60 >/dev/null 2>&1 || sheer poweroff fo
	fi
	wait
	cat /tmp/back.log
	say "back exit $(status_of back), list $(sheer list | grep -c fo)"
	say "processes left: $(pidof sheer sheer-vmm | wc -w)"
}

b() {
	segment_bridge $B
	stream_peer 5000
	prefixed there sheer receive --listen tcp:$B:7000 --tls /lab/tls/b </dev/null >/tmp/there.log &
	there=$!
	if wait_for /tmp/there.log "received from" 900 $there &&
		wait_for /tmp/there.log "passed through here" 120 $there; then
		say "there: $NIC $(drv $NIC) nics $(nics)"
		# The guest takes the e1000e a while after sheer attached it (its link comes up), and prints lines
		# behind their arrival: wait until the e1000e itself received frames (rxe=, 10 or more), then for ten
		# more lines (without this wait, CI once moved it back before the e1000e carried a line).
		wait_for /tmp/there.log "sheer-os-stream [0-9]* .*nics=1 .*rxe=[1-9][0-9]" 120 $there ||
			say "there: the e1000e received fewer than 10 frames in 120 s"
		# Read once the guest uses the e1000e: the carrier goes off when its driver turns bus mastering on.
		say "there: standby carrier $(carrier)"
		first=$(sed -n 's/.*sheer-os-stream \([0-9]*\) .*nics=1 .*rxe=[1-9][0-9].*/\1/p' /tmp/there.log | head -n 1)
		if ! wait_for /tmp/there.log "sheer-os-stream $((${first:-0} + 10)) " 120 $there &&
			! sed -n '/received from/,$p' /tmp/there.log | grep -q "sheer-os-stream "; then
			# Not one line since the move: the moved guest froze (Known limits), which the runner retries.
			echo "LAB-GUEST-FROZE: fo printed nothing for 120 s after its move: $(sheer status fo --json | tr -d ' \n')"
			# A's receiver would wait its 600 s for a move that will not come: a line that is no migration
			# stream ends it now.
			echo frozen | nc -w 5 $A 7001 >/dev/null 2>&1
			sheer poweroff fo
		else
			migrate_when_up fo tcp:$A:7001 /lab/tls/b
			[ "$status" = 0 ] || sheer poweroff fo
		fi
	else
		say "fo never came with its NIC"
		sheer poweroff fo 2>/dev/null
	fi
	wait $there
	cat /tmp/there.log
	say "there exit $(status_of there), list $(sheer list | grep -c fo): $NIC $(drv $NIC)"
	# A streams on virtio-net for a while, then the stream ends and A powers the server off.
	sleep 15
	stream_stop
	say "processes left: $(pidof sheer sheer-vmm | wc -w)"
}

"$@"
