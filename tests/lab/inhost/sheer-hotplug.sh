# Inside the lab host (scenario sheer-hotplug): the host's e1000e (00:02.0) hot-plugged into a running
# server and taken back with `sheer device`; then a guest that ignores hotplug (acpiphp off) keeps the
# NIC past the timeout; its server's end gives the NIC back all the same.
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"
NIC=0000:00:02.0
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }
claims() { ls /run/sheer/devices 2>/dev/null | wc -l; }
# device LABEL ARGS...: run sheer device ARGS, report its status and its stderr's line count and first line.
device() {
	label=$1
	shift
	sheer device "$@" </dev/null >"/tmp/out.$label" 2>"/tmp/err.$label"
	say "$label exit $? lines $(wc -l <"/tmp/err.$label"): $(head -n 1 "/tmp/err.$label")$(head -n 1 "/tmp/out.$label")"
}

prefixed hot sheer run --name hot --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE sheer.hotplug=1" \
	</dev/null >/tmp/hot.log &
wait_for /tmp/hot.log "waiting for a hot-plugged NIC" 300
device absent detach hot $NIC
device bad-bdf attach hot 0000:00:99.9
device no-server attach nosuch $NIC
say "before attach: $NIC $(drv $NIC) claims $(claims)"
device attach attach hot $NIC
say "attached: $NIC $(drv $NIC) claims $(claims) status $(sheer status hot --json | tr -d ' \n' | sed -n 's/.*"devices":\(\[[^]]*\]\).*/\1/p')"
wait_for /tmp/hot.log "SHEER-OS: lease" 120
device twice attach hot $NIC
device detach detach hot $NIC --timeout 60
say "detached: $NIC $(drv $NIC) claims $(claims)"
wait_for /tmp/hot.log "hot-plugged NIC gone" 60
wait
cat /tmp/hot.log
say "hot exit $(status_of hot)"

# A guest that does not hotplug: it never lets go.
prefixed stubborn sheer run --name stubborn --cpus 1 --memory 256M $OS \
	--cmdline "$OS_CMDLINE acpiphp.disable=1 sheer.wait=powerbutton" </dev/null >/tmp/stubborn.log &
wait_for /tmp/stubborn.log "waiting for power button" 300
device stubborn-attach attach stubborn $NIC
device stubborn-detach detach stubborn $NIC --timeout 5
say "stubborn kept it: $NIC $(drv $NIC) claims $(claims) status $(sheer status stubborn --json | tr -d ' \n' | sed -n 's/.*"devices":\(\[[^]]*\]\).*/\1/p')"
sheer shutdown stubborn --timeout 60 >/dev/null 2>&1
wait
cat /tmp/stubborn.log
say "stubborn exit $(status_of stubborn): $NIC $(drv $NIC) claims $(claims)"
say "processes left: $(pidof sheer sheer-vmm | wc -w)"
