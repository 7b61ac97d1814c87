# Inside a two-node lab host whose NIC (0000:21:00.0) sits on NUMA node 1:
# a logical server given that NIC is placed on node 1 by default; forcing
# node 0 is allowed with a warning.
. /lab/inhost/lib.sh
NIC=0000:21:00.0
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"

say "nic node $(cat /sys/bus/pci/devices/$NIC/numa_node) cpus $(cat /sys/bus/pci/devices/$NIC/local_cpulist)"
prefixed near sheer run --name near --cpus 1 --memory 256M --device $NIC $OS \
	--cmdline "$OS_CMDLINE sheer.wait=powerbutton" >/tmp/near.log &
if wait_for /tmp/near.log "waiting for power button" 300; then
	sheer status near | sed 's/^/status| /'
	sheer shutdown near --timeout 120
fi
wait
cat /tmp/near.log
say "near exit $(status_of near)"

prefixed far sheer run --name far --cpus 1 --memory 256M --numa-node 0 --device $NIC $OS --cmdline "$OS_CMDLINE"
say "far exit $(status_of far)"
