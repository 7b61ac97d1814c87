# Inside a lab host whose IOMMU has no interrupt remapping.
. /lab/inhost/lib.sh
NIC=0000:00:02.0
drv() { basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }

sheer host check >/tmp/check.log; say "host check exit $?"
grep interrupt-remapping /tmp/check.log | sed 's/^/check| /'
refused no-ir run --name safe --cpus 1 --memory 256M --device $NIC --kernel "$OS_KERNEL" --initrd "$OS_INITRD"
say "after refusal: $NIC on $(drv $NIC), unsafe $(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
prefixed unsafe sheer run --name unsafe --cpus 1 --memory 256M --device $NIC --allow-unsafe-interrupts \
	--kernel "$OS_KERNEL" --initrd "$OS_INITRD" --cmdline "$OS_CMDLINE"
say "unsafe exit $(status_of unsafe), $NIC back on $(drv $NIC)"
