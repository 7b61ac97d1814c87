# Inside the lab host: checkpoint and restore of the test OS image, counting
# while it writes memory (sheer.count), on real (nested SVM) KVM.
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"
COUNT=40


say "starting ck01"
# One vCPU: in the lab's emulated hosts a restored 2-vCPU guest sometimes dies (a triple fault or a hang
# of its second vCPU), under QEMU as under sheer (tests/lab/README.md, "Known limits").
prefixed ck01 sheer run --name ck01 --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE sheer.count=$COUNT" >/tmp/ck01.log &
if wait_for /tmp/ck01.log "sheer-os-counter 5 " 300; then
	sheer checkpoint ck01 /tmp/ck01.ckpt >/tmp/checkpoint.out 2>&1
	say "checkpoint exit $? lines $(wc -l </tmp/checkpoint.out): $(cat /tmp/checkpoint.out)"
else
	say "ck01 never counted to 5; its console so far:"
	cat /tmp/ck01.log
	sheer status ck01 --json
	sheer poweroff ck01
fi
wait
cat /tmp/ck01.log
say "ck01 exit $(status_of ck01)"
say "after checkpoint list: $(listed ck01)"

prefixed restore1 sheer restore /tmp/ck01.ckpt >/tmp/restore1.log
cat /tmp/restore1.log
say "restore1 exit $(status_of restore1)"
say "restore1 continuity: $(continuity /tmp/ck01.log /tmp/restore1.log "$COUNT")"
say "restore1 memory checksums: $(memsum_report /tmp/ck01.log /tmp/restore1.log)"

prefixed restore2 sheer restore /tmp/ck01.ckpt --name ck02 >/tmp/restore2.log
cat /tmp/restore2.log
say "restore2 exit $(status_of restore2)"
say "restore2 continuity: $(continuity /tmp/ck01.log /tmp/restore2.log "$COUNT")"
say "restore2 memory checksums: $(memsum_report /tmp/ck01.log /tmp/restore2.log)"

cp /tmp/ck01.ckpt /tmp/corrupt.ckpt
printf 'Z' | dd of=/tmp/corrupt.ckpt bs=1 seek=$(($(stat -c %s /tmp/corrupt.ckpt) / 2)) conv=notrunc 2>/dev/null
refused corrupted restore /tmp/corrupt.ckpt
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
