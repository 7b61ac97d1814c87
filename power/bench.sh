#!/bin/sh
# Benchmark of the consolidation planner on the PlanetLab 7-day traces (a table, never pass/fail).
#   power/bench.sh [TRACES]   TRACES: a folder of day folders, or planetlab-7days.tar.gz;
#                             default ../shared/data (relative to the repository root).
# Prints, per policy, energy / SLAV / ESV / migrations per day with the median, and the
# simulator's wall time for all 7 days.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
sheer=$build/sheer
src=${1:-$root/../shared/data}

if [ -d "$src" ] && [ -f "$src/planetlab-7days.tar.gz" ]; then
	src=$src/planetlab-7days.tar.gz
fi
case $src in
*.tar.gz)
	if [ ! -f "$src" ]; then src=; fi
	if [ -n "$src" ] && [ ! -d "$build/planetlab" ]; then
		mkdir -p "$build"
		tar xzf "$src" -C "$build"
	fi
	[ -n "$src" ] && src=$build/planetlab
	;;
esac
if [ -z "$src" ] || [ ! -d "$src" ]; then
	echo "power bench: no traces. Put planetlab-7days.tar.gz (CloudSim's PlanetLab workload," >&2
	echo "  days 20110303 ... 20110412, one file per VM) in ../shared/data, or pass its path or" >&2
	echo "  an unpacked folder: power/bench.sh /path/to/planetlab" >&2
	exit 2
fi
[ -x "$sheer" ] || { echo "power bench: build sheer first (make)" >&2; exit 2; }

echo "== power: PlanetLab, 800 hosts, traces from $src"
for policy in none thr-mmt-0.8 iqr-mmt-1.5 lr-mmt-1.2 sheer; do
	start=$(date +%s.%N)
	"$sheer" power simulate --traces "$src" --policy "$policy"
	end=$(date +%s.%N)
	awk -v p="$policy" -v a="$start" -v b="$end" 'BEGIN { printf "%s: all days simulated in %.2f s wall time\n", p, b - a }'
	echo
done
