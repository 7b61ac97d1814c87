# make demo, step 6: inside a lab host whose NVMe (00:06.0) is the LUN rack1 also boots, the disk runs
# as logical server lun1, switches to rack1 through its IPMI BMC and comes back.
. /lab/inhost/lib.sh
nic=$(ls /sys/bus/pci/devices/0000:00:02.0/net)
ip link set "$nic" up && ip addr add 10.0.2.15/24 dev "$nic"
mkdir -p /etc/sheer/physical
cp /lab/bmc.pw /etc/sheer/physical/bmc.pw && chmod 600 /etc/sheer/physical/bmc.pw
printf '[physical]\nbmc = ipmi://admin@10.0.2.2:%s\npassword_file = bmc.pw\nboot = disk\nready = tcp:10.0.2.2:%s\n' \
	"$1" "$2" >/etc/sheer/physical/rack1.ini
printf '[server]\nname = lun1\ncpus = 1\nmemory = 256M\nboot = disk\n\n[device]\npci = 0000:00:06.0\n' >/etc/sheer/lun1.ini
set -x
cat /etc/sheer/lun1.ini /etc/sheer/physical/rack1.ini
sheer physical list
set +x
sheer run /etc/sheer/lun1.ini 2>&1 | sed -u 's/^/lun1| /' >/tmp/lun1.log &
run_pid=$!
tail -f /tmp/lun1.log &
tail_pid=$!
wait_for /tmp/lun1.log "waiting for power button" 300
set -x
sheer switch lun1 --to physical rack1 --timeout 300
set +x
wait "$run_pid"
kill "$tail_pid"
echo "LAB: after the switch the NVMe is on $(basename "$(readlink /sys/bus/pci/devices/0000:00:06.0/driver)")"
set -x
sheer switch rack1 --to logical /etc/sheer/lun1.ini --timeout 300 >/tmp/back.log 2>&1 &
switch_pid=$!
set +x
tail -f /tmp/back.log | sed -u 's/^/lun1| /' &
tail_pid=$!
wait_for /tmp/back.log "waiting for power button" 300
sheer shutdown lun1
wait "$switch_pid"
status=$?
sleep 1
kill "$tail_pid"
echo "LAB: back to logical: exit $status"
