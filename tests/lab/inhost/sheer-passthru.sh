# Inside the lab host: devices handed to logical servers by `sheer run`.
#   sheer-passthru.sh nic     e1000e at 00:02.0: --device, kill -9 + sheer release, SIGTERM, a refusal,
#                             the confined VMM, a forbidden call from each thread kind (sheer-test-hooks)
#   sheer-passthru.sh disk    e1000 at 00:02.0 and an NVMe at 00:06.0 from a profile, with a disk write
. /lab/inhost/lib.sh
OS="--kernel $OS_KERNEL --initrd $OS_INITRD"
NIC=0000:00:02.0 NVME=0000:00:06.0
# The host has no pgrep. sheer_pids: supervisors (what operators signal); all_sheer_pids: VMMs too.
sheer_pids() { for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = sheer ] && echo "${p#/proc/}"; done; }
all_sheer_pids() {
	for p in /proc/[0-9]*; do
		case "$(cat "$p/comm" 2>/dev/null)" in sheer|sheer-vmm) echo "${p#/proc/}" ;; esac
	done
}
vmm_pid() { sheer status "$1" --json | sed -n 's/.*"vmm_pid": \([0-9]*\).*/\1/p'; }
# Uid:N CapEff:HEX NoNewPrivs:N Seccomp:N of a process (the order of /proc/PID/status).
confinement() { awk '/^(Uid|NoNewPrivs|Seccomp|CapEff):/ { printf "%s%s ", $1, $2 }' "/proc/$1/status"; }

# A forbidden call from each thread kind: the VMM stops with the documented line, the NIC goes home.
forbidden_calls() {
	for kind in vcpu console main control; do
		SHEER_TEST_FORBIDDEN_SYSCALL=$kind sheer-test-hooks run --name hook-$kind --cpus 1 --memory 256M $OS \
			--cmdline "$OS_CMDLINE sheer.wait=powerbutton" --device $NIC </dev/null >/tmp/hook.out 2>/tmp/hook.err &
		pid=$!
		# The control thread makes its call when a request comes.
		while [ $kind = control ] && kill -0 $pid 2>/dev/null; do
			sheer status hook-control >/dev/null 2>&1
			sleep 1
		done
		wait $pid
		st=$?
		sed 's/^/hook-'$kind'| /' /tmp/hook.err
		say "hook $kind: exit $st, $(grep -c "^sheer: VMM stopped: its $kind thread made system call openat (257) of /etc/shadow, which its seccomp filter does not allow (README, Security)$" /tmp/hook.err) violation line, $NIC $(drv $NIC) claims $(ls /run/sheer/devices | wc -l) left $(all_sheer_pids | wc -l)"
	done
}
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }

nic() {
	prefixed web01 sheer run --name web01 --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE" --device $NIC </dev/null
	say "web01 exit $(status_of web01) $NIC $(drv $NIC)"

	prefixed web02 sheer run --name web02 --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE sheer.wait=powerbutton" \
		--device $NIC </dev/null >/tmp/web02.log &
	if wait_for /tmp/web02.log "waiting for power button" 300; then
		say "web02 running, $NIC $(drv $NIC)"
		kill -9 $(sheer_pids)
		sleep 1
		say "web02 killed, $NIC $(drv $NIC)"
		sheer release $NIC
		say "release exit $? $NIC $(drv $NIC) claims $(ls /run/sheer/devices | wc -l)"
	fi
	wait
	cat /tmp/web02.log

	# An operator's SIGTERM: the guest is powered off and the device goes home.
	prefixed web03 sheer run --name web03 --cpus 1 --memory 256M $OS --cmdline "$OS_CMDLINE sheer.wait=powerbutton" \
		--device $NIC </dev/null >/tmp/web03.log &
	if wait_for /tmp/web03.log "waiting for power button" 300; then
		say "web03 running, $NIC $(drv $NIC)"
		say "web03 vmm $(confinement "$(vmm_pid web03)")"
		refused checkpoint-device checkpoint web03 /tmp/web03.ckpt
		say "checkpoint-device file left: $(ls /tmp/web03.ckpt* 2>/dev/null | wc -l) state $(sheer status web03 | grep -o 'running' | head -n 1)"
		refused migrate-device migrate web03 --to unix:/tmp/web03.mig
		say "migrate-device: state $(sheer status web03 | grep -o 'running' | head -n 1), $NIC $(drv $NIC)"
		sheer pause web03
		say "paused web03: $NIC bus master $(( $(od -An -tu2 -j4 -N2 /sys/bus/pci/devices/$NIC/config) & 4 ))"
		sheer resume web03
		say "resumed web03: $NIC bus master $(( $(od -An -tu2 -j4 -N2 /sys/bus/pci/devices/$NIC/config) & 4 ))"
		kill -TERM $(sheer_pids)
	fi
	wait
	cat /tmp/web03.log
	say "web03 after SIGTERM: exit $(status_of web03) $NIC $(drv $NIC) claims $(ls /run/sheer/devices | wc -l)"
	forbidden_calls

	refused non-viable run --name db --cpus 1 --memory 256M $OS --device 0000:00:1f.2
	say "non-viable 1f.2 $(drv 0000:00:1f.2) $NIC $(drv $NIC)"
}

disk() {
	cat >/tmp/db01.ini <<INI
[server]
name = db01
cpus = 1
memory = 256M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE sheer.diskwrite=$1

[device]
pci = $NIC

[device]
pci = $NVME
INI
	prefixed db01 sheer run /tmp/db01.ini </dev/null
	say "db01 exit $(status_of db01) $NIC $(drv $NIC) $NVME $(drv $NVME)"
}

"$@"
say "processes left: $(all_sheer_pids | wc -l)"
