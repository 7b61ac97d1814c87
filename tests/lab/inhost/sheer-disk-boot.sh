# Inside a lab host whose NVMe (00:06.0) holds the installed-OS disk image: the disk boots as a
# logical server through the firmware (boot = disk), the OS waits for its power button, `sheer
# shutdown` presses it; the NVMe goes back to its host driver. Then boot = disk without a device.
. /lab/inhost/lib.sh
NVME=0000:00:06.0
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }

cat >/tmp/lun1.ini <<INI
[server]
name = lun1
cpus = 2
memory = 256M
boot = disk

[device]
pci = $NVME
INI
prefixed lun1 sheer run /tmp/lun1.ini >/tmp/lun1.log &
if wait_for /tmp/lun1.log "waiting for power button" 300; then
	sheer shutdown lun1 --timeout 120
	say "shutdown exit $?"
else
	say "lun1 never waited for the power button"
	sheer poweroff lun1
fi
wait
cat /tmp/lun1.log
say "lun1 exit $(status_of lun1) $NVME $(drv $NVME)"

printf '[server]\nname = nodisk\nmemory = 64M\nboot = disk\n' >/tmp/nodisk.ini
refused no-disk run /tmp/nodisk.ini
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
