# Inside the lab host: the same download through the host's e1000e handed to
# a logical server by sheer and by the reference QEMU, and through each one's
# virtio-net with vhost-net on a bridge whose uplink is that e1000e (kept by
# the host), ROUNDS times each, alternating. One line per download:
#   NET vmm=NAME bytes=B seconds=S irqs=I kvm_exits=E io_exits=X mmio_exits=Y user_exits=U dma_map_us=D
# The KVM counters and sheer's own userspace exits are read when the guest
# starts and ends the download ("-": the VMM does not tell, or the reading failed).
. /lab/inhost/lib.sh
url=$1
rounds=${2:-3}
NIC=0000:00:02.0

kvm_stat() { cat "/sys/kernel/debug/kvm/$1"; }
# A number from `sheer status bench --json`, or "-".
sheer_field() {
	value=$(sheer status bench --json 2>/dev/null | sed -n "s/^ *\"$1\": \([0-9]*\).*/\1/p")
	echo "${value:--}"
}
user_exits() { case "$1" in sheer*) sheer_field exits ;; *) echo - ;; esac; }
# br0 with the host's e1000e as its uplink (again after each pass-through, which took the interface away).
bridge_uplink() {
	nic=$(ls /sys/bus/pci/devices/$NIC/net)
	[ -e /sys/class/net/br0 ] || { ip link add br0 type bridge && ip link set br0 up; }
	ip link set "$nic" master br0 && ip link set "$nic" up
}
cat >/tmp/bench-virtio.ini <<EOT
[server]
name = bench
cpus = 1
memory = 512M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE sheer.fetch=$url

[nic]
bridge = br0
EOT
difference() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo $(($2 - $1)); fi; }

measure() {
	name=$1
	shift
	rm -f /tmp/net.fifo && mkfifo /tmp/net.fifo
	"$@" >/tmp/net.fifo 2>&1 &
	pid=$!
	result="NET vmm=$name failed"
	while IFS= read -r line; do
		case "$line" in
		*sheer-os-fetch-start*)
			exits0=$(kvm_stat exits) io0=$(kvm_stat io_exits) mmio0=$(kvm_stat mmio_exits) user0=$(user_exits "$name")
			# Fixed since start; read now, since the guest powers off as soon as it is done.
			dma=-
			[ "$name" = sheer ] && dma=$(sheer_field dma_map_us)
			;;
		*sheer-os-fetch-done*)
			exits1=$(kvm_stat exits) io1=$(kvm_stat io_exits) mmio1=$(kvm_stat mmio_exits) user1=$(user_exits "$name")
			result="NET vmm=$name ${line#*sheer-os-fetch-done } kvm_exits=$((exits1 - exits0))"
			result="$result io_exits=$((io1 - io0)) mmio_exits=$((mmio1 - mmio0))"
			result="$result user_exits=$(difference "$user0" "$user1") dma_map_us=$dma"
			;;
		esac
	done </tmp/net.fifo
	wait "$pid"
	echo "$result"
}

for round in $(seq "$rounds"); do
	measure sheer sheer run --name bench --cpus 1 --memory 512M --device $NIC \
		--kernel "$OS_KERNEL" --initrd "$OS_INITRD" --cmdline "$OS_CMDLINE sheer.fetch=$url"
	measure qemu qemu-logical --device $NIC --cpus 1 --mem 512M --append "sheer.fetch=$url"
	bridge_uplink
	measure sheer-virtio sheer run /tmp/bench-virtio.ini
	# A MAC of its own: QEMU's default, 52:54:00:12:34:56, is the lab host's e1000e's (the lab host is a QEMU guest too).
	measure qemu-virtio qemu-logical --virtio-net br0 --mac 02:5e:00:00:b0:01 --cpus 1 --mem 512M --append "sheer.fetch=$url"
done
