# Inside the lab host: the test OS image as logical servers under sheer.
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"

# 1. From flags: boots, 2 CPUs, powers itself off, sheer exits 0.
prefixed web01 sheer run --name web01 --cpus 2 --memory 512M $OS --cmdline "$OS_CMDLINE"
say "web01 exit $(status_of web01)"

# 2. From a profile file.
cat >/tmp/web03.ini <<INI
# a hand-written profile
[server]
name = web03
cpus = 2
memory = 256M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE
INI
prefixed web03 sheer run /tmp/web03.ini
say "web03 exit $(status_of web03)"

# 3. Graceful shutdown through the ACPI power button, from a second shell.
prefixed web02 sheer run --name web02 --cpus 1 --memory 256M $OS \
	--cmdline "$OS_CMDLINE sheer.wait=powerbutton" >/tmp/web02.log &
if wait_for /tmp/web02.log "waiting for power button" 300; then
	say "web02 socket dir mode $(stat -c %a /run/sheer) socket mode $(stat -c %a /run/sheer/web02.sock)"
	sheer status web02 | sed 's/^/status| /'
	sheer list | sed 's/^/list| /'
	refused dup-name run --name web02 --cpus 1 --memory 64M $OS
	sheer shutdown web02 --timeout 120
	say "shutdown exit $?"
else
	say "web02 never waited for the power button"
	sheer poweroff web02
fi
wait
cat /tmp/web02.log
say "web02 exit $(status_of web02)"
say "after shutdown list: $(listed web02)"
say "after shutdown /run/sheer holds: $(ls -A /run/sheer | xargs)"

# 4. Bad input: exit 2, one line, nothing started.
printf '[server]\nname = bad1\ncolour = blue\n' >/tmp/bad1.ini
refused unknown-key run /tmp/bad1.ini
refused missing-kernel run --name bad2 --cpus 1 --memory 64M --kernel /lab/os/nonexistent
refused not-bzimage run --name bad3 --cpus 1 --memory 64M --kernel /lab/os/initrd.gz
refused too-much-memory run --name bad4 --cpus 1 --memory 64G $OS
refused too-many-cpus run --name bad5 --cpus 64 --memory 64M $OS
refused kernel-needs-more run --name bad6 --cpus 1 --memory 32M $OS
say "processes left: $(pidof sheer | wc -w)"

# 5. The same image as a defined server: define, start, console, stop, undefine.
. /lab/inhost/sheer-lifecycle.sh
