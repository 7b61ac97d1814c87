#!/bin/sh
# Checkpoint and restore of a tiny guest on /dev/kvm, through the sheer
# program itself: `sheer run` the ckpt guest (tests/guests/ckpt.c), which
# fills memory with a pattern, counts on the serial port with an
# interrupt-driven handshake and keeps the LAPIC timer running;
# `sheer checkpoint` it mid-count; `sheer restore` it in a new process and
# check that the count continues (each of 1..12 exactly once), the pattern is
# intact, the timer still ticks and no UART interrupt was lost or doubled.
# Then the refusals: corrupted (any flipped byte), truncated, wrong-version
# and wrong-CPU files, a server that is not running, a missing directory, a
# full disk. Each prints "ok"/"FAIL"; the run ends with "N passed, M failed".
#
# usage: tests/guests/checkpoint.sh BUILD_DIR     (needs BUILD_DIR/sheer and BUILD_DIR/guests/ckpt.bzImage)
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SHEER=$BUILD/sheer
GUEST=$BUILD/guests/ckpt.bzImage
TOOL=$(cd "$(dirname "$0")" && pwd)/ckpt_tool.py
[ -x "$SHEER" ] && [ -f "$GUEST" ] || { echo "checkpoint: build $SHEER and $GUEST first" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sheer-checkpoint.XXXXXX)
PIDS=
cleanup() {
	for pid in $PIDS; do kill -9 "$pid" 2>/dev/null; done
	mountpoint -q "$WORK/full" 2>/dev/null && umount "$WORK/full"
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
export SHEER_RUN_DIR="$WORK/run"
export SHEER_KERNEL_CACHE=off

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; for f in "$@"; do [ -f "$f" ] && sed "s|^|     $(basename "$f"): |" "$f"; done; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "$WORK"/*.out "$WORK"/*.err; fi; }

# start NAME: the ckpt guest under `sheer run` in the background, its console in NAME.out.
start() {
	"$SHEER" run --name "$1" --cpus 1 --memory 64M --kernel "$GUEST" --shared-cores \
		</dev/null >"$WORK/$1.out" 2>"$WORK/$1.err" &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}

# wait_for FILE TEXT [SECONDS]: until TEXT appears in FILE.
wait_for() {
	i=0
	while ! grep -qF -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((${3:-60} * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_exit NAME: the background server's exit status.
wait_exit() { eval "wait \$PID_$1"; }

# counts FILE...: the counts printed across the files, in order, one line.
counts() { cat "$@" | sed -n 's/^ckpt: count \([0-9]*\) .*/\1/p' | tr '\n' ' '; }
ALL="1 2 3 4 5 6 7 8 9 10 11 12 "
DONE="ckpt: done count 12 pattern ok timer ok thre ok"

nothing_registered() { [ -z "$(find "$SHEER_RUN_DIR" \( -name '*.sock' -o -name '*.json' \) 2>/dev/null)" ]; }

# ---- checkpoint, stop, restore in a new process ----
start alpha
wait_for "$WORK/alpha.out" "ckpt: count 5" || fail "alpha reached count 5" "$WORK/alpha.out" "$WORK/alpha.err"
"$SHEER" checkpoint alpha "$WORK/alpha.ckpt" >"$WORK/checkpoint.out" 2>"$WORK/checkpoint.err"
check "checkpoint exits 0 with one summary line" \
	sh -c "[ $? -eq 0 ] && [ \$(wc -l <'$WORK/checkpoint.out') -eq 1 ] && grep -q 'checkpoint written to $WORK/alpha.ckpt' '$WORK/checkpoint.out'"
wait_exit alpha
check "sheer run exits 0 saying where the checkpoint went" \
	sh -c "[ $? -eq 0 ] && grep -q 'alpha: checkpoint written to $WORK/alpha.ckpt' '$WORK/alpha.err'"
check "nothing of alpha is left registered" nothing_registered
check "the checkpoint file is private (0600)" sh -c "[ \$(stat -c %a '$WORK/alpha.ckpt') = 600 ]"
check "no temporary file is left beside it" sh -c "[ \$(ls '$WORK' | grep -c 'alpha.ckpt.tmp') -eq 0 ]"

"$SHEER" restore "$WORK/alpha.ckpt" </dev/null >"$WORK/restored.out" 2>"$WORK/restored.err"
status=$?
check "restore runs the guest to its end (exit 0)" sh -c "[ $status -eq 0 ] && grep -qF '$DONE' '$WORK/restored.out'"
check "the count continues: 1..12 once each across both processes" \
	sh -c "[ '$(counts "$WORK/alpha.out" "$WORK/restored.out")' = '$ALL' ]"
check "restore printed where it came from" grep -q "alpha: restored from $WORK/alpha.ckpt" "$WORK/restored.err"

"$SHEER" restore "$WORK/alpha.ckpt" --name alpha2 </dev/null >"$WORK/again.out" 2>"$WORK/again.err"
status=$?
check "the same file restores a second time, under another name" \
	sh -c "[ $status -eq 0 ] && grep -qF '$DONE' '$WORK/again.out' && grep -q 'alpha2: restored' '$WORK/again.err'"

# ---- --leave-running: the server goes on, the file restores too ----
start beta
wait_for "$WORK/beta.out" "ckpt: count 3" || fail "beta reached count 3" "$WORK/beta.out"
"$SHEER" checkpoint beta "$WORK/beta.ckpt" --leave-running >"$WORK/leave.out" 2>"$WORK/leave.err"
check "checkpoint --leave-running exits 0" sh -c "[ $? -eq 0 ] && grep -q 'keeps running' '$WORK/leave.out'"
wait_exit beta
check "the server kept running to its end" sh -c "[ $? -eq 0 ] && grep -qF '$DONE' '$WORK/beta.out' && [ '$(counts "$WORK/beta.out")' = '$ALL' ]"
"$SHEER" restore "$WORK/beta.ckpt" --name gamma </dev/null >"$WORK/gamma.out" 2>"$WORK/gamma.err"
status=$?
first=$(counts "$WORK/gamma.out" | cut -d' ' -f1)
check "its checkpoint resumes after count 3, not from the start" \
	sh -c "[ $status -eq 0 ] && grep -qF '$DONE' '$WORK/gamma.out' && [ '${first:-0}' -ge 4 ]"

# ---- refusals: one line naming the file, exit 2, nothing started or registered ----
refuse() {
	name=$1 file=$2 text=$3
	"$SHEER" restore "$file" </dev/null >"$WORK/refuse.out" 2>"$WORK/refuse.err"
	status=$?
	if [ $status -eq 2 ] && [ "$(wc -l <"$WORK/refuse.err")" -eq 1 ] && grep -qF -- "$file" "$WORK/refuse.err" &&
	   grep -qF -- "$text" "$WORK/refuse.err" && [ ! -s "$WORK/refuse.out" ] && nothing_registered; then
		ok "$name: $(cat "$WORK/refuse.err")"
	else
		fail "$name: status $status, wanted '$text'" "$WORK/refuse.err" "$WORK/refuse.out"
	fi
}

SIZE=$(stat -c %s "$WORK/alpha.ckpt")
# A byte in every section: header, CPUID, each device, the irqchip, the vCPU, memory, the end.
# The tool must list them all (header, CPUID, devices, irqchip, vCPU, memory, end): no list, no checks below.
if python3 "$TOOL" sections "$WORK/alpha.ckpt" >"$WORK/sections" && [ "$(wc -l <"$WORK/sections")" -ge 6 ]; then
	ok "ckpt_tool lists the checkpoint's $(wc -l <"$WORK/sections") sections"
else
	fail "ckpt_tool lists the checkpoint's sections" "$WORK/sections"
fi
while read -r offset type instance length; do
	for at in $offset $((offset + 24 + length / 2)); do
		[ "$at" -lt "$SIZE" ] || continue
		cp "$WORK/alpha.ckpt" "$WORK/flip.ckpt"
		byte=$(od -An -tu1 -j "$at" -N1 "$WORK/flip.ckpt" | tr -d ' ')
		printf "$(printf '\\%03o' $((byte ^ 0x10)))" | dd of="$WORK/flip.ckpt" bs=1 seek="$at" conv=notrunc 2>/dev/null
		refuse "flipped byte at $at ($type $instance)" "$WORK/flip.ckpt" "corrupted"
	done
done <"$WORK/sections"
cp "$WORK/alpha.ckpt" "$WORK/magic.ckpt"
printf 'X' | dd of="$WORK/magic.ckpt" bs=1 seek=0 conv=notrunc 2>/dev/null
refuse "flipped magic" "$WORK/magic.ckpt" "not a sheer checkpoint"
for cut in 4 100 2000 $((SIZE / 2)) $((SIZE - 1)); do
	head -c "$cut" "$WORK/alpha.ckpt" >"$WORK/short.ckpt"
	refuse "truncated to $cut bytes" "$WORK/short.ckpt" "truncated"
done
# Valid checksums, bad content: each kind of section one byte short, then left out. (END0 is
# rewritten by the tool; a MEM0 block left out is a block of zeros, which is not an error.)
for type in $(awk '$2 != "END0" { print $2 }' "$WORK/sections" | sort -u); do
	python3 "$TOOL" cut "$WORK/alpha.ckpt" "$WORK/cut.ckpt" "$type"
	refuse "$type one byte short (checksums valid)" "$WORK/cut.ckpt" ""
	[ "$type" = MEM0 ] && continue
	python3 "$TOOL" drop "$WORK/alpha.ckpt" "$WORK/drop.ckpt" "$type"
	refuse "$type left out (checksums valid)" "$WORK/drop.ckpt" ""
done
python3 "$TOOL" set-version "$WORK/alpha.ckpt" "$WORK/v2.ckpt" 99
refuse "a newer format version" "$WORK/v2.ckpt" "format version 99"
python3 "$TOOL" set-vendor "$WORK/alpha.ckpt" "$WORK/cpu.ckpt" "CyrixInstead"
refuse "a checkpoint from another CPU" "$WORK/cpu.ckpt" "wrong CPU"
refuse "a file that does not exist" "$WORK/none.ckpt" "No such file"

checkpoint_refused() {
	name=$1 text=$2
	shift 2
	"$SHEER" checkpoint "$@" >"$WORK/cr.out" 2>"$WORK/cr.err"
	status=$?
	if [ $status -eq 2 ] && [ "$(wc -l <"$WORK/cr.err")" -eq 1 ] && grep -qF -- "$text" "$WORK/cr.err"; then
		ok "$name: $(cat "$WORK/cr.err")"
	else
		fail "$name: status $status, wanted '$text'" "$WORK/cr.err"
	fi
}
checkpoint_refused "checkpoint of a server that is not running" "no such server is running" nosuch "$WORK/x.ckpt"
checkpoint_refused "checkpoint into a missing directory" "does not exist" alpha "$WORK/no/such/dir/x.ckpt"

# ---- a disk that fills up: exit 1, no partial file, the server keeps running ----
mkdir "$WORK/full"
if mount -t tmpfs -o size=256k tmpfs "$WORK/full" 2>"$WORK/mount.err"; then
	start delta
	wait_for "$WORK/delta.out" "ckpt: count 2" || fail "delta reached count 2" "$WORK/delta.out"
	"$SHEER" checkpoint delta "$WORK/full/delta.ckpt" >"$WORK/full.out" 2>"$WORK/full.err"
	status=$?
	check "a full disk: exit 1, one line" sh -c "[ $status -eq 1 ] && [ \$(wc -l <'$WORK/full.err') -eq 1 ] && grep -q 'No space left' '$WORK/full.err'"
	check "a full disk: no partial file is left" sh -c "[ -z \"\$(ls -A '$WORK/full')\" ]"
	check "a full disk: the server is running again" sh -c "'$SHEER' status delta | grep -q running"
	wait_exit delta
	check "a full disk: the guest went on to its end" sh -c "[ $? -eq 0 ] && grep -qF '$DONE' '$WORK/delta.out'"
	umount "$WORK/full"
else
	fail "mount a 256 KiB tmpfs for the full-disk case (needs root)" "$WORK/mount.err"
fi

echo "checkpoint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
