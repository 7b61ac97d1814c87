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
export SHEER_CONFIG_DIR="$WORK/config" SHEER_LOG_DIR="$WORK/log"
mkdir -p "$SHEER_RUN_DIR"
chmod 700 "$SHEER_RUN_DIR"
printf 'not a kernel\n' > "$WORK/fake-kernel"
mkdir "$WORK/a-directory"
HOST_CPUS=$(getconf _NPROCESSORS_ONLN)

passed=0
failed=0

# expect NAME TEXT -- ARGS...: exit status 2, one stderr line starting "sheer: " and containing TEXT.
# Run as another user when AS holds a command prefix (setpriv ...).
AS=
expect() {
	name=$1 text=$2
	shift 3
	$AS "$SHEER" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	status=$?
	lines=$(wc -l <"$WORK/err")
	leftovers=$(find "$SHEER_RUN_DIR" \( -name '*.sock' -o -name '*.json' \) ! -name 'busy01.*' 2>/dev/null | wc -l)
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
expect unknown-flag "run: unknown option '--vcpus'; see 'sheer help run'" -- run --vcpus 2
expect two-profiles "run: unexpected argument 'b.ini' after PROFILE" -- run a.ini b.ini
expect bad-name "invalid name 'web/01'" -- run --name web/01 --memory 16M --kernel "$K"
expect zero-cpus "invalid cpus '0'" -- run --name t1 --cpus 0 --memory 16M --kernel "$K"
expect bad-memory "invalid memory 'lots'" -- run --name t1 --memory lots --kernel "$K"
expect memory-not-2mib "web1: memory 5000K: must be a multiple of 2 MiB and at least 8 MiB (e.g. 512M)" -- \
	run --name web1 --memory 5000K --kernel "$K"
expect memory-under-8mib-in-profile "web1: memory 4M: must be a multiple of 2 MiB and at least 8 MiB" -- \
	run "$(profile '[server]\nname = web1\nmemory = 4M\nkernel = '"$K"'\n')"
expect bad-device "invalid pci '3:0:0'" -- run $OK_FLAGS --device 3:0:0
expect device-usage "device: missing the subcommand (attach or detach); see 'sheer help device'" -- device
expect device-bad-bdf "device 3:0:0: not a PCI address" -- device attach t1 3:0:0
expect device-no-server "nosuch: no such server is running" -- device attach nosuch 0000:00:02.0
expect device-bad-timeout "invalid --timeout '0'" -- device detach t1 0000:00:02.0 --timeout 0
expect nic-without-bridge "[nic] needs exactly one of 'bridge =' and 'tap ='" -- \
	run "$(profile '[server]\nname = t1\n[nic]\nmac = 02:00:00:00:00:01\n')"
expect receive-bad-pool "--failover-pool: 'x' is not a PCI address" -- receive --listen tcp:127.0.0.1:1 --failover-pool x
expect failover-no-nic "failover = net0 names no [nic] of the server" -- \
	run "$(profile '[server]\nname = t1\nmemory = 16M\nkernel = '"$K"'\n[device]\npci = 0000:00:02.0\nfailover = net0\n')"
expect long-cmdline "cmdline is too long" -- run $OK_FLAGS --cmdline "$(head -c 3000 /dev/zero | tr '\0' x)"
expect no-name "no server name" -- run --memory 16M --kernel "$K"
expect no-memory "no memory size" -- run --name t1 --kernel "$K"
expect no-kernel "no kernel" -- run --name t1 --memory 16M
expect missing-kernel "kernel $WORK/vmlinuz: No such file or directory" -- \
	run --name t1 --memory 16M --kernel "$WORK/vmlinuz"
expect kernel-is-directory "kernel $WORK/a-directory: is a directory, not a file" -- run --name t1 --memory 16M --kernel "$WORK/a-directory"
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
# Usage errors are answered before any subcommand runs, from the command table (vmm/cli/dispatch.c):
# one line naming the problem and where the help is.
expect no-command "no command given; see 'sheer help'" --
expect unknown-command "unknown command 'frobnicate'; see 'sheer help'" -- frobnicate
expect unknown-top-option "unknown option '--frob'; see 'sheer help'" -- --frob
expect help-unknown-command "unknown command 'frobnicate'; see 'sheer help'" -- help frobnicate
expect help-no-such-subcommand "run: no subcommand 'x': it has none" -- help run x
expect power-no-subcommand "power: missing the subcommand (simulate)" -- power
expect option-before-subcommand "device: unknown option '--force' (the subcommand, attach or detach, comes first)" \
	-- device --force attach t1 0000:00:02.0
expect option-of-other-subcommand "device attach: unknown option '--timeout'" -- device attach t1 0000:00:02.0 --timeout 5
expect option-needs-value "migrate: option '--to' needs a value (ADDR); see 'sheer help migrate'" -- migrate web01 --to
# The same line for every subcommand's options (the dispatcher reads them all): the option and what it wants.
expect run-needs-value "run: option '--memory' needs a value (SIZE)" -- run --memory
for command in shutdown poweroff stop; do
	expect "$command-needs-value" "$command: option '--timeout' needs a value (S)" -- $command web01 --timeout
done
expect restore-needs-value "restore: option '--name' needs a value (NAME)" -- restore "$WORK/x.ckpt" --name
expect receive-needs-value "receive: option '--listen' needs a value (ADDR)" -- receive --listen
expect device-needs-value "device detach: option '--timeout' needs a value (S)" -- device detach t1 0000:00:02.0 --timeout
expect switch-needs-value "switch: option '--to' needs a value" -- switch lun1 --to
expect bmc-needs-value "bmc: option '--password-file' needs a value (FILE)" -- bmc ipmi://a@h power status --password-file
expect power-needs-value "power simulate: option '--traces' needs a value (DIR)" -- power simulate --traces
expect option-takes-no-value "status: option '--json' takes no value" -- status web01 --json=yes
expect unknown-option-with-value "status: unknown option '--color'" -- status web01 --color=always
expect short-option "status: unknown option '-j'" -- status web01 -j
expect simulate-missing-policy "power simulate: missing --policy POLICY[,POLICY...]" -- power simulate --traces "$WORK"
# -h or --help as an option's value, or after "--", is not a request for help.
expect help-flag-as-value "invalid name '-h'" -- run --name -h --memory 16M --kernel "$K"
expect help-flag-as-value-with-equals "invalid name '--help'" -- run --name=--help --memory 16M --kernel "$K"
expect help-flag-after-dashes "profile -h: No such file or directory" -- run --memory 16M --kernel "$K" -- -h
expect status-bad-name "invalid server name '../x'" -- status ../x
expect status-no-name "status: missing NAME; see 'sheer help status'" -- status
expect list-extra-argument "list: unexpected argument 'extra'" -- list extra
expect shutdown-bad-timeout "invalid --timeout 'soon'" -- shutdown web01 --timeout soon

# Files a user controls are read in bounded lines: a device or a huge line costs nothing.
expect profile-is-a-device "profile /dev/zero: is a device, not a regular file" -- run /dev/zero
expect profile-is-a-directory "profile $WORK/a-directory: is a directory, not a file" -- run "$WORK/a-directory"
mkdir -p "$WORK/traces"
head -c 5000 /dev/zero | tr '\0' '5' >"$WORK/traces/vm1"
expect trace-line-too-long "vm1:1: line too long" -- power simulate --traces "$WORK/traces" --policy sheer
# sheer power simulate's output paths: refused before the (long) run, nothing written.
mkdir -p "$WORK/day"
for vm in vm1 vm2; do seq 288 | sed 's/.*/20/' >"$WORK/day/$vm"; done
SIM="power simulate --traces $WORK/day --policy sheer --hosts 2"
expect plot-not-svg "--plot $WORK/x.png: the plot is an SVG drawing; give a file name ending in .svg" -- $SIM --plot "$WORK/x.png"
expect csv-missing-directory "--csv $WORK/nodir/x.csv: directory $WORK/nodir does not exist" -- $SIM --csv "$WORK/nodir/x.csv"
expect csv-is-a-directory "--csv $WORK/a-directory: $WORK/a-directory is a directory, not a file name" \
	-- $SIM --csv "$WORK/a-directory"
expect plot-checked-before-the-run "--plot $WORK/nodir/p.svg: directory $WORK/nodir does not exist" \
	-- $SIM --csv "$WORK/early.csv" --plot "$WORK/nodir/p.svg"
expect json-and-csv-on-stdout "--json and --csv - would both write to standard output" -- $SIM --json --csv -
# nothing_written NAME FILE: a refused command left no FILE behind.
nothing_written() {
	if [ -e "$2" ]; then
		failed=$((failed + 1))
		echo "FAIL $1: $2 was written by a refused command"
	else
		passed=$((passed + 1))
		echo "ok   $1: nothing written"
	fi
}
nothing_written plot-not-svg-wrote-nothing "$WORK/x.png"
nothing_written csv-before-refused-plot-wrote-nothing "$WORK/early.csv"
expect checkpoint-no-file "checkpoint: missing FILE" -- checkpoint web01
expect checkpoint-unknown-flag "checkpoint: unknown option '--fast'" -- checkpoint web01 "$WORK/x.ckpt" --fast
expect checkpoint-into-a-directory "is a directory, not a file name" -- checkpoint web01 "$WORK/a-directory"
expect checkpoint-unknown-name "nosuch: no such server is running" -- checkpoint nosuch "$WORK/x.ckpt"
expect restore-no-file "restore: missing FILE" -- restore
expect restore-unknown-flag "restore: unknown option '--fast'" -- restore "$WORK/x.ckpt" --fast
expect restore-missing-file "$WORK/none.ckpt: No such file or directory" -- restore "$WORK/none.ckpt"
expect restore-not-a-checkpoint "not a sheer checkpoint" -- restore "$K"
expect restore-a-directory "$WORK/a-directory: is a directory, not a file" -- restore "$WORK/a-directory"

expect migrate-no-target "migrate: missing --to ADDR; see 'sheer help migrate'" -- migrate web01
expect migrate-bad-address "'ftp:host' is not an address (unix:PATH or tcp:HOST:PORT)" -- migrate web01 --to ftp:host
expect migrate-bad-port "'tcp:127.0.0.1:99999' is not an address" -- migrate web01 --to tcp:127.0.0.1:99999
expect migrate-plain-tcp-to-network "192.0.2.1:4444 is not a loopback address: plain TCP is refused there, give --tls DIR" \
	-- migrate web01 --to tcp:192.0.2.1:4444
expect migrate-bad-downtime "migrate: --downtime-ms takes a whole number" -- migrate web01 --to unix:/x --downtime-ms fast
expect migrate-unknown-server "nosuch: no such server is running" -- migrate nosuch --to unix:"$WORK/listener.sock"
expect receive-no-listen "receive: missing --listen ADDR" -- receive
expect receive-plain-tcp-on-network "0.0.0.0:7000 is not a loopback address: plain TCP is refused there" \
	-- receive --listen tcp:0.0.0.0:7000
expect receive-detach-no-name "receive: --detach needs --name NAME" -- receive --listen tcp:127.0.0.1:7001 --detach
expect receive-bad-name "receive: invalid name 'web/01'" -- receive --listen tcp:127.0.0.1:7001 --name web/01

# sheer agent: what it serves on and with, checked before it listens; sheer agent call: the request, before it connects.
expect agent-no-tls "agent: missing --tls DIR; see 'sheer help agent'" -- agent --listen 127.0.0.1:9735
expect agent-no-listen "agent: missing --listen HOST:PORT; see 'sheer help agent'" -- agent --tls "$WORK"
expect agent-bad-listen "agent: --listen 'nonsense': expected HOST:PORT" -- agent --listen nonsense --tls "$WORK"
expect agent-listen-by-name "agent: --listen 'localhost:9735': not a numeric address and port" \
	-- agent --listen localhost:9735 --tls "$WORK"
expect agent-no-certificates "agent: --tls $WORK/a-directory: TLS: cannot load the CA (ca.pem)" \
	-- agent --listen 127.0.0.1:9735 --tls "$WORK/a-directory"
expect agent-unknown-subcommand "agent: unknown subcommand 'cal' (call); see 'sheer help agent'" -- agent cal
expect agent-call-no-tls "agent call: missing --tls DIR; see 'sheer help agent call'" -- agent call 127.0.0.1:9735 ping
expect agent-call-no-op "agent call: missing ping|host|definition|define|start|stop|receive|migrate|undefine" \
	-- agent call 127.0.0.1:9735 --tls "$WORK"
expect agent-call-unknown-op "agent call: unknown op 'pong' (one of ping, host," -- agent call 127.0.0.1:9735 --tls "$WORK" pong
expect agent-call-not-json "agent call: '{name': the fields are one JSON object" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" start '{name'
expect agent-call-bad-name "agent call: name: not a server name" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" start '{"name":"../etc"}'
expect agent-call-undefine-no-name "agent call: undefine needs the field 'name'" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" undefine '{}'
expect agent-call-missing-field "agent call: migrate needs the field 'to'" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" migrate '{"name":"web01","port":7000}'
expect agent-call-bad-port "agent call: port: a whole number from 1 to 65535" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" receive '{"name":"web01","port":70000}'
expect agent-call-unknown-field "agent call: start takes no field 'force'" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" start '{"name":"web01","force":true}'
expect agent-call-relative-kernel "agent call: text:3: kernel = vmlinuz: a relative path" \
	-- agent call 127.0.0.1:9735 --tls "$WORK" define '{"name":"web01","text":"[server]\nname = web01\nkernel = vmlinuz\n"}'
expect agent-call-bad-certificates "agent call: agent 127.0.0.1:9735: --tls $WORK/a-directory: TLS: cannot load the CA" \
	-- agent call 127.0.0.1:9735 --tls "$WORK/a-directory" ping

expect host-check-bad-flag "host check: unknown option '--jsn'; see 'sheer help host check'" -- host check --jsn
# sheer bmc: refused before anything is sent (tests/bmc/bmc.sh talks to real BMCs).
printf 'secret\n' >"$WORK/bmc-password" && chmod 600 "$WORK/bmc-password"
printf 'secret\n' >"$WORK/bmc-shared" && chmod 644 "$WORK/bmc-shared"
BMC=ipmi://admin@127.0.0.1:9
expect bmc-no-words "bmc: missing status|on|off|soft|cycle|disk|pxe" -- bmc "$BMC" power --password-file "$WORK/bmc-password"
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
expect bmc-password-directory "password file $WORK/a-directory: is a directory, not a file" -- bmc "$BMC" power status --password-file "$WORK/a-directory"
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
expect physical-usage "physical: unknown subcommand 'lst' (list); see 'sheer help physical'" -- physical lst
# sheer fleet check: a fleet file that cannot work is one line naming its file and line (tests/unit/check_fleet.c
# has the rest); the files it names are checked too.
FLEET=$WORK/fleet
mkdir -p "$FLEET/tls"
fleet_file() {
	printf '[fleet]\ntls = tls\n[host a]\naddress = 10.0.0.1:7443\n%b' "$1" >"$FLEET/fleet.ini"
	echo "$FLEET/fleet.ini"
}
expect fleet-usage "fleet: unknown subcommand 'chek' (check, serve, status, hosts, plan, history, test-wake or clear-wake); see 'sheer help fleet'" -- fleet chek
expect fleet-no-config "fleet check: missing --config FILE" -- fleet check
expect fleet-missing-file "fleet check: fleet file $FLEET/nope.ini: No such file or directory" \
	-- fleet check --config "$FLEET/nope.ini"
expect fleet-unknown-key "fleet.ini:5: unknown key 'adress' in [host a] (address, migration_address, model," \
	-- fleet check --config "$(fleet_file 'adress = 10.0.0.2:7443\n')"
expect fleet-empty-window "fleet.ini:6: hours: '08:00-08:00' is an empty window (00:00-24:00 is the whole day)" \
	-- fleet check --config "$(fleet_file '[schedule day]\nhours = 08:00-08:00\npower_saving = off\n')"
expect fleet-bad-time "fleet.ini:6: hours: '20:00-25:00' has a time out of range" \
	-- fleet check --config "$(fleet_file '[schedule night]\nhours = 20:00-25:00\nheadroom = 5%\n')"
expect fleet-bad-day "fleet.ini:6: days: 'sat-sum' is not a day" \
	-- fleet check --config "$(fleet_file '[schedule w]\ndays = sat-sum\n')"
expect fleet-changes-nothing "fleet.ini:5: [schedule w] changes nothing" \
	-- fleet check --config "$(fleet_file '[schedule w]\ndays = sat,sun\n')"
expect fleet-schedules-disagree "schedules 'nights' (line 5) and 'weekend' (line 8) both apply from sat 00:00 to sat 07:00 and disagree: headroom = 10% and headroom = 30%" \
	-- fleet check --config "$(fleet_file '[schedule nights]\nhours = 20:00-07:00\nheadroom = 10%\n[schedule weekend]\ndays = sat,sun\nheadroom = 30%\n')"
expect fleet-no-active-host "fleet.ini:3: no active host" \
	-- fleet check --config "$(fleet_file 'role = spare\nbmc = ipmi://admin@10.0.1.1\npassword_file = a.pw\n')"
expect fleet-spare-without-bmc "fleet.ini:5: [host s] is a spare without a BMC" \
	-- fleet check --config "$(fleet_file '[host s]\naddress = 10.0.0.2:7443\nrole = spare\n')"
expect fleet-same-address "[host b] has the address of [host a] (line 3)" \
	-- fleet check --config "$(fleet_file '[host b]\naddress = 10.0.0.1:7443\n')"
expect fleet-no-ca "fleet.ini:1: [fleet] tls: $FLEET/tls/ca.pem: No such file or directory" \
	-- fleet check --config "$(fleet_file '')"
touch "$FLEET/tls/ca.pem" "$FLEET/tls/cert.pem" "$FLEET/tls/key.pem"
printf 'secret\n' >"$FLEET/a.pw"
chmod 644 "$FLEET/a.pw"
expect fleet-shared-password "fleet.ini:3: [host a]: password file $FLEET/a.pw: group or others may access it (mode 644; chmod 600 it)" \
	-- fleet check --config "$(fleet_file 'bmc = ipmi://admin@10.0.1.1\npassword_file = a.pw\n')"
expect fleet-standby-unknown "fleet.ini:5: [standby rack9]: unknown physical server 'rack9'" \
	-- fleet check --config "$(fleet_file '[standby rack9]\nphysical = rack9\n')"
# sheer fleet serve refuses what fleet check refuses, and what the controller cannot do yet; the questions need
# a readable fleet file; clear-wake a host the store has no record of.
expect fleet-serve-no-config "fleet serve: missing --config FILE" -- fleet serve
expect fleet-serve-unknown-key "fleet serve: $FLEET/fleet.ini:5: unknown key 'adress' in [host a]" \
	-- fleet serve --config "$(fleet_file 'adress = 10.0.0.2:7443\n')"
chmod 600 "$FLEET/a.pw"
expect fleet-serve-switch "fleet serve: $FLEET/fleet.ini:5: ha = switch is not built yet" \
	-- fleet serve --config "$(fleet_file '[policy]\nha = switch\n[standby s1]\nbmc = ipmi://admin@10.0.1.2\npassword_file = a.pw\n')"
expect fleet-serve-listen-not-loopback "listen = 10.0.0.1: the controller's endpoint is plain HTTP and TLS for it is not yet built" \
	-- fleet serve --config "$(printf '[fleet]\ntls = tls\nlisten = 10.0.0.1:9735\n[host a]\naddress = 10.0.0.1:7443\n' >"$FLEET/fleet.ini"; echo "$FLEET/fleet.ini")"
expect fleet-status-no-file "fleet status: fleet file $FLEET/nope.ini: No such file or directory" \
	-- fleet status --config "$FLEET/nope.ini"
expect fleet-hosts-unknown-option "fleet hosts: unknown option '--all'" -- fleet hosts --all
expect fleet-test-wake-no-host "fleet test-wake: missing HOST" -- fleet test-wake --config "$FLEET/fleet.ini"
expect fleet-clear-wake-unrecorded "fleet clear-wake: sqlite:$FLEET/fleet.db: no record of host a" \
	-- fleet clear-wake a --config "$(printf '[fleet]\ntls = tls\nstate = sqlite:fleet.db\n[host a]\naddress = 10.0.0.1:7443\n' >"$FLEET/fleet.ini"; echo "$FLEET/fleet.ini")"
expect fleet-bad-at "fleet check: --at '2025-03-08T21:00': want 'YYYY-MM-DD HH:MM' (local time)" \
	-- fleet check --config "$(fleet_file '')" --at 2025-03-08T21:00
AS="env TZ=Europe/Berlin"
expect fleet-at-skipped "--at '2025-03-30 02:30': no such local time here" \
	-- fleet check --config "$(fleet_file '')" --at '2025-03-30 02:30'
AS=
# sheer switch: refused before any server or BMC is touched.
export SHEER_RUN_DIR="$WORK/run"
printf '[physical]\nbmc = %s\npassword_file = %s\n' "$BMC" "$WORK/bmc-shared" >"$INV/shared.ini"
printf '[server]\nname = lun1\nmemory = 64M\nboot = disk\n' >"$WORK/nodisk.ini"
expect switch-no-direction "switch: missing --to physical|logical" -- switch lun1 rack1
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

# Commands that only look never make the run directory: one that is not there means no servers.
NO_RUN_DIR=$WORK/no-run-dir
export SHEER_RUN_DIR="$NO_RUN_DIR"
for command in status pause shutdown; do
	expect "$command-without-run-dir" "web01: no such server is running" -- $command web01
done
export SHEER_RUN_DIR="$WORK/run"
looks_make_nothing() {
	name=$1
	shift
	SHEER_RUN_DIR=$NO_RUN_DIR "$SHEER" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	status=$?
	if [ "$status" -eq 0 ] && [ ! -e "$NO_RUN_DIR" ] && [ ! -s "$WORK/err" ]; then
		passed=$((passed + 1))
		echo "ok   $name: exit 0, $(wc -l <"$WORK/out") lines, no $NO_RUN_DIR made"
	else
		failed=$((failed + 1))
		echo "FAIL $name: status $status, $NO_RUN_DIR $([ -e "$NO_RUN_DIR" ] && echo made || echo absent)"
		sed 's/^/     stderr: /' "$WORK/err"
	fi
	rm -rf "$NO_RUN_DIR"
}
[ -e "$NO_RUN_DIR" ] && { failed=$((failed + 1)); echo "FAIL status, pause, shutdown made $NO_RUN_DIR"; }
looks_make_nothing list-without-run-dir list
looks_make_nothing list-json-without-run-dir list --json
grep -qx '\[\]' "$WORK/out" || { failed=$((failed + 1)); echo "FAIL list-json-without-run-dir: not []"; }
looks_make_nothing devices-without-run-dir devices

# sheer devices: under every row whose ASSIGNABLE is "no", a line that says why.
"$SHEER" devices >"$WORK/out" 2>"$WORK/err"
status=$?
unexplained=$(awk 'said_no && !/^ +not assignable: ./ { n++ }
	{ said_no = $1 ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:/ && $6 == "no" }
	END { print n + said_no }' "$WORK/out")
refused=$(awk '$1 ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:/ && $6 == "no"' "$WORK/out" | wc -l)
if [ "$status" -eq 0 ] && [ "$unexplained" -eq 0 ]; then
	passed=$((passed + 1))
	echo "ok   devices-say-why: $refused devices not assignable, each with its reason"
else
	failed=$((failed + 1))
	echo "FAIL devices-say-why: status $status, $unexplained of $refused 'no' rows without a reason line"
	head -n 6 "$WORK/out" | sed 's/^/     stdout: /'
fi

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
# Defined servers (sheer define/undefine/edit/start/stop/console): refusals leave the definitions as they were.
printf '[server]\nname = def1\nmemory = 16M\nkernel = fake-kernel\n' >"$WORK/def1.ini"
expect define-bad-profile "profile.ini:3: unknown key 'cpu' in [server]" -- \
	define "$(profile '[server]\nname = t1\ncpu = 2\n')"
expect define-no-kernel "kernel $WORK/nothing-here" -- \
	define "$(profile "[server]\nname = t1\nmemory = 16M\nkernel = $WORK/nothing-here\n")"
expect define-usage "define: missing PROFILE" -- define
if "$SHEER" define "$WORK/def1.ini" >"$WORK/out" 2>&1 && grep -q "^kernel = $WORK/fake-kernel\$" "$WORK/config/servers/def1.ini"; then
	passed=$((passed + 1))
	echo "ok   define: kept with its relative kernel path made absolute"
else
	failed=$((failed + 1))
	echo "FAIL define: $(cat "$WORK/out")"
fi
expect define-twice "def1: already defined" -- define "$WORK/def1.ini"
expect undefine-unknown "nope1: not defined" -- undefine nope1
expect edit-unknown "nope1: not defined" -- edit nope1
expect start-unknown "nope1: not defined" -- start nope1
expect start-usage "usage: sheer start NAME" -- start
expect console-not-started "def1: no console here" -- console def1
expect stop-not-running "def1: no such server is running" -- stop def1
cp "$WORK/config/servers/def1.ini" "$WORK/def1.kept"
EDITOR="sed -i s/^memory.*/memory=lots/" "$SHEER" edit def1 </dev/null >"$WORK/out" 2>"$WORK/err"
status=$?
if [ "$status" -eq 2 ] && grep -q "invalid memory 'lots'" "$WORK/err" && cmp -s "$WORK/def1.kept" "$WORK/config/servers/def1.ini" &&
   [ -z "$(find "$WORK/config/servers" -name '*.edit-*')" ]; then
	passed=$((passed + 1))
	echo "ok   edit-invalid: exit 2, the definition unchanged, no copy left"
else
	failed=$((failed + 1))
	echo "FAIL edit-invalid: status $status: $(cat "$WORK/err")"
fi
EDITOR="sed -i s/^name.*/name=other/" "$SHEER" edit def1 </dev/null >"$WORK/out" 2>"$WORK/err"
status=$?
if [ "$status" -eq 2 ] && grep -q "the name cannot change" "$WORK/err" && cmp -s "$WORK/def1.kept" "$WORK/config/servers/def1.ini"; then
	passed=$((passed + 1))
	echo "ok   edit-rename: exit 2, the definition unchanged"
else
	failed=$((failed + 1))
	echo "FAIL edit-rename: status $status: $(cat "$WORK/err")"
fi
# The kernel is checked again at start: the file defined was a kernel then, is not there now.
mv "$WORK/fake-kernel" "$WORK/fake-kernel.away"
expect start-kernel-gone "fake-kernel" -- start def1
mv "$WORK/fake-kernel.away" "$WORK/fake-kernel"
"$SHEER" undefine def1 >/dev/null 2>&1
[ ! -e "$WORK/config/servers/def1.ini" ] && passed=$((passed + 1)) && echo "ok   undefine: the definition is gone" ||
	{ failed=$((failed + 1)); echo "FAIL undefine: the definition is still there"; }

host_check_agrees "$(id -un)"

# What another user is refused: files it cannot read, named with the reason; a /dev/kvm it cannot
# open, with what to do about it (a host to set up: exit 2, nothing started).
as_nobody() {
	chmod 711 "$WORK"
	printf '[server]\nname = t1\n' >"$WORK/private.ini"
	chmod 600 "$WORK/private.ini"
	mkdir -p "$WORK/nobody/run"
	cp "$K" "$WORK/nobody/kernel"
	chmod 644 "$WORK/nobody/kernel"
	chown 65534:65534 "$WORK/nobody/run"
	chmod 700 "$WORK/nobody/run"
	AS=$AS_NOBODY
	expect profile-unreadable "profile $WORK/private.ini: Permission denied" -- run "$WORK/private.ini"
	if [ -e /dev/kvm ] && ! $AS_NOBODY sh -c ': <>/dev/kvm' 2>/dev/null; then
		export SHEER_RUN_DIR="$WORK/nobody/run"
		expect kvm-not-openable "t1: cannot open /dev/kvm: Permission denied; fix: " -- \
			run --name t1 --memory 16M --kernel "$WORK/nobody/kernel"
		grep -q "usermod -aG kvm nobody.*or run sheer as root" "$WORK/err" ||
			{ failed=$((failed + 1)); echo "FAIL kvm-not-openable: no usermod/root remedy"; }
		export SHEER_RUN_DIR="$WORK/run"
	else
		echo "skip kvm-not-openable: nobody can open /dev/kvm here, or there is none"
	fi
	AS=
	chmod 700 "$WORK"
}
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	if $AS_NOBODY test -x "$SHEER"; then
		host_check_agrees nobody $AS_NOBODY
		as_nobody
	else
		echo "skip host-check-as-nobody, the refusals as nobody: nobody cannot reach $SHEER"
	fi
fi

echo "cli_errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
