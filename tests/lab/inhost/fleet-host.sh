# Inside a lab host of the fleet scenario, on every boot its BMC gives it: the host agent, and the
# servers' CPU load as the scenario sets it from outside.
#   fleet-host.sh NAME LOAD_PORT
# The agent listens on every address with the certificate /lab/tls/NAME (the controller reaches it
# through the host's management NIC, other hosts' migrations through the segment). The scenario serves a
# file "load" on this machine's 10.0.2.2:LOAD_PORT, lines "SERVER busy|idle"; each new line goes to that
# server's serial console (the test OS's sheer.load=console starts or stops a busy loop). Each server's
# console log, from the first time it runs here, goes on to this host's console as "SERVER| LINE": the
# scenario follows the servers' counters from host to host.
. /lab/inhost/lib.sh
hostname "$1"
say "fleet host $1 up"
sheer agent --listen 0.0.0.0:9735 --tls "/lab/tls/$1" &

relay_console() {
	tail -n +1 -F "/var/log/sheer/$1.log" 2>/dev/null | while IFS= read -r line; do echo "$1| $line"; done
}
# A server's console log appears when it first runs here. The poll is a glob, not `sheer list`: a
# program started every second would take CPU from the servers, whose demand the controller measures.
relay_consoles() {
	local relayed=" " log server
	while :; do
		for log in /var/log/sheer/*.log; do
			server=${log##*/} && server=${server%.log}
			[ -f "$log" ] && [ "${relayed#* $server }" = "$relayed" ] || continue
			relayed="$relayed$server "
			relay_console "$server" &
		done
		sleep 1
	done
}
relay_consoles &
: >/tmp/load.sent
while :; do
	if wget -q -O /tmp/load.now "http://10.0.2.2:$2/load" 2>/dev/null; then
		# A line is sent while its server runs here; one sent stays sent (a server that moves on is told
		# by the host it lands on).
		while read -r server command; do
			grep -qx "$server $command" /tmp/load.sent && continue
			sheer list 2>/dev/null | grep -q "^$server " || continue
			printf '%s\n\035' "$command" | timeout 10 sheer console "$server" >/dev/null 2>&1 &&
				{ grep -v "^$server " /tmp/load.sent; echo "$server $command"; } >/tmp/load.next &&
				mv /tmp/load.next /tmp/load.sent && say "load: $server $command"
		done </tmp/load.now
	fi
	sleep 2
done
