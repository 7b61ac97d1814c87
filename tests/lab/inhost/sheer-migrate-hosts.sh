# Inside a lab host of the sheer-migrate-hosts scenario (two hosts on one segment, TLS certificates in
# /lab/tls/a and /lab/tls/b):
#   sheer-migrate-hosts.sh a    run the counting OS image, migrate it to B, then take it back and let it end
#   sheer-migrate-hosts.sh b    take it from A, let it count, migrate it back to A
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"
A=10.9.0.1 B=10.9.0.2
COUNT=70
# The receivers wait for the other host: longer than a single run may take elsewhere.
export LAB_RUN_LIMIT=600

first_count_after_receive() {
	wait_for /tmp/there.log "sheer-os-counter" 120 &&
		sed -n 's/.*sheer-os-counter \([0-9]*\) .*/\1/p' /tmp/there.log | head -n 1
}

# migrate_when_up NAME ADDR TLS: the peer's receiver may not listen yet; only "cannot reach" is retried.
migrate_when_up() {
	deadline=$(($(date +%s) + 300))
	while :; do
		sheer migrate "$1" --to "$2" --tls "$3" >/tmp/migrate.out 2>&1
		status=$?
		grep -q "cannot reach the target" /tmp/migrate.out || break
		[ "$(date +%s)" -ge "$deadline" ] && break
		sleep 1
	done
	say "migrate $1 to $2: exit $status lines $(wc -l </tmp/migrate.out): $(cat /tmp/migrate.out)"
}

a() {
	prefixed run sheer run --name m01 --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE sheer.count=$COUNT" \
		>/tmp/run.log &
	if wait_for /tmp/run.log "sheer-os-counter 5 " 300; then
		migrate_when_up m01 tcp:$B:7000 /lab/tls/a
	else
		say "m01 never counted to 5"
		sheer poweroff m01
	fi
	wait
	cat /tmp/run.log
	say "run exit $(status_of run)"
	# Back from B: the guest counts to its end here and powers off.
	prefixed back sheer receive --listen tcp:$A:7001 --tls /lab/tls/a >/tmp/back.log
	cat /tmp/back.log
	say "back exit $(status_of back), list $(sheer list | grep -c m01)"
}

b() {
	prefixed there sheer receive --listen tcp:$B:7000 --tls /lab/tls/b >/tmp/there.log &
	# A migrates once its guest counts and this host listens, whichever comes last: count 5 more here.
	if wait_for /tmp/there.log "received from" 600 && first=$(first_count_after_receive) &&
		wait_for /tmp/there.log "sheer-os-counter $((first + 5)) " 120; then
		migrate_when_up m01 tcp:$A:7001 /lab/tls/b
	else
		say "m01 did not count here"
	fi
	wait
	cat /tmp/there.log
	say "there exit $(status_of there), list $(sheer list | grep -c m01)"
}

"$@"
