# Inside the lab hosts of the failover benchmark: the failover scenario's server (an e1000e paired with
# virtio-net, a TCP stream of numbered lines from B) moved once from A to B, by sheer or by the reference
# QEMU (failover=on, the e1000e as its primary on a PCIe root port).
#   failover-bench.sh a|b sheer|qemu
# Prints the guest's stream lines and one line
#   FAILOVER vmm=NAME migrate_exit=S downtime_ms=D retransmitted=R   (R on B, the peer, over the run)
. /lab/inhost/lib.sh
A=10.9.0.1 B=10.9.0.2 GUEST=10.9.0.10 MAC=02:5e:00:00:0a:01
NIC=0000:00:02.0
MONITOR=4445
APPEND="sheer.dhcp=0 sheer.failover=$GUEST/24 sheer.stream=$B:5000 sheer.wait=powerbutton"
export LAB_RUN_LIMIT=900

# hmp COMMAND: QEMU's human monitor, over loopback TCP.
hmp() { echo "$1" | nc -w 2 127.0.0.1 $MONITOR 2>/dev/null | tr -d '\r'; }

sheer_a() {
	cat >/tmp/fo.ini <<EOT
[server]
name = fo
cpus = 1
memory = 256M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE $APPEND

[nic]
bridge = br0
mac = $MAC

[device]
pci = $NIC
failover = net0
EOT
	prefixed run sheer run /tmp/fo.ini </dev/null >/tmp/run.log &
	wait_for /tmp/run.log "sheer-os-stream 10 " 400
	migrate_when_up fo tcp:$B:7000 /lab/tls/a
	[ "$status" = 0 ] || sheer poweroff fo
	wait
	cat /tmp/run.log
	downtime=$(sed -n 's/.* downtime \([0-9]*\) ms.*/\1/p' /tmp/migrate.out | head -n 1)
	say "FAILOVER-SOURCE vmm=sheer migrate_exit=$status downtime_ms=${downtime:-0}"
}

sheer_b() {
	retrans0=$(tcp_retransmitted)
	prefixed there sheer receive --listen tcp:$B:7000 --tls /lab/tls/b </dev/null >/tmp/there.log &
	if wait_for /tmp/there.log "passed through here" 900 $!; then
		first=$(sed -n 's/.*sheer-os-stream \([0-9]*\) .*nics=1.*/\1/p' /tmp/there.log | head -n 1)
		wait_for /tmp/there.log "sheer-os-stream $((${first:-0} + 20)) " 120
	fi
	stream_stop
	sheer shutdown fo --timeout 60 >/dev/null 2>&1 || sheer poweroff fo 2>/dev/null
	wait
	cat /tmp/there.log
	say "FAILOVER-PEER vmm=sheer retransmitted=$(($(tcp_retransmitted) - retrans0))"
}

qemu_a() {
	prefixed run qemu-logical --virtio-net br0 --mac $MAC --failover $NIC --cpus 1 --mem 256M --append "$APPEND" \
		--monitor $MONITOR </dev/null >/tmp/run.log &
	wait_for /tmp/run.log "sheer-os-stream 10 " 400
	hmp "migrate -d tcp:$B:7002" >/dev/null
	status=1
	for _ in $(seq 600); do
		info=$(hmp "info migrate")
		case "$info" in
		*"Migration status: completed"*) status=0; break ;;
		*"Migration status: failed"*|*"Migration status: cancelled"*) break ;;
		esac
		sleep 1
	done
	downtime=$(echo "$info" | sed -n 's/^downtime: \([0-9]*\) ms.*/\1/p')
	hmp quit >/dev/null
	wait
	cat /tmp/run.log
	say "FAILOVER-SOURCE vmm=qemu migrate_exit=$status downtime_ms=${downtime:-0}"
}

qemu_b() {
	retrans0=$(tcp_retransmitted)
	prefixed there qemu-logical --virtio-net br0 --mac $MAC --failover $NIC --cpus 1 --mem 256M --append "$APPEND" \
		--incoming tcp:0:7002 --monitor $MONITOR </dev/null >/tmp/there.log &
	# The guest streams here once the migration is in and QEMU has plugged the primary back.
	if wait_for /tmp/there.log "sheer-os-stream .*nics=1" 900 $!; then
		first=$(sed -n 's/.*sheer-os-stream \([0-9]*\) .*nics=1.*/\1/p' /tmp/there.log | head -n 1)
		wait_for /tmp/there.log "sheer-os-stream $((${first:-0} + 20)) " 120
	else
		wait_for /tmp/there.log "sheer-os-stream " 60
		sleep 20
	fi
	stream_stop
	hmp system_powerdown >/dev/null
	sleep 30
	hmp quit >/dev/null
	wait
	cat /tmp/there.log
	say "FAILOVER-PEER vmm=qemu retransmitted=$(($(tcp_retransmitted) - retrans0))"
}

host=$1 vmm=$2
segment_bridge "$([ "$host" = a ] && echo $A || echo $B)"
[ "$host" = b ] && stream_peer 5000
"${vmm}_$host"
