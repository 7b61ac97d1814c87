# shellcheck shell=sh
# Sourced by the benchmarks that run inside a lab host (after lib.sh): clocks and
# waits that cost no forks, and the reference QEMU driven through its HMP monitor.

# Deadlines count wall-clock seconds (/proc/uptime, read without a fork): on a loaded emulated
# host every iteration of a wait loop is slow, so counting iterations would wait far longer.
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mib() { stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
# deadline SECONDS: the uptime (whole seconds) that many seconds from now. expired DEADLINE: it has passed.
deadline() { read -r up rest </proc/uptime; echo $((${up%.*} + $1)); }
expired() { read -r up rest </proc/uptime; [ "${up%.*}" -ge "$1" ]; }
# wait_nonempty FILE SECONDS
wait_nonempty() {
	limit=$(deadline "$2")
	while [ ! -s "$1" ]; do
		expired "$limit" && return 1
		sleep 0.1
	done
}
# wait_exit PID SECONDS: until the process is gone.
wait_exit() {
	limit=$(deadline "$2")
	while kill -0 "$1" 2>/dev/null; do
		expired "$limit" && return 1
		sleep 0.1
	done
}
# stamp_first LOG TEXT STAMPFILE: copy stdin to LOG; the uptime when TEXT first shows goes to STAMPFILE.
stamp_first() {
	while IFS= read -r line; do
		case "$line" in *"$2"*) [ -s "$3" ] || now >"$3" ;; esac
		echo "$line" >>"$1"
	done
}

# qemu_start MON MEM CONSOLE CMDLINE [QEMU ARGS...]: the test OS image under QEMU (q35, KVM, 1 vCPU),
# its serial console into CONSOLE (a file, or a FIFO a reader has open), its HMP monitor on
# the FIFOs /tmp/MON.in and /tmp/MON.out; everything the monitor says collects in /tmp/MON.log.
qemu_start() {
	mon=$1 mem=$2 console=$3 cmdline=$4
	shift 4
	rm -f "/tmp/$mon.in" "/tmp/$mon.out" "/tmp/$mon.log"
	mkfifo "/tmp/$mon.in" "/tmp/$mon.out"
	qemu-system-x86_64 -M q35 -accel kvm -cpu host -smp 1 -m "${mem}M" -nodefaults -display none -no-reboot \
		-kernel "$OS_KERNEL" -initrd "$OS_INITRD" -append "$cmdline" \
		-serial "file:$console" -monitor "pipe:/tmp/$mon" "$@" </dev/null >"/tmp/$mon.err" 2>&1 &
	echo $! >"/tmp/$mon.pid"
	cat "/tmp/$mon.out" >>"/tmp/$mon.log" &   # appends: emptying the log is safe
	echo $! >"/tmp/$mon.catpid"
}
# mon MON COMMAND. Opened read-write: never blocks on the FIFO, and never raises SIGPIPE.
mon() { echo "$2" 1<>"/tmp/$1.in"; }
# mon_until MON COMMAND EREGEX SECONDS: send COMMAND every 100 ms until the monitor's answer matches
# EREGEX. Only the log's tail is searched, so the poller stays cheap and does not take the CPU
# from what it measures.
mon_until() {
	limit=$(deadline "$4")
	while ! tail -c 2000 "/tmp/$1.log" 2>/dev/null | grep -aEq "$3"; do
		kill -0 "$(cat "/tmp/$1.pid")" 2>/dev/null || return 1
		expired "$limit" && return 1
		mon "$1" "$2"
		sleep 0.1
	done
}
# mon_value MON REGEX: the last value the monitor printed after "REGEX: " (info migrate's fields).
mon_value() { tr '\r' '\n' <"/tmp/$1.log" | sed -n "s/^$2: \([0-9]*\).*/\1/p" | tail -n 1; }
# qemu_stop MON [SECONDS]: wait that long for QEMU to end by itself, then quit it (and kill it).
qemu_stop() {
	qpid=$(cat "/tmp/$1.pid")
	wait_exit "$qpid" "${2:-10}" || { mon "$1" quit; wait_exit "$qpid" 10 || kill -9 "$qpid"; }
	wait "$qpid"
	cpid=$(cat "/tmp/$1.catpid")
	wait_exit "$cpid" 5 || kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}
# qemu_last_words MON: the monitor's and QEMU's last output, for a failure's report.
qemu_last_words() {
	echo "qemu| monitor's last words: $(tail -c 400 "/tmp/$1.log" | tr -d '\033' | tr '\r\n' '  ')"
	sed 's/^/qemu| /' "/tmp/$1.err"
}
