# switch-bench.sh RUNS BMC_PORT READY_PORT: inside a lab host whose NVMe (00:06.0) is the LUN that the
# physical server rack1 (IPMI BMC at the gateway) also boots, switch lun1 to rack1 and back RUNS times,
# printing each step of each switch:
#   SWITCH dir=to-physical|to-logical run=I step=NAME seconds=S
# plus, to logical, step=os-boot: from the switch's end (lun1 answering) to its OS waiting for the
# power button (the firmware, the boot loader, the kernel and init under sheer).
. /lab/inhost/lib.sh
runs=$1
uplink
physical_entry rack1 "ipmi://admin@10.0.2.2:$2" "$3"
lun_profile /tmp/lun1.ini lun1 1
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# steps DIR RUN FILE: one line per step of the --json record in FILE.
steps() {
	tr -d '\n ' <"$3" | grep -o '"step":"[^"]*","start_s":[0-9.e+-]*,"seconds":[0-9.e+-]*' |
		sed "s/\"step\":\"\([^\"]*\)\",\"start_s\":[^,]*,\"seconds\":\(.*\)/SWITCH dir=$1 run=$2 step=\1 seconds=\2/"
}
sheer run /tmp/lun1.ini >/tmp/run0.log 2>&1 &
wait_for /tmp/run0.log "waiting for power button" 300 || echo "lun1 never booted"
for run in $(seq "$runs"); do
	sheer switch lun1 --to physical rack1 --timeout 400 --json >/tmp/p.json 2>/tmp/p.err || cat /tmp/p.err
	steps to-physical "$run" /tmp/p.json
	rm -f /tmp/l.out
	sheer switch rack1 --to logical /tmp/lun1.ini --timeout 400 --json >/tmp/l.out 2>/tmp/l.err &
	wait_for /tmp/l.out '"outcome"' 400 $! || cat /tmp/l.err
	switched=$(uptime_s)
	wait_for /tmp/l.out "waiting for power button" 400 || echo "lun1 never booted"
	steps to-logical "$run" /tmp/l.out
	echo "SWITCH dir=to-logical run=$run step=os-boot seconds=$(echo "$(uptime_s) $switched" | awk '{ printf "%.2f", $1 - $2 }')"
done
sheer shutdown lun1 --timeout 120 >/dev/null
wait
