# Inside the lab host: live migration of the test OS image, counting while it
# writes memory (sheer.count), over TCP on loopback between two "hosts" (two
# run directories), on real (nested SVM) KVM; then a target killed during
# pre-copy.
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"
# Never reached: once the target counted on, the power button ends the count (count_then_stop).
COUNT=100000
SRC=/run/src DST=/run/dst

processes() { for p in /proc/[0-9]*; do case "$(cat "$p/comm" 2>/dev/null)" in sheer|sheer-vmm) echo "${p#/proc/}" ;; esac; done | wc -l; }

SHEER_RUN_DIR=$DST prefixed dst sheer receive --listen tcp:127.0.0.1:7000 >/tmp/dst.log &
# One vCPU: in the lab's emulated hosts a moved 2-vCPU guest sometimes dies (a triple fault or a hang
# of its second vCPU), under QEMU as under sheer (tests/lab/README.md, "Known limits").
SHEER_RUN_DIR=$SRC prefixed src sheer run --name m01 --cpus 1 --memory 256M $OS \
	--cmdline "$OS_CMDLINE sheer.count=$COUNT" >/tmp/src.log &
if wait_for /tmp/src.log "sheer-os-counter 5 " 300; then
	SHEER_RUN_DIR=$SRC sheer migrate m01 --to tcp:127.0.0.1:7000 >/tmp/migrate.out 2>&1
	migrated=$?
	say "migrate exit $migrated lines $(wc -l </tmp/migrate.out): $(cat /tmp/migrate.out)"
	if [ $migrated = 0 ]; then
		(export SHEER_RUN_DIR=$DST; count_then_stop /tmp/dst.log m01)
	else
		# Still on the source, counting for ever.
		SHEER_RUN_DIR=$SRC sheer poweroff m01
	fi
else
	say "m01 never counted to 5"
	SHEER_RUN_DIR=$SRC sheer poweroff m01
fi
wait
cat /tmp/src.log /tmp/dst.log
say "src exit $(status_of src), dst exit $(status_of dst)"
say "after migration: source list $(export SHEER_RUN_DIR=$SRC; listed m01), target list $(export SHEER_RUN_DIR=$DST; listed m01)"
say "continuity: $(continuity /tmp/src.log /tmp/dst.log)"
say "memory checksums: $(memsum_report /tmp/src.log /tmp/dst.log)"

# The target dies during pre-copy (1 MiB/s keeps it there): the source goes on.
SHEER_RUN_DIR=$DST sheer receive --listen tcp:127.0.0.1:7001 >/tmp/dst2.log 2>&1 &
dst2=$!
SHEER_RUN_DIR=$SRC prefixed src2 sheer run --name m02 --cpus 1 --memory 256M $OS \
	--cmdline "$OS_CMDLINE sheer.count=400" >/tmp/src2.log &
if wait_for /tmp/src2.log "sheer-os-counter 3 " 300; then
	SHEER_RUN_DIR=$SRC sheer migrate m02 --to tcp:127.0.0.1:7001 --bandwidth 1 >/tmp/migrate2.out 2>&1 &
	migrate=$!
	sleep 5
	kill -9 $dst2
	wait $migrate
	say "killed target: migrate exit $? lines $(wc -l </tmp/migrate2.out): $(cat /tmp/migrate2.out)"
	last=$(counters /tmp/src2.log | tail -n 1 | cut -d' ' -f1)
	wait_for /tmp/src2.log "sheer-os-counter $((last + 3)) " 60 && say "killed target: the source goes on counting"
	say "killed target: source state $(SHEER_RUN_DIR=$SRC sheer status m02 | sed -n 's/^state: *//p'), target list $(export SHEER_RUN_DIR=$DST; listed m02)"
	SHEER_RUN_DIR=$SRC sheer poweroff m02 >/dev/null
fi
wait
say "src2 exit $(status_of src2)"

# A target without enough memory: a ballast in a ramfs (memory nothing can reclaim, and no size limit, unlike
# /tmp's tmpfs) leaves less available than the server has. The target refuses before any page is sent;
# the source keeps running.
available_mib() { awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo; }
SHEER_RUN_DIR=$SRC prefixed src3 sheer run --name m03 --cpus 1 --memory 512M $OS \
	--cmdline "$OS_CMDLINE sheer.wait=powerbutton" >/tmp/src3.log &
if wait_for /tmp/src3.log "waiting for power button" 300; then
	mkdir -p /ballast && mount -t ramfs ramfs /ballast
	dd if=/dev/zero of=/ballast/fill bs=1M count=$(($(available_mib) - 256)) 2>/dev/null
	say "low memory: $(available_mib) MiB available"
	SHEER_RUN_DIR=$DST prefixed dst3 sheer receive --listen tcp:127.0.0.1:7002 >/tmp/dst3.log &
	dst3=$!
	listening 7002 60
	SHEER_RUN_DIR=$SRC sheer migrate m03 --to tcp:127.0.0.1:7002 >/tmp/migrate3.out 2>&1
	say "low memory: migrate exit $? lines $(wc -l </tmp/migrate3.out): $(cat /tmp/migrate3.out)"
	# Taken anyway (the ballast fell short): it runs there now, and powers off on its button.
	SHEER_RUN_DIR=$DST sheer shutdown m03 >/dev/null 2>&1
	wait $dst3
	say "low memory: target exit $(status_of dst3): $(tail -n 1 /tmp/dst3.log | sed 's/^dst3| //')"
	rm -f /ballast/fill
	umount /ballast
	say "low memory: source state $(SHEER_RUN_DIR=$SRC sheer status m03 | sed -n 's/^state: *//p'), target list $(export SHEER_RUN_DIR=$DST; listed m03)"
	SHEER_RUN_DIR=$SRC sheer shutdown m03 >/dev/null 2>&1
fi
wait
say "src3 exit $(status_of src3)"
say "processes left: $(processes)"
