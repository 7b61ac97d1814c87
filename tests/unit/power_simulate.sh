#!/bin/sh
# What `sheer power simulate` writes, on small made-up traces: rows appear as each day is
# simulated (also through a pipe), `--csv -` is the CSV alone on stdout with the table on
# stderr, and the plot is well-formed SVG with round ticks, hours, a title and the run's
# parameters. Its refusals (exit 2) are in cli_errors.sh.
#
# usage: tests/unit/power_simulate.sh [path/to/sheer]     (default: build/sheer)
set -u

SHEER=${1:-build/sheer}
case $SHEER in /*) ;; *) SHEER=$(pwd)/$SHEER ;; esac
[ -x "$SHEER" ] || { echo "power_simulate: $SHEER is not built" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sheer-power-simulate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
cd "$WORK" || exit 1

passed=0
failed=0
# verdict NAME STATUS DETAIL: ok when STATUS (the checks' $?) is 0, else FAIL with DETAIL.
verdict() {
	name=$1 rc=$2 detail=$3
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: $detail"
	fi
}

# Four days of 300 servers (seeded, so every run is the same): about a second of simulation.
awk 'BEGIN {
	srand(7)
	for (d = 1; d <= 4; d++) {
		system("mkdir -p traces/day" d)
		for (s = 0; s < 300; s++) {
			f = sprintf("traces/day%d/vm%03d", d, s)
			base = int(rand() * 60)
			for (i = 0; i < 288; i++) print base + int(rand() * 30) > f
			close(f)
		}
	}
}'
RUN="power simulate --traces $WORK/traces --hosts 300"

# Through a pipe, the first line (the first policy's header) must arrive while the days are
# still being simulated, not with the last line when the program exits: the gap between
# them is at least half the wall time the table reports.
"$SHEER" $RUN --policy thr-mmt-0.8,sheer 2>"$WORK/err" | while IFS= read -r line; do
	printf '%s %s\n' "$(date +%s%N)" "$line"
done >"$WORK/stamped"
gap_ms=$(awk 'NR == 1 { first = $1 } { last = $1 } END { printf "%d", (last - first) / 1e6 }' "$WORK/stamped")
wall_ms=$(awk '$2 == "total" { s += $NF } END { printf "%d", s * 1000 }' "$WORK/stamped")
[ "$wall_ms" -gt 0 ] && [ $((gap_ms * 2)) -ge "$wall_ms" ]
verdict rows-as-produced $? "first line ${gap_ms} ms before the last, the run took ${wall_ms} ms"

# --csv -: the CSV alone on stdout, the table on stderr, no file named '-'.
"$SHEER" $RUN --policy sheer --csv - >"$WORK/csv" 2>"$WORK/table"
status=$?
[ "$status" -eq 0 ] && [ "$(head -n 1 csv)" = "policy,day,time_s,active_hosts,power_w,overloaded_hosts" ] &&
	[ "$(tail -n +2 csv | grep -cv '^sheer,day[1-4],[0-9.]*,[0-9]*,[0-9.]*,[0-9]*$')" -eq 0 ] &&
	[ "$(wc -l <csv)" -eq $((1 + 4 * 287)) ]
verdict csv-to-stdout $? "status $status; stdout: $(head -n 2 csv | tr '\n' '|')"
grep -q '^policy sheer$' table && grep -q '^median ' table
verdict table-to-stderr $? "stderr: $(head -n 2 table | tr '\n' '|')"
[ ! -e "$WORK/-" ]
verdict no-file-named-dash $? "a file named '-' appeared in $WORK"

# The plot: parsed as XML, a title and the parameters, round y ticks, x ticks in hours.
"$SHEER" $RUN --policy sheer,thr-mmt-0.8 --max-migrations 40 --plot "$WORK/plot.svg" >/dev/null 2>"$WORK/err"
status=$?
if command -v python3 >/dev/null; then
	python3 - "$WORK/plot.svg" >"$WORK/plot-check" 2>&1 <<'PY'
import math, re, sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
def check(ok, what):
    if not ok:
        print("plot:", what)
        sys.exit(1)
check(texts[0].startswith("sheer power simulate"), "no title first: %r" % texts[0])
params = " ".join(texts[1:3])
for want in ("traces", "4 days", "policies sheer, thr-mmt-0.8", "300 hosts", "300 servers",
             "interval 300 s", "at most 40 migrations"):
    check(want in params, "the parameters %r lack %r" % (params, want))
numbers = [float(t) for t in texts if re.fullmatch(r"[0-9.]+", t)]
check(len(numbers) >= 6, "too few y ticks: %r" % numbers)
for n in numbers:
    if n:
        m = n / 10 ** math.floor(math.log10(n))
        check(any(abs(m - k * s) < 1e-6 for s in (1, 2, 5) for k in range(1, 10)), "tick %g is not round" % n)
hours = [t for t in texts if re.fullmatch(r"[0-9]+ h", t)]
check("0 h" in hours and "96 h" in hours, "x ticks are not hours up to 96 h: %r" % hours)
check(any("above the scale" in t for t in texts), "the initial placement is not marked as off the scale")
print("plot: %d y ticks, %d hour ticks" % (len(numbers), len(hours)))
PY
	[ "$status" -eq 0 ] && grep -q '^plot: [0-9]' "$WORK/plot-check"
	verdict plot-well-formed $? "status $status: $(cat "$WORK/plot-check" "$WORK/err")"
elif [ "${SHEER_ALLOW_SKIP:-0}" = 1 ]; then
	echo "skip plot-well-formed: no python3 to parse the SVG (SHEER_ALLOW_SKIP=1)"
else
	verdict plot-well-formed 1 "needs python3 to parse the SVG (run 'make deps', or SHEER_ALLOW_SKIP=1)"
fi

echo "power_simulate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
