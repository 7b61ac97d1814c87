# shellcheck shell=sh
# Sourced by scripts that run inside a lab host (put there by a scenario).
# say: a line the scenario greps for. prefixed NAME CMD...: run CMD with every
# output line prefixed "NAME| ", its exit status in /tmp/status.NAME.
OS_KERNEL=/lab/os/vmlinuz
OS_INITRD=/lab/os/initrd.gz
OS_CMDLINE="console=ttyS0 quiet loglevel=3 panic=-1"

say() { echo "LAB: $*"; }
prefixed() {
	name=$1
	shift
	{ "$@"; echo $? >"/tmp/status.$name"; } 2>&1 | while IFS= read -r line; do echo "$name| $line"; done
}
status_of() { cat "/tmp/status.$1"; }
# wait_for FILE TEXT SECONDS: until FILE contains TEXT.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}
# refused LABEL ARGS...: run sheer ARGS, report its status, its one stderr line,
# and how many sockets/registry entries are in /run/sheer afterwards.
refused() {
	name=$1
	shift
	sheer "$@" </dev/null >/dev/null 2>"/tmp/err.$name"
	say "$name status $? lines $(wc -l <"/tmp/err.$name"): $(head -n 1 "/tmp/err.$name")"
	say "$name leftovers $(find /run/sheer -maxdepth 1 \( -name '*.sock' -o -name '*.json' \) 2>/dev/null | wc -l)"
}
