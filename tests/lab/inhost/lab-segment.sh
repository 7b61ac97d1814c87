# Inside a lab host of the lab-segment scenario, on one segment with the other:
#   lab-segment.sh receive      take one TCP connection on port 5000, say what came
#   lab-segment.sh send PEER    ping PEER, then send it 4 MiB over TCP
# Either host may be up a minute before the other: every wait is bounded.
. /lab/inhost/lib.sh
PORT=5000
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver"); echo "${d##*/}"; }
sums() { echo "$(wc -c <"$1") bytes md5 $(md5sum <"$1" | cut -d' ' -f1)"; }

receive() {
	# nc hands the connection to this program, which reads until the sender's EOF. (With
	# its stdin from /dev/null nc would half-close at once, and the sender's nc quits on
	# that EOF, before it has sent everything.)
	printf '#!/bin/sh\ncat >/tmp/received\necho $? >/tmp/received.status\n' >/tmp/receive
	chmod +x /tmp/receive
	nc -l -p $PORT -e /tmp/receive &
	listening $PORT 60 || { say "no listener on port $PORT"; return 1; }
	say "listening on port $PORT"
	# Long enough for the sender's host to boot after this one, ping and send.
	wait_for /tmp/received.status . 420 || { say "nothing received"; return 1; }
	say "received $(sums /tmp/received)"
}

send() {
	say "drivers: 0000:00:02.0 $(drv 0000:00:02.0), 0000:00:0a.0 $(drv 0000:00:0a.0)"
	retry 300 ping -c 1 -W 2 "$1" >/dev/null || { say "no reply from $1"; return 1; }
	say "ping: $(ping -c 3 -W 2 "$1" | grep 'packets transmitted')"
	dd if=/dev/urandom of=/tmp/data bs=1M count=4 2>/dev/null
	say "sent $(sums /tmp/data)"
	# Refused until the peer's listener is up.
	retry 120 nc "$1" $PORT </tmp/data || { say "nc to $1 port $PORT failed"; return 1; }
}

"$@"
