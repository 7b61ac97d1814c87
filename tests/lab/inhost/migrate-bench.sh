# Inside a lab host: live migration of the test OS image (256 MiB, 1 vCPU) over TCP on loopback,
# the guest running sheer-ticker ("tick N" every 10 ms while dirtying RATE MiB/s), for each rate
# given, under sheer and under the reference QEMU (default settings: its downtime limit is 300 ms
# as sheer's, its bandwidth limit 128 MiB/s; once more with auto-converge, which sheer always does).
# One line per VMM and rate:
#   MIG vmm=NAME rate=R total_s=S downtime_ms=D gap_ms=G mib=M rounds=N
# or "MIG vmm=NAME rate=R failed=WHAT".
# downtime_ms: the VMM's own figure (sheer migrate --json; QEMU's info migrate).
# gap_ms: what the guest's users see: from the last tick the source's console printed to the first
#   the target's printed, both stamped on arrival by /lab/bin/stamp (the consoles go through it).
# rounds: sheer's pre-copy rounds; QEMU's "dirty sync count" (its passes over the dirty bitmap).
. /lab/inhost/lib.sh
. /lab/inhost/bench-lib.sh
MEM=256
QEMU_PORT=4444 SHEER_PORT=7000
# Two run directories stand for the two hosts: each side has its own registry.
SRC=/run/src DST=/run/dst
# A guest that dirties faster than the link under QEMU without auto-converge never converges.
CONVERGE_LIMIT_S=120
trap '' PIPE

result() { echo "MIG $*"; }
# no_timer_check: two VMMs on an emulated host's two CPUs can make the boot's timer check come too late (the
# lab hosts boot with it too); the same for both VMMs.
cmdline() { echo "$OS_CMDLINE no_timer_check sheer.dhcp=0 sheer.tick=$1"; }
# boot_failed VMM RATE: the result line, and the last the guest said.
boot_failed() {
	result "vmm=$1 rate=$2 failed=boot"
	echo "$1| the guest's console ended with: $(tail -c 300 /tmp/src.log | tr '\r\n' '  ')"
}

# stamped NAME: a FIFO whose lines /lab/bin/stamp copies, stamped, to /tmp/NAME.log; its pid in STAMP_PIDS.
# A stamper whose writer never came is still in open(): unstamp ends them all.
STAMP_PIDS=
stamped() {
	rm -f "/tmp/$1.fifo" "/tmp/$1.log"
	mkfifo "/tmp/$1.fifo"
	/lab/bin/stamp <"/tmp/$1.fifo" >"/tmp/$1.log" &
	STAMP_PIDS="$STAMP_PIDS $!"
}
unstamp() {
	for pid in $STAMP_PIDS; do
		wait_exit "$pid" 5 || kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	STAMP_PIDS=
}
# gap_ms: from the last whole tick line in /tmp/src.log to the first in /tmp/dst.log.
gap_ms() {
	last=$(grep -a '^[0-9.]* tick [0-9]*' /tmp/src.log | tail -n 1 | cut -d' ' -f1)
	first=$(grep -a '^[0-9.]* tick [0-9]*' /tmp/dst.log | head -n 1 | cut -d' ' -f1)
	[ -n "$last" ] && [ -n "$first" ] && awk -v a="$last" -v b="$first" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}
