# sheer-switch.sh RACK1_BMC_PORT BLANK_BMC_PORT RACK1_READY_PORT BLANK_READY_PORT RACK2_REDFISH_PORT RACK2_READY_PORT
# Inside a lab host whose NVMe (00:06.0) is the LUN that the physical servers rack1 (IPMI) and rack2
# (Redfish) also boot: the disk runs as logical server lun1 (boot 1), switches to rack1 (boot 2) and
# back (boot 3), to rack2 (boot 4) and back (boot 5); then a switch to "blank" (a physical server
# whose disk does not boot) rolls back. The BMCs and ready ports are on the build machine, reached at
# the user network's gateway.
. /lab/inhost/lib.sh
NVME=0000:00:06.0
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }
# From a switch's --json record: the source confirmed off before the target was started?
fenced() {
	off=$(sed -n 's/.*"source_off_s": \([0-9.e+-]*\).*/\1/p' "$1")
	on=$(sed -n 's/.*"target_on_s": \([0-9.e+-]*\).*/\1/p' "$1")
	awk -v off="$off" -v on="$on" 'BEGIN { print (off != "" && on != "" && off >= 0 && on > off) ? "yes" : "no" }'
}
outcome() { sed -n 's/.*"outcome": "\([^"]*\)".*/\1/p' "$1"; }

uplink
physical_entry rack1 "ipmi://admin@10.0.2.2:$1" "$3"
physical_entry blank "ipmi://admin@10.0.2.2:$2" "$4"
cp /lab/bmc-ca.pem /etc/sheer/physical/bmc-ca.pem
physical_entry rack2 "redfish://admin@10.0.2.2:$5/1" "$6" "ca_file = bmc-ca.pem
"
sheer physical list | sed 's/^/physical| /'

lun_profile /tmp/lun1.ini lun1 2
# start_lun1 LOG: lun1 from its profile in the background, until its OS waits for the power button.
start_lun1() {
	prefixed lun1 sheer run /tmp/lun1.ini >"$1" &
	wait_for "$1" "waiting for power button" 300 || say "lun1 never waited for the power button"
}

# 1. Logical (boot 1), then a dry run that changes nothing.
start_lun1 /tmp/lun1-boot1.log
sheer switch lun1 --to physical rack1 --dry-run >/tmp/dry-run.out 2>&1
dry_run=$?
sed 's/^/dry-run| /' /tmp/dry-run.out
say "dry-run exit $dry_run lun1 $(sheer status lun1 --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p')"

# 2. To physical (boot 2 on rack1): fenced, the NVMe back on its host driver.
sheer switch lun1 --to physical rack1 --timeout 400 --json >/tmp/sw1.json 2>/tmp/sw1.err
say "to-physical exit $? outcome $(outcome /tmp/sw1.json) fenced $(fenced /tmp/sw1.json) $NVME $(drv $NVME)"
sed 's/^/sw1| /' /tmp/sw1.json /tmp/sw1.err
wait
sed 's/^/boot1| /' /tmp/lun1-boot1.log
say "lun1 exit $(status_of lun1)"

# While rack1 runs the disk: a switch onto it is refused, and the logical server asking stays.
printf '[server]\nname = tiny\nmemory = 128M\nkernel = %s\ninitrd = %s\ncmdline = %s\n' "$OS_KERNEL" "$OS_INITRD" \
	"$OS_CMDLINE sheer.wait=powerbutton" >/tmp/tiny.ini
sheer run /tmp/tiny.ini >/dev/null 2>&1 &
for i in $(seq 100); do sheer status tiny >/dev/null 2>&1 && break; sleep 1; done
refused already-on switch tiny --to physical rack1
say "tiny still $(sheer status tiny --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p')"
sheer poweroff tiny >/dev/null
wait

# 3. Back to logical (boot 3), in the foreground: it ends when lun1 moves on to rack2.
sheer switch rack1 --to logical /tmp/lun1.ini --timeout 400 --json >/tmp/sw2.out 2>/tmp/sw2.err &
switch_pid=$!
wait_for /tmp/sw2.out "waiting for power button" 400 "$switch_pid" || say "lun1 (boot 3) never waited for the power button"

# 4. To rack2 through its Redfish BMC (boot 4), and back (boot 5).
sheer switch lun1 --to physical rack2 --timeout 400 --json >/tmp/sw-redfish1.json 2>/tmp/sw-redfish1.err
say "redfish to-physical exit $? outcome $(outcome /tmp/sw-redfish1.json) fenced $(fenced /tmp/sw-redfish1.json)"
sed 's/^/sw-redfish1| /' /tmp/sw-redfish1.json /tmp/sw-redfish1.err
wait "$switch_pid"
say "to-logical exit $? outcome $(outcome /tmp/sw2.out) fenced $(fenced /tmp/sw2.out) $NVME $(drv $NVME)"
sed 's/^/sw2| /' /tmp/sw2.out /tmp/sw2.err
sheer switch rack2 --to logical /tmp/lun1.ini --timeout 400 --json >/tmp/sw-redfish2.out 2>/tmp/sw-redfish2.err &
switch_pid=$!
if wait_for /tmp/sw-redfish2.out "waiting for power button" 400 "$switch_pid"; then
	sheer shutdown lun1 --timeout 120 >/dev/null
fi
wait "$switch_pid"
say "redfish to-logical exit $? outcome $(outcome /tmp/sw-redfish2.out) fenced $(fenced /tmp/sw-redfish2.out) $NVME $(drv $NVME)"
sed 's/^/sw-redfish2| /' /tmp/sw-redfish2.out /tmp/sw-redfish2.err

# 4. Rollback: blank's disk does not boot, its ready port never answers; lun1 runs here again.
start_lun1 /tmp/lun1-boot4.log
sheer switch lun1 --to physical blank --timeout 60 >/tmp/sw3.out 2>/tmp/sw3.err
say "rollback exit $? lines $(wc -l </tmp/sw3.err): $(cat /tmp/sw3.err)"
sed 's/^/sw3| /' /tmp/sw3.out
wait
for i in $(seq 100); do sheer status lun1 >/dev/null 2>&1 && break; sleep 1; done
say "after rollback lun1 $(sheer status lun1 --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p') blank $(sheer bmc blank power status 2>&1)"
sheer poweroff lun1 >/dev/null
for i in $(seq 60); do [ -z "$(pidof sheer)" ] && break; sleep 1; done
say "after poweroff $NVME $(drv $NVME)"

# Bad input: nothing changes.
refused not-running switch lun9 --to physical rack1
refused unknown-physical switch rack9 --to logical /tmp/lun1.ini
printf '[server]\nname = nodisk\nmemory = 64M\nboot = disk\n' >/tmp/nodisk.ini
refused profile-without-disk switch rack1 --to logical /tmp/nodisk.ini
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
