# Inside a lab host whose NVMe (00:06.0) and SAS HBA (00:0b.0, megasas) each hold a copy of the
# installed-OS disk image: each disk boots as a logical server through the firmware (boot = disk), the
# OS waits for its power button, `sheer shutdown` presses it; the controller goes back to its host
# driver. Then boot = disk without a device.
. /lab/inhost/lib.sh
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }

# disk_boot NAME BDF: boot the disk behind the controller at BDF as logical server NAME.
disk_boot() {
	printf '[server]\nname = %s\ncpus = 2\nmemory = 256M\nboot = disk\n\n[device]\npci = %s\n' "$1" "$2" >"/tmp/$1.ini"
	prefixed "$1" sheer run "/tmp/$1.ini" >"/tmp/$1.log" &
	if wait_for "/tmp/$1.log" "waiting for power button" 300; then
		sheer shutdown "$1" --timeout 120
		say "$1 shutdown exit $?"
	else
		say "$1 never waited for the power button"
		sheer poweroff "$1"
	fi
	wait
	cat "/tmp/$1.log"
	say "$1 exit $(status_of "$1") $2 $(drv "$2")"
}
disk_boot lun1 0000:00:06.0
disk_boot sas1 0000:00:0b.0

printf '[server]\nname = nodisk\nmemory = 64M\nboot = disk\n' >/tmp/nodisk.ini
refused no-disk run /tmp/nodisk.ini
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