# field NAME: a number of sheer migrate's --json answer, at its top level or in "downtime" (round_log has
# keys of the same names).
field() { sed 's/,"round_log":.*//' /tmp/mig.json | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p"; }
# ticking FILE N SECONDS: the guest printed tick N (it runs, with its workload, for N/100 s).
ticking() { wait_for "$1" " tick $2" "$3"; }

sheer_bench() {
	rate=$1 name=mig$1
	stamped src
	stamped dst
	SHEER_RUN_DIR=$DST sheer receive --listen "tcp:127.0.0.1:$SHEER_PORT" </dev/null >/tmp/dst.fifo 2>/tmp/dst.err &
	dst_pid=$!
	SHEER_RUN_DIR=$SRC sheer run --name "$name" --cpus 1 --memory "${MEM}M" --kernel "$OS_KERNEL" \
		--initrd "$OS_INITRD" --cmdline "$(cmdline "$rate")" </dev/null >/tmp/src.fifo 2>/tmp/src.err &
	src_pid=$!
	listening "$SHEER_PORT" 60
	if ! ticking /tmp/src.log 300 300; then
		boot_failed sheer "$rate"
	elif ! SHEER_RUN_DIR=$SRC sheer migrate "$name" --to "tcp:127.0.0.1:$SHEER_PORT" --json >/tmp/mig.json \
		2>/tmp/mig.err; then
		result "vmm=sheer rate=$rate failed=migrate"
		cat /tmp/mig.err
	elif ! first=$(wait_for /tmp/dst.log " tick " 60 && grep -a -m 1 ' tick ' /tmp/dst.log | sed 's/.* tick //') ||
		! ticking /tmp/dst.log $((first + 100)) 60; then
		result "vmm=sheer rate=$rate failed=target-not-ticking"
	else
		echo "sheer migrate: $(cat /tmp/mig.json)"
		result "vmm=sheer rate=$rate total_s=$(field total_ns | awk '{ printf "%.2f", $1 / 1e9 }')" \
			"downtime_ms=$(field downtime_ns | awk '{ printf "%.0f", $1 / 1e6 }') gap_ms=$(gap_ms)" \
			"mib=$(field bytes | awk '{ printf "%.1f", $1 / 1048576 }') rounds=$(field rounds)"
	fi
	SHEER_RUN_DIR=$DST sheer poweroff "$name" >/dev/null 2>&1
	SHEER_RUN_DIR=$SRC sheer poweroff "$name" >/dev/null 2>&1
	wait_exit "$src_pid" 30 || kill "$src_pid"
	# A receive that never got the server still listens.
	wait_exit "$dst_pid" 30 || kill "$dst_pid"
	wait "$src_pid" "$dst_pid"
	unstamp
	sed 's/^/sheer| /' /tmp/src.err /tmp/dst.err
}

# qemu_bench RATE LABEL [CAPABILITY]: the same under QEMU, with a migration capability turned on.
qemu_bench() {
	rate=$1 label=$2 capability=$3
	stamped src
	stamped dst
	qemu_start qdst "$MEM" /tmp/dst.fifo "$(cmdline "$rate")" -incoming "tcp:127.0.0.1:$QEMU_PORT"
	qemu_start qsrc "$MEM" /tmp/src.fifo "$(cmdline "$rate")"
	if ! ticking /tmp/src.log 300 300; then
		boot_failed "$label" "$rate"
		qemu_last_words qsrc
	else
		[ -n "$capability" ] && mon qsrc "migrate_set_capability $capability on"
		mon qsrc "migrate -d tcp:127.0.0.1:$QEMU_PORT"
		if ! mon_until qsrc "info migrate" "Migration status: (completed|failed)" "$CONVERGE_LIMIT_S"; then
			mon qsrc migrate_cancel
			result "vmm=$label rate=$rate failed=no-convergence-in-${CONVERGE_LIMIT_S}s"
		elif grep -aq "Migration status: failed" /tmp/qsrc.log; then
			result "vmm=$label rate=$rate failed=migrate"
			qemu_last_words qsrc
		elif ! wait_for /tmp/dst.log " tick " 60; then
			result "vmm=$label rate=$rate failed=target-not-ticking"
		else
			: >/tmp/qsrc.log
			mon qsrc "info migrate"
			sleep 0.5
			echo "qemu migrate: $(tr '\r' '\n' </tmp/qsrc.log | grep -a -E '^(total time|downtime|transferred ram|dirty sync count)' | tr '\n' ';')"
			result "vmm=$label rate=$rate total_s=$(mon_value qsrc "total time" | awk '{ printf "%.2f", $1 / 1000 }')" \
				"downtime_ms=$(mon_value qsrc downtime) gap_ms=$(gap_ms)" \
				"mib=$(mon_value qsrc "transferred ram" | awk '{ printf "%.1f", $1 / 1024 }')" \
				"rounds=$(mon_value qsrc "dirty sync count")"
		fi
	fi
	mon qsrc quit
	mon qdst quit
	qemu_stop qsrc 10
	qemu_stop qdst 10
	unstamp
}

for rate in ${*:-0 1 10 50}; do
	sheer_bench "$rate"
	qemu_bench "$rate" qemu
	qemu_bench "$rate" qemu-ac auto-converge
done
