# Inside the lab host (scenario sheer-virtio-net): br0 with the host's e1000e
# as uplink; a server with one [nic] on br0 downloads URL; sheer's userspace
# exits are read when the download starts and ends.
. /lab/inhost/lib.sh
url=$1
uplink_nic=$(ls /sys/bus/pci/devices/0000:00:02.0/net)
ip link add br0 type bridge
ip link set "$uplink_nic" master br0
ip link set "$uplink_nic" up
ip link set br0 up

ports() { ls /sys/class/net/br0/brif | xargs; }
taps() { ls /sys/class/net | grep -c '^sheer'; }
exits() { sheer status vnet --json 2>/dev/null | sed -n 's/^ *"exits": \([0-9]*\).*/\1/p'; }

cat >/tmp/vnet.ini <<EOT
[server]
name = vnet
cpus = 1
memory = 512M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE sheer.fetch=$url

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
say "vnet fetch bytes=${bytes:-0} exits=$((${exits1:-0} - ${exits0:-0}))"
wait
cat /tmp/vnet.log
say "vnet exit $(status_of vnet)"
say "after vnet, br0 ports: $(ports) taps $(taps)"

sed 's/bridge = br0/bridge = nosuchbr/' /tmp/vnet.ini >/tmp/nobr.ini
refused no-bridge run /tmp/nobr.ini
say "no-bridge taps $(taps) leftovers $(find /run/sheer -maxdepth 1 \( -name '*.sock' -o -name '*.json' \) 2>/dev/null | wc -l)"
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
