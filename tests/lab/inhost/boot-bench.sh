# Inside the lab host: boot the test OS image N times under each VMM and
# print one line per boot:
#   BOOT vmm=NAME run=I init_s=S rss_kib=K exits=E io_exits=X mmio_exits=Y halt_exits=H
# init_s: VMM start to the OS image's "booted" marker (its init running);
# kernel_s: the guest kernel's own uptime then (init_s - kernel_s: firmware,
# kernel loading and decompression).
# rss_kib: the VMM's resident memory besides guest RAM, sampled at that moment.
# *_exits: the host's KVM exit counters (debugfs) for the running VM at that moment.
. /lab/inhost/lib.sh
runs=${1:-3}
mem_mb=256

uptime_s() { cut -d' ' -f1 /proc/uptime; }
kvm_stat() { cat "/sys/kernel/debug/kvm/$1"; }
# Resident KiB of every mapping smaller than guest RAM (guest RAM is one mapping of at least its size).
vmm_rss_kib() {
	awk -v ram=$((mem_mb * 1024)) '
		/^Size:/ { size = $2 }
		/^Rss:/ { if (size < ram) total += $2 }
		END { print total + 0 }' "/proc/$1/smaps"
}

boot_once() {
	name=$1 run=$2
	shift 2
	rm -f /tmp/console.fifo && mkfifo /tmp/console.fifo
	start=$(uptime_s)
	"$@" >/tmp/console.fifo 2>&1 &
	pid=$!
	line_out=
	while IFS= read -r line; do
		case "$line" in
		*"SHEER-OS: booted"*)
			line_out="BOOT vmm=$name run=$run init_s=$(echo "$(uptime_s) $start" | awk '{ printf "%.2f", $1 - $2 }')"
			line_out="$line_out rss_kib=$(vmm_rss_kib "$pid") exits=$(kvm_stat exits) io_exits=$(kvm_stat io_exits)"
			line_out="$line_out mmio_exits=$(kvm_stat mmio_exits) halt_exits=$(kvm_stat halt_exits)"
			;;
		*"sheer-os-uptime "*)
			kernel_s=${line##*sheer-os-uptime }
			line_out="$line_out kernel_s=${kernel_s%%[!0-9.]*}"
			;;
		esac
	done </tmp/console.fifo
	wait "$pid"
	echo "${line_out:-BOOT vmm=$name run=$run failed}"
}

QEMU_COMMON="-accel kvm -cpu host -smp 1 -m ${mem_mb}M -nodefaults -display none -no-reboot -serial stdio"
OS_ARGS="-kernel $OS_KERNEL -initrd $OS_INITRD"
for run in $(seq "$runs"); do
	boot_once sheer "$run" sheer run --name bench --cpus 1 --memory ${mem_mb}M \
		--kernel "$OS_KERNEL" --initrd "$OS_INITRD" --cmdline "$OS_CMDLINE"
	boot_once qemu-q35 "$run" qemu-system-x86_64 -M q35 $QEMU_COMMON $OS_ARGS -append "$OS_CMDLINE"
	boot_once qemu-microvm "$run" qemu-system-x86_64 -M microvm $QEMU_COMMON $OS_ARGS -append "$OS_CMDLINE"
done
