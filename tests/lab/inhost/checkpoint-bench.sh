# Inside the lab host: checkpoint and restore of the test OS image, idle after
# boot (sheer.wait=powerbutton), 1 vCPU, for each memory size given (MiB),
# under sheer and under the reference QEMU. One line per VMM and size:
#   CKPT vmm=NAME mem=MIB ckpt_wall=S ckpt_own=S file_mib=M restore_wall=S restore_own=S resumed=yes|no
# or "CKPT vmm=NAME mem=MIB failed=WHAT".
# ckpt_wall: from the request to its end (sheer: the `sheer checkpoint` command;
#   QEMU: HMP `stop` + `migrate -d "exec:cat > FILE"` until `info migrate` says completed,
#   i.e. what `virsh save` does: paused first, one pass, bandwidth limit lifted).
# ckpt_own: the VMM's own figure (sheer: elapsed_ns of --json; QEMU: info migrate's total time).
# restore_wall: from launching the VMM until the guest runs again (sheer: its stderr line
#   "restored from"; QEMU with -incoming "exec:cat FILE": `info status` paused once loaded
#   (the state was saved paused), then `cont` until it says running).
# restore_own: sheer's figure in that line ("-" for QEMU, which prints none).
# resumed: after the restore the guest answered the ACPI power button (it prints
#   "power button pressed"): it really runs on, not only the VMM.
. /lab/inhost/lib.sh
. /lab/inhost/bench-lib.sh
CMDLINE="$OS_CMDLINE sheer.wait=powerbutton"
# A monitor whose QEMU has died must not kill this script through SIGPIPE.
trap '' PIPE

result() { echo "CKPT $*"; }

sheer_bench() {
	mem=$1 name=ck$1
	rm -f "/tmp/$name".*
	sheer run --name "$name" --cpus 1 --memory "${mem}M" --kernel "$OS_KERNEL" --initrd "$OS_INITRD" \
		--cmdline "$CMDLINE" </dev/null >"/tmp/$name.run" 2>&1 &
	run_pid=$!
	if ! wait_for "/tmp/$name.run" "waiting for power button" 150; then
		result "vmm=sheer mem=$mem failed=boot"
		sheer poweroff "$name" >/dev/null 2>&1
		wait "$run_pid"
		sed 's/^/sheer-run| /' "/tmp/$name.run"
		return
	fi
	start=$(now)
	sheer checkpoint "$name" "/tmp/$name.ckpt" --json >"/tmp/$name.json" 2>"/tmp/$name.err"
	status=$?
	ckpt_wall=$(since "$start")
	wait_exit "$run_pid" 30 || sheer poweroff "$name" >/dev/null 2>&1
	wait "$run_pid"
	if [ "$status" -ne 0 ] || [ ! -f "/tmp/$name.ckpt" ]; then
		result "vmm=sheer mem=$mem failed=checkpoint-exit-$status"
		cat "/tmp/$name.err" "/tmp/$name.run"
		return
	fi
	echo "sheer checkpoint: $(cat "/tmp/$name.json")"
	ckpt_own=$(sed -n 's/.*"elapsed_ns": *\([0-9]*\).*/\1/p' "/tmp/$name.json" | awk '{ printf "%.2f", $1 / 1e9 }')
	file_mib=$(mib "/tmp/$name.ckpt")

	start=$(now)
	{ sheer restore "/tmp/$name.ckpt" --name "${name}r" </dev/null 2>&1 |
		stamp_first "/tmp/$name.restore" "restored from" "/tmp/$name.at"; } &
	restore_pid=$!
	if ! wait_nonempty "/tmp/$name.at" 150; then
		result "vmm=sheer mem=$mem failed=restore"
		sheer poweroff "${name}r" >/dev/null 2>&1
		wait "$restore_pid"
		cat "/tmp/$name.restore"
		return
	fi
	restore_wall=$(minus "$start" "$(cat "/tmp/$name.at")")
	grep "restored from" "/tmp/$name.restore"
	restore_own=$(sed -n 's/.*restored from .* in \([0-9.]*\) s.*/\1/p' "/tmp/$name.restore")
	# The power button (the guest answers it and powers off); at once if it does not.
	sheer shutdown "${name}r" --timeout 60 >/dev/null 2>&1 || sheer poweroff "${name}r" >/dev/null 2>&1
	wait "$restore_pid"
	resumed=no
	grep -q "power button pressed" "/tmp/$name.restore" && resumed=yes
	result "vmm=sheer mem=$mem ckpt_wall=$ckpt_wall ckpt_own=$ckpt_own file_mib=$file_mib" \
		"restore_wall=$restore_wall restore_own=${restore_own:--} resumed=$resumed"
	rm -f "/tmp/$name".*
}

qemu_failed() {
	result "vmm=qemu mem=$1 failed=$2"
	qemu_last_words mon
	mon mon quit
	qemu_stop mon 0
}

qemu_bench() {
	mem=$1 file=/tmp/q$1.mig
	rm -f "$file" /tmp/q.console /tmp/qr.console
	qemu_start mon "$mem" /tmp/q.console "$CMDLINE"
	if ! wait_for /tmp/q.console "waiting for power button" 150; then
		qemu_failed "$mem" boot
		return
	fi
	mon mon "migrate_set_parameter max-bandwidth 100G"
	start=$(now)
	mon mon stop
	mon mon "migrate -d \"exec:cat > $file\""
	if ! mon_until mon "info migrate" "Migration status: (completed|failed)" 150 ||
		grep -aq "Migration status: failed" /tmp/mon.log; then
		qemu_failed "$mem" save
		return
	fi
	ckpt_wall=$(since "$start")
	: >/tmp/mon.log
	mon mon "info migrate"
	sleep 0.5
	ckpt_own=$(mon_value mon "total time" | awk '{ printf "%.2f", $1 / 1000 }')
	mon mon quit
	qemu_stop mon 10
	file_mib=$(mib "$file")
	echo "qemu save: $(tr '\r' '\n' </tmp/mon.log | grep -a -E '^(Migration status|total time|transferred ram|duplicate|normal:)' | tail -n 5 | tr '\n' ';')"

	start=$(now)
	qemu_start mon "$mem" /tmp/qr.console "$CMDLINE" -incoming "exec:cat $file"
	# Saved paused (as virsh save does), so it stays paused once loaded; then cont.
	if ! mon_until mon "info status" "VM status: (running|paused[[:space:]]*$)" 150; then
		qemu_failed "$mem" restore
		return
	fi
	loaded=$(since "$start")
	mon mon cont
	if ! mon_until mon "info status" "VM status: running" 30; then
		qemu_failed "$mem" cont
		return
	fi
	restore_wall=$(since "$start")
	echo "qemu restore: loaded (paused) after $loaded s, running after $restore_wall s"
	mon mon system_powerdown
	qemu_stop mon 60
	resumed=no
	grep -q "power button pressed" /tmp/qr.console && resumed=yes
	result "vmm=qemu mem=$mem ckpt_wall=$ckpt_wall ckpt_own=${ckpt_own:--} file_mib=$file_mib" \
		"restore_wall=$restore_wall restore_own=- resumed=$resumed"
	rm -f "$file"
}

for mem in ${*:-256 1024}; do
	sheer_bench "$mem"
	qemu_bench "$mem"
done
