# make demo, step 6: inside a lab host whose NVMe (00:06.0) is the LUN rack1 also boots, the disk runs
# as logical server lun1, switches to rack1 through its IPMI BMC and comes back.
. /lab/inhost/lib.sh
uplink
physical_entry rack1 "ipmi://admin@10.0.2.2:$1" "$2"
lun_profile /etc/sheer/lun1.ini lun1 1
set -x
cat /etc/sheer/lun1.ini /etc/sheer/physical/rack1.ini
sheer physical list
set +x
prefixed lun1 sheer run /etc/sheer/lun1.ini >/tmp/lun1.log &
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
echo "+ sheer switch rack1 --to logical /etc/sheer/lun1.ini --timeout 300"
prefixed lun1 sheer switch rack1 --to logical /etc/sheer/lun1.ini --timeout 300 >/tmp/back.log &
switch_pid=$!
tail -f /tmp/back.log &
tail_pid=$!
wait_for /tmp/back.log "waiting for power button" 300
sheer shutdown lun1
wait "$switch_pid"
sleep 1
kill "$tail_pid"
echo "LAB: back to logical: exit $(status_of lun1)"
