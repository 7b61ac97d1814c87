# Inside the lab host (scenario sheer-virtio-net): br0 with the host's e1000e
# as uplink; a server with one [nic] on br0 downloads URL; sheer's userspace
# exits, by kind, are read when the download starts and ends. The NIC's own
# path (queue notifications, interrupt status) would be MMIO exits; port I/O
# is the serial console, which a guest may write to at any time.
. /lab/inhost/lib.sh
url=$1
uplink_nic=$(ls /sys/bus/pci/devices/0000:00:02.0/net)
ip link add br0 type bridge
ip link set "$uplink_nic" master br0
ip link set "$uplink_nic" up
ip link set br0 up

ports() { ls /sys/class/net/br0/brif | xargs; }
taps() { ls /sys/class/net | grep -c '^sheer'; }
# exits: "MMIO IO INTR", the vCPUs' exits by kind; a status that does not answer is retried, then "none".
exits() {
	local try status
	for try in 1 2 3 4 5; do
		# A status without the counters (a changed layout) is no reading: it must not read as zero exits.
		status=$(sheer status vnet --json 2>/dev/null) && echo "$status" | grep -q '"mmio":' &&
			for kind in mmio io intr; do
				echo "$status" | sed -n "s/^ *\"$kind\": \([0-9]*\).*/\1/p" | awk '{ n += $1 } END { printf "%d ", n }'
			done && return 0
		sleep 1
	done
	echo "none"
}

cat >/tmp/vnet.ini <<EOT
[server]
name = vnet
cpus = 1
memory = 512M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE sheer.fetch=$url sheer.wait=powerbutton

[nic]
bridge = br0
EOT
LAB_RUN_LIMIT=900 prefixed vnet sheer run /tmp/vnet.ini >/tmp/vnet.log &
wait_for /tmp/vnet.log "sheer-os-fetch-start" 300 $!
say "vnet running, br0 ports: $(ports)"
exits0=$(exits)
wait_for /tmp/vnet.log "sheer-os-fetch-done" 600
exits1=$(exits)
bytes=$(sed -n 's/.*sheer-os-fetch-done bytes=\([0-9]*\).*/\1/p' /tmp/vnet.log)
delta() { set -- $exits0 $exits1; [ "$1" != none ] && [ "$4" != none ] && echo "mmio=$(($4 - $1)) io=$(($5 - $2)) intr=$(($6 - $3))"; }
say "vnet fetch bytes=${bytes:-0} exits ${exits0:-none} -> ${exits1:-none}: $(delta || echo unread)"
# The guest waits for its power button (sheer stop) so that its exits are read while it runs; a press
# before it waits would be lost.
wait_for /tmp/vnet.log "waiting for power button" 120 && sleep 1
sheer stop vnet --timeout 60 >/dev/null || sheer poweroff vnet
wait
cat /tmp/vnet.log
say "vnet exit $(status_of vnet)"
say "after vnet, br0 ports: $(ports) taps $(taps)"

sed 's/bridge = br0/bridge = nosuchbr/' /tmp/vnet.ini >/tmp/nobr.ini
refused no-bridge run /tmp/nobr.ini
say "no-bridge taps $(taps) leftovers $(find /run/sheer -maxdepth 1 \( -name '*.sock' -o -name '*.json' \) 2>/dev/null | wc -l)"
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
