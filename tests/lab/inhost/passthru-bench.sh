# Inside the lab host: the same download through the host's e1000e handed to
# a logical server by sheer and by the reference QEMU. One line per VMM:
#   NET vmm=NAME bytes=B seconds=S irqs=I kvm_exits=E io_exits=X mmio_exits=Y user_exits=U dma_map_us=D
# The KVM counters and sheer's own userspace exits are taken when the guest
# starts and ends the download ("-": the VMM does not tell).
. /lab/inhost/lib.sh
url=$1
NIC=0000:00:02.0
CMDLINE="$OS_CMDLINE sheer.fetch=$url"

kvm_stat() { cat "/sys/kernel/debug/kvm/$1"; }
sheer_field() { sheer status bench --json 2>/dev/null | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }
snapshot() {
	echo "$(kvm_stat exits) $(kvm_stat io_exits) $(kvm_stat mmio_exits) $([ "$1" = sheer ] && sheer_field exits || echo -)"
}

measure() {
	name=$1
	shift
	rm -f /tmp/net.fifo && mkfifo /tmp/net.fifo
	"$@" >/tmp/net.fifo 2>&1 &
	pid=$!
	result="NET vmm=$name failed"
	while IFS= read -r line; do
		case "$line" in
		*sheer-os-fetch-start*) set -- $(snapshot "$name") ;;
		*sheer-os-fetch-done*)
			dma=$([ "$name" = sheer ] && sheer_field dma_map_us || echo -)
			user="-"
			after=$(snapshot "$name")
			set -- "$@" $after
			[ "$name" = sheer ] && user=$(($8 - $4))
			result="NET vmm=$name ${line#*sheer-os-fetch-done } kvm_exits=$(($5 - $1)) io_exits=$(($6 - $2))"
			result="$result mmio_exits=$(($7 - $3)) user_exits=$user dma_map_us=$dma"
			;;
		esac
	done </tmp/net.fifo
	wait "$pid"
	echo "$result"
}

measure sheer sheer run --name bench --cpus 1 --memory 512M --device $NIC \
	--kernel "$OS_KERNEL" --initrd "$OS_INITRD" --cmdline "$CMDLINE"
measure qemu qemu-logical --device $NIC --cpus 1 --mem 512M --append "sheer.fetch=$url"
