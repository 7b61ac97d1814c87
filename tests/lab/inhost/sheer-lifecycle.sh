# Inside the lab host (scenario sheer-boot, after its own steps): the OS
# image as a defined server, started in the background, watched on its
# console, stopped with its power button, undefined. Each step says one line.
. /lab/inhost/lib.sh
cat >/tmp/life.ini <<EOT
[server]
name = life
cpus = 1
memory = 256M
kernel = $OS_KERNEL
initrd = $OS_INITRD
cmdline = $OS_CMDLINE sheer.wait=powerbutton
autostart = yes
EOT
state() { out=$(sheer list --all 2>&1) || { echo list-failed; return; }; printf '%s\n' "$out" | awk '$1 == "life" { print $2, $7 }'; }

sheer define /tmp/life.ini >/dev/null
say "life define exit $? state $(state)"
sheer start life >/tmp/life.start 2>&1
say "life start exit $? state $(state): $(cat /tmp/life.start)"
wait_for /var/log/sheer/life.log "SHEER-OS: waiting for power button" 120
say "life console log: $(grep -c 'SHEER-OS: ' /var/log/sheer/life.log) markers so far"
timeout 3 sheer console life --read-only </dev/null >/tmp/life.view 2>/tmp/life.view.err
say "life console viewer: $(grep -c 'SHEER-OS: ' /tmp/life.view) markers, $(head -n 1 /tmp/life.view.err)"
sheer stop life --timeout 60 >/tmp/life.stop 2>&1
say "life stop exit $? state $(state)"
say "life log: first $(grep -m 1 'SHEER-OS: ' /var/log/sheer/life.log | tr -d '\r'), last $(grep 'SHEER-OS: ' /var/log/sheer/life.log | tail -n 1 | tr -d '\r')"
sed -n 's/^\(SHEER-OS: .*\)/life-log| \1/p' /var/log/sheer/life.log | tr -d '\r'
sheer undefine life >/dev/null
say "life undefine exit $? state '$(state)' run-dir '$(ls /run/sheer | grep life | xargs)'"
say "life processes left: $(pidof sheer | wc -w)"
