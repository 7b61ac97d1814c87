# Inside a lab host of the sheer-migrate-hosts scenario (two hosts on one segment, TLS certificates in
# /lab/tls/a and /lab/tls/b):
#   sheer-migrate-hosts.sh a    run the counting OS image, migrate it to B, then take it back and let it end
#   sheer-migrate-hosts.sh b    take it from A, let it count, migrate it back to A
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"
A=10.9.0.1 B=10.9.0.2
# Never reached: back on A, once it counted on, the power button ends the count (count_then_stop).
COUNT=100000
# The receivers wait for the other host: longer than a single run may take elsewhere.
export LAB_RUN_LIMIT=600

first_count_after_receive() {
	wait_for /tmp/there.log "sheer-os-counter" 120 &&
		sed -n 's/.*sheer-os-counter \([0-9]*\) .*/\1/p' /tmp/there.log | head -n 1
}

# The lab's migrate_when_up (lib.sh), and what TCP saw so far.
migrate_and_count() {
	migrate_when_up "$1" "$2" "$3" all
	say "tcp so far: $(tcp_counters)"
}

# What TCP saw on this host: a migration that fails with a network between hosts says whether it was lossy.
tcp_counters() {
	awk '/^Tcp:/ { if (!seen) { for (i = 2; i <= NF; i++) col[$i] = i; seen = 1; next }
		print "segments out " $col["OutSegs"] ", retransmitted " $col["RetransSegs"] ", resets sent " $col["OutRsts"] }' \
		/proc/net/snmp
}

a() {
	prefixed run sheer run --name m01 --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE sheer.count=$COUNT" \
		>/tmp/run.log &
	status=1
	if wait_for /tmp/run.log "sheer-os-counter 5 " 300; then
		migrate_and_count m01 tcp:$B:7000 /lab/tls/a
	else
		say "m01 never counted to 5"
	fi
	# Still here: it would count on for ever.
	[ "$status" = 0 ] || sheer poweroff m01
	wait
	cat /tmp/run.log
	say "run exit $(status_of run)"
	[ "$status" = 0 ] || return
	# Back from B: the guest counts on here, then powers off.
	prefixed back sheer receive --listen tcp:$A:7001 --tls /lab/tls/a >/tmp/back.log &
	back=$!
	wait_for /tmp/back.log "received from" 600 $back && count_then_stop /tmp/back.log m01 $back
	wait
	cat /tmp/back.log
	say "back exit $(status_of back), list $(sheer list | grep -c m01)"
	say "tcp so far: $(tcp_counters)"
}

b() {
	prefixed there sheer receive --listen tcp:$B:7000 --tls /lab/tls/b >/tmp/there.log &
	there=$!
	# A migrates once its guest counts and this host listens, whichever comes last: count 5 more here.
	if wait_for /tmp/there.log "received from" 600 $there && first=$(first_count_after_receive) &&
		wait_for /tmp/there.log "sheer-os-counter $((first + 5)) " 120 $there; then
		migrate_and_count m01 tcp:$A:7001 /lab/tls/b
		[ "$status" = 0 ] || sheer poweroff m01
	else
		say "m01 did not count here"
		# Never received: the receive still waits. SIGTERM to its sheer (the supervisor) ends it cleanly.
		sheer poweroff m01 2>/dev/null || for p in /proc/[0-9]*; do
			[ "$(cat "$p/comm" 2>/dev/null)" = sheer ] && kill "${p#/proc/}"
		done
	fi
	wait
	cat /tmp/there.log
	say "there exit $(status_of there), list $(sheer list | grep -c m01)"
	say "tcp so far: $(tcp_counters)"
}

"$@"
