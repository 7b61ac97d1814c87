# Inside a lab host whose NVMe (00:06.0) holds the installed-OS disk image: boot it through firmware N
# times under sheer (boot = disk, the NVMe passed through) and under QEMU q35 (SeaBIOS, the NVMe given
# with vfio-pci), one line per boot:
#   DISKBOOT vmm=NAME run=I init_s=S kernel_s=K
# init_s: VMM start to the OS's "booted" marker; kernel_s: the kernel's own uptime then, so init_s -
# kernel_s is the firmware, the boot loader and loading the kernel from the disk. The OS then waits for
# its power button; each VMM is stopped there.
. /lab/inhost/lib.sh
runs=${1:-3}
NVME=0000:00:06.0
uptime_s() { cut -d' ' -f1 /proc/uptime; }
bind() {
	echo "$2" >"/sys/bus/pci/devices/$1/driver_override"
	[ -e "/sys/bus/pci/devices/$1/driver" ] && echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
}

# disk_boot_once NAME RUN STOP-COMMAND COMMAND...: time COMMAND to the booted marker, then STOP it.
disk_boot_once() {
	name=$1 run=$2 stop=$3
	shift 3
	rm -f /tmp/console.fifo && mkfifo /tmp/console.fifo
	start=$(uptime_s)
	"$@" >/tmp/console.fifo 2>&1 &
	pid=$!
	out="DISKBOOT vmm=$name run=$run failed"
	while IFS= read -r line; do
		case "$line" in
		*"SHEER-OS: booted"*) out="DISKBOOT vmm=$name run=$run init_s=$(echo "$(uptime_s) $start" | awk '{ printf "%.2f", $1 - $2 }')" ;;
		*"sheer-os-uptime "*) kernel_s=${line##*sheer-os-uptime }; out="$out kernel_s=${kernel_s%%[!0-9.]*}" ;;
		*"waiting for power button"*) eval "$stop" >/dev/null 2>&1 ;;
		esac
	done </tmp/console.fifo
	wait "$pid"
	echo "$out"
}

printf '[server]\nname = bench\ncpus = 1\nmemory = 256M\nboot = disk\n\n[device]\npci = %s\n' "$NVME" >/tmp/bench.ini
for run in $(seq "$runs"); do
	disk_boot_once sheer "$run" "sheer poweroff bench" sheer run /tmp/bench.ini
	bind "$NVME" vfio-pci
	disk_boot_once qemu-q35 "$run" 'kill $pid' qemu-system-x86_64 -M q35 -accel kvm -cpu host -smp 1 -m 256M \
		-nodefaults -display none -no-reboot -serial stdio -device "vfio-pci,host=$NVME,bootindex=0"
	bind "$NVME" ""
done
