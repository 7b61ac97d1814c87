#!/bin/sh
# Bad input to the sheer command line: each case must exit with status 2,
# print exactly one line "sheer: ..." on stderr, and leave nothing running
# or registered. Needs no KVM except the "not a bzImage" case, which goes
# through vm_create.
#
# usage: tests/unit/cli_errors.sh [path/to/sheer]     (default: build/sheer)
set -u

SHEER=${1:-build/sheer}
case $SHEER in /*) ;; *) SHEER=$(pwd)/$SHEER ;; esac
[ -x "$SHEER" ] || { echo "cli_errors: $SHEER is not built" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sheer-cli-errors.XXXXXX)
LISTENER_PID=
cleanup() {
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

export SHEER_RUN_DIR="$WORK/run"
mkdir -p "$SHEER_RUN_DIR"
chmod 700 "$SHEER_RUN_DIR"
printf 'not a kernel\n' > "$WORK/fake-kernel"
mkdir "$WORK/a-directory"
HOST_CPUS=$(getconf _NPROCESSORS_ONLN)

passed=0
failed=0

# expect NAME TEXT -- ARGS...: exit status 2, one stderr line starting "sheer: " and containing TEXT.
expect() {
	name=$1 text=$2
	shift 3
	"$SHEER" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	status=$?
	lines=$(wc -l <"$WORK/err")
	leftovers=$(find "$SHEER_RUN_DIR" \( -name '*.sock' -o -name '*.json' \) ! -name 'busy01.*' | wc -l)
	if [ "$status" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^sheer: ' "$WORK/err" &&
	   grep -qF -- "$text" "$WORK/err" && [ "$leftovers" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $name: $(cat "$WORK/err")"
	else
		failed=$((failed + 1))
		echo "FAIL $name: status $status, $lines stderr lines, $leftovers leftovers, wanted '$text'"
		sed 's/^/     stderr: /' "$WORK/err"
	fi
}

profile() {
	printf '%b' "$1" > "$WORK/profile.ini"
	echo "$WORK/profile.ini"
}

K=$WORK/fake-kernel
OK_FLAGS="--name t1 --cpus 1 --memory 16M --kernel $K"

expect unknown-key "profile.ini:3: unknown key 'cpu' in [server]" -- \
	run "$(profile '[server]\nname = t1\ncpu = 2\n')"
expect bad-size-in-profile "profile.ini:2: invalid memory '12X'" -- \
	run "$(profile '[server]\nmemory = 12X\n')"
expect unknown-section "profile.ini:1: unknown section [vm]" -- run "$(profile '[vm]\n')"
expect missing-profile "profile $WORK/nope.ini: No such file or directory" -- run "$WORK/nope.ini"
expect unknown-flag "bad option '--vcpus'" -- run --vcpus 2
expect two-profiles "more than one profile" -- run a.ini b.ini
expect bad-name "invalid name 'web/01'" -- run --name web/01 --memory 16M --kernel "$K"
expect zero-cpus "invalid cpus '0'" -- run --name t1 --cpus 0 --memory 16M --kernel "$K"
expect bad-memory "invalid memory 'lots'" -- run --name t1 --memory lots --kernel "$K"
expect bad-device "invalid pci '3:0:0'" -- run $OK_FLAGS --device 3:0:0
expect long-cmdline "cmdline is too long" -- run $OK_FLAGS --cmdline "$(head -c 3000 /dev/zero | tr '\0' x)"
expect no-name "no server name" -- run --memory 16M --kernel "$K"
expect no-memory "no memory size" -- run --name t1 --kernel "$K"
expect no-kernel "no kernel" -- run --name t1 --memory 16M
expect missing-kernel "kernel $WORK/vmlinuz: No such file or directory" -- \
	run --name t1 --memory 16M --kernel "$WORK/vmlinuz"
expect kernel-is-directory "not a regular file" -- run --name t1 --memory 16M --kernel "$WORK/a-directory"
expect missing-initrd "initrd $WORK/initrd: No such file or directory" -- run $OK_FLAGS --initrd "$WORK/initrd"
expect too-much-memory "of memory asked, only" -- run --name t1 --memory 64T --kernel "$K"
if [ "$HOST_CPUS" -lt 64 ]; then
	expect too-many-cpus "$((HOST_CPUS + 1)) cpus asked, the host has $HOST_CPUS online" -- \
		run --name t1 --cpus $((HOST_CPUS + 1)) --memory 16M --kernel "$K"
fi
expect no-such-numa-node "numa_node 999 does not exist" -- run $OK_FLAGS --numa-node 999
expect not-a-bzimage "not a bzImage" -- run $OK_FLAGS

# A name that is running (its socket answers) and cores held by running servers.
if command -v python3 >/dev/null; then
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").write("ready")
time.sleep(60)' "$SHEER_RUN_DIR/busy01.sock" "$WORK/ready" &
	LISTENER_PID=$!
	while [ ! -e "$WORK/ready" ]; do sleep 0.1; done
	cpus=$(seq -s, 0 1023)
	printf '{"name":"busy01","pid":%d,"numa_node":-1,"held_cpus":[%s]}' "$LISTENER_PID" "$cpus" \
		>"$SHEER_RUN_DIR/busy01.json"
	expect name-running "busy01: a server with this name is already running" -- \
		run --name busy01 --memory 16M --kernel "$K"
	expect cores-held "1 dedicated cores asked, only 0 free on any one NUMA node ($HOST_CPUS CPUs held" -- run $OK_FLAGS
elif [ "${SHEER_ALLOW_SKIP:-0}" = 1 ]; then
	echo "skip name-running, cores-held: no python3 to hold a socket open (SHEER_ALLOW_SKIP=1)"
else
	failed=$((failed + 1))
	echo "FAIL name-running, cores-held: need python3 to hold a socket open (run 'make deps', or SHEER_ALLOW_SKIP=1)"
fi

for command in status shutdown poweroff pause resume; do
	expect "$command-unknown-name" "nosuch: no such server is running" -- $command nosuch
done
expect status-bad-name "invalid server name '../x'" -- status ../x
expect status-no-name "usage: sheer status NAME" -- status
expect list-extra-argument "usage: sheer list" -- list extra
expect shutdown-bad-timeout "invalid --timeout 'soon'" -- shutdown web01 --timeout soon

# Files a user controls are read in bounded lines: a device or a huge line costs nothing.
expect profile-is-a-device "profile /dev/zero: not a regular file" -- run /dev/zero
mkdir -p "$WORK/traces"
head -c 5000 /dev/zero | tr '\0' '5' >"$WORK/traces/vm1"
expect trace-line-too-long "vm1:1: line too long" -- power simulate --traces "$WORK/traces" --policy sheer
expect checkpoint-no-file "usage: sheer checkpoint NAME FILE" -- checkpoint web01
expect checkpoint-unknown-flag "usage: sheer checkpoint NAME FILE" -- checkpoint web01 "$WORK/x.ckpt" --fast
expect checkpoint-into-a-directory "is a directory, not a file name" -- checkpoint web01 "$WORK/a-directory"
expect checkpoint-unknown-name "nosuch: no such server is running" -- checkpoint nosuch "$WORK/x.ckpt"
expect restore-no-file "usage: sheer restore FILE" -- restore
expect restore-unknown-flag "restore: unknown or incomplete option '--fast'" -- restore "$WORK/x.ckpt" --fast
expect restore-missing-file "$WORK/none.ckpt: No such file or directory" -- restore "$WORK/none.ckpt"
expect restore-not-a-checkpoint "not a sheer checkpoint" -- restore "$K"
expect restore-a-directory "not a regular file" -- restore "$WORK/a-directory"

expect migrate-no-target "usage: sheer migrate NAME --to ADDR" -- migrate web01
expect migrate-bad-address "'ftp:host' is not an address (unix:PATH or tcp:HOST:PORT)" -- migrate web01 --to ftp:host
expect migrate-bad-port "'tcp:127.0.0.1:99999' is not an address" -- migrate web01 --to tcp:127.0.0.1:99999
expect migrate-plain-tcp-to-network "192.0.2.1:4444 is not a loopback address: plain TCP is refused there, give --tls DIR" \
	-- migrate web01 --to tcp:192.0.2.1:4444
expect migrate-bad-downtime "migrate: --downtime-ms takes a whole number" -- migrate web01 --to unix:/x --downtime-ms fast
expect migrate-unknown-server "nosuch: no such server is running" -- migrate nosuch --to unix:"$WORK/listener.sock"
expect receive-no-listen "usage: sheer receive --listen ADDR" -- receive
expect receive-plain-tcp-on-network "0.0.0.0:7000 is not a loopback address: plain TCP is refused there" \
	-- receive --listen tcp:0.0.0.0:7000

expect host-check-bad-flag "host check: usage: sheer host check [--json]" -- host check --jsn
# sheer bmc: refused before anything is sent (tests/bmc/bmc.sh talks to real BMCs).
printf 'secret\n' >"$WORK/bmc-password" && chmod 600 "$WORK/bmc-password"
printf 'secret\n' >"$WORK/bmc-shared" && chmod 644 "$WORK/bmc-shared"
BMC=ipmi://admin@127.0.0.1:9
expect bmc-no-words "bmc: want TARGET power|bootdev WHAT" -- bmc "$BMC" power --password-file "$WORK/bmc-password"
expect bmc-unknown-request "bmc: unknown request 'reboot' (power or bootdev)" -- bmc "$BMC" reboot now
expect bmc-unknown-power "bmc: power: unknown 'reset' (status, on, off, soft or cycle)" -- bmc "$BMC" power reset
expect bmc-persistent-power "bmc: --persistent is for bootdev" -- bmc "$BMC" power on --persistent
expect bmc-not-a-url "'http://bmc': not a BMC URL" -- bmc http://bmc power status --password-file "$WORK/bmc-password"
expect bmc-no-user "the user before '@' is missing" -- bmc ipmi://bmc power status
expect bmc-long-ipmi-user "not a plain name of at most 16 characters" -- bmc ipmi://a-user-name-too-long@h power status
expect bmc-bad-port "the port is not a number from 1 to 65535" -- bmc ipmi://admin@h:70000 power status
expect bmc-ipmi-path "unexpected '/1' after the host" -- bmc ipmi://admin@h/1 power status
expect bmc-redfish-no-system "no system id after the host" -- bmc redfish://admin@h power status
expect bmc-no-password-file "--password-file FILE is required" -- bmc "$BMC" power status
expect bmc-missing-password-file "password file $WORK/nonexistent: No such file or directory" \
	-- bmc "$BMC" power status --password-file "$WORK/nonexistent"
expect bmc-shared-password-file "group or others may access it (mode 644; chmod 600 it)" \
	-- bmc "$BMC" power status --password-file "$WORK/bmc-shared"
expect bmc-password-directory "not a regular file" -- bmc "$BMC" power status --password-file "$WORK/a-directory"
expect bmc-bad-timeout "--timeout-ms wants a whole number from 1 to 600000, not '0'" \
	-- bmc "$BMC" power status --timeout-ms 0
expect bmc-bad-retries "--retries wants a whole number from 0 to 10, not 'many'" -- bmc "$BMC" power status --retries many
# The inventory of physical servers ($SHEER_CONFIG_DIR/physical/NAME.ini): what is wrong, by file and line.
export SHEER_CONFIG_DIR="$WORK/config"
INV=$SHEER_CONFIG_DIR/physical
mkdir -p "$INV"
printf '[physical]\npassword_file = pw\n' >"$INV/nobmc.ini"
printf '[physical]\nbmc = %s\npassword_file = pw\n[physical]\n' "$BMC" >"$INV/twice.ini"
printf '[physical]\nbmc = %s\npassword_file = pw\nmacs = 52:54:00:00:00:01, 52:54:00:00:00\n' "$BMC" >"$INV/badmac.ini"
printf '[physical]\nbmc = %s\npassword_file = pw\nready = http://x\n' "$BMC" >"$INV/badready.ini"
printf 'bmc = %s\n' "$BMC" >"$INV/nosection.ini"
expect physical-unknown "unknown physical server 'rack9' (no $INV/rack9.ini)" -- bmc rack9 power status
expect physical-no-bmc "nobmc.ini:1: [physical] needs bmc = URL" -- bmc nobmc power status
expect physical-two-sections "twice.ini:4: a second section (a file describes one server: [physical])" -- bmc twice power on
expect physical-bad-mac "badmac.ini:4: macs: '52:54:00:00:00' is not a MAC address" -- bmc badmac power on
expect physical-bad-ready "badready.ini:4: ready: 'http://x' is not valid here" -- bmc badready power on
expect physical-no-section "nosection.ini:1: key 'bmc' before any section (start with [physical])" -- bmc nosection power on
expect physical-usage "physical: usage: sheer physical list [--json]" -- physical lst
# sheer switch: refused before any server or BMC is touched.
export SHEER_RUN_DIR="$WORK/run"
printf '[physical]\nbmc = %s\npassword_file = %s\n' "$BMC" "$WORK/bmc-shared" >"$INV/shared.ini"
printf '[server]\nname = lun1\nmemory = 64M\nboot = disk\n' >"$WORK/nodisk.ini"
expect switch-no-direction "switch: want NAME --to physical SERVER, or SERVER --to logical PROFILE" -- switch lun1 rack1
expect switch-bad-direction "switch: --to physical or --to logical, not 'sideways'" -- switch lun1 --to sideways rack1
expect switch-bad-timeout "switch: --timeout wants seconds from 1 to 3600, not '0'" \
	-- switch lun1 --to physical rack1 --timeout 0
expect switch-not-running "switch: lun1 is not running on this host" -- switch lun1 --to physical rack1
expect switch-no-profile "switch: profile $WORK/none.ini: No such file or directory" -- switch rack1 --to logical "$WORK/none.ini"
expect switch-profile-without-disk "switch: lun1: boot = disk needs the disk's controller passed through" \
	-- switch rack1 --to logical "$WORK/nodisk.ini"
printf '[server]\nname = lun1\nmemory = 64M\nboot = disk\n[device]\npci = 0000:00:06.0\n' >"$WORK/lun1.ini"
expect switch-unknown-physical "switch: unknown physical server 'rack9'" -- switch rack9 --to logical "$WORK/lun1.ini"
expect switch-shared-password "group or others may access it (mode 644; chmod 600 it)" \
	-- switch shared --to logical "$WORK/lun1.ini"
expect boot-disk-without-device "lun1: boot = disk needs the disk's controller passed through" -- run "$WORK/nodisk.ini"
expect boot-disk-with-kernel "boot = disk takes no kernel, initrd or cmdline" \
	-- run --name t1 --memory 16M --boot disk --kernel "$K" --device 0000:00:06.0
expect boot-unknown "invalid boot 'floppy' (expected kernel or disk)" -- run $OK_FLAGS --boot floppy

# sheer host check as a user (run PREFIX... before it: setpriv to become another): its kvm line
# agrees with whether that user can open /dev/kvm read-write as the shell's <> does, it has a
# seccomp line, and it exits 1 exactly when a line says fail.
host_check_agrees() {
	user=$1
	shift
	"$@" "$SHEER" host check >"$WORK/out" 2>"$WORK/err"
	status=$?
	if [ ! -e /dev/kvm ]; then	# never <> a missing /dev/kvm: that would create it
		want='^fail +kvm +no /dev/kvm'
	elif "$@" sh -c ': <>/dev/kvm' 2>/dev/null; then
		want='^ok +kvm +/dev/kvm opens read-write'
	else
		want='^fail +kvm +/dev/kvm present, but uid [0-9]+ cannot open it read-write: .*; fix: '
	fi
	want_status=0
	grep -q '^fail ' "$WORK/out" && want_status=1
	if grep -Eq "$want" "$WORK/out" && grep -Eq '^(ok|fail) +seccomp ' "$WORK/out" &&
	   [ "$status" -eq "$want_status" ]; then
		passed=$((passed + 1))
		echo "ok   host-check-as-$user: $(grep -E '^[a-z]+ +kvm ' "$WORK/out")"
	else
		failed=$((failed + 1))
		echo "FAIL host-check-as-$user: status $status (wanted $want_status), wanted /$want/ and a seccomp line"
		sed 's/^/     stdout: /' "$WORK/out"
	fi
}
host_check_agrees "$(id -un)"
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	if $AS_NOBODY test -x "$SHEER"; then
		host_check_agrees nobody $AS_NOBODY
	else
		echo "skip host-check-as-nobody: nobody cannot reach $SHEER"
	fi
fi

echo "cli_errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
