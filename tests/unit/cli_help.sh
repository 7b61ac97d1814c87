#!/bin/sh
# The command line's conventions, for every subcommand the program lists (sheer help --commands),
# so a new one is checked without touching this file: --help and -h exit 0 with a usage line on
# stdout and nothing on stderr, and print what `sheer help CMD` prints; an unknown option exits 2
# with one line naming it and pointing at `sheer help CMD`. Then --version, the man page (renders
# without warnings, names every subcommand, option the parsers know and SHEER_* variable the code
# reads), `make install DESTDIR=...`, and the bash completion.
#
# usage: tests/unit/cli_help.sh [BUILD]     (default: build; needs BUILD/sheer and BUILD/sheer.1)
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SHEER=$BUILD/sheer
MAN_PAGE=$BUILD/sheer.1
[ -x "$SHEER" ] && [ -f "$MAN_PAGE" ] || { echo "cli_help: $SHEER or $MAN_PAGE is not built" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sheer-cli-help.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
export SHEER_RUN_DIR="$WORK/run" SHEER_CONFIG_DIR="$WORK/config"
mkdir -m 700 "$SHEER_RUN_DIR"

. "$ROOT/tests/unit/cases.sh"

# run ARGS...: the program's status in $status, its output in $WORK/out and $WORK/err.
run() {
	"$SHEER" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	status=$?
}

# Exit 0, nothing on stderr, and the first line of stdout is "usage: sheer PATH...".
help_holds() {
	[ "$status" -eq 0 ] && [ ! -s "$WORK/err" ] && head -n 1 "$WORK/out" | grep -q "^usage: sheer $1\( \|\$\)"
}

# Exit 2, one line on stderr "sheer: ..." containing each TEXT.
usage_error_holds() {
	[ "$status" -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q '^sheer: ' "$WORK/err" || return 1
	for text in "$@"; do
		grep -qF -- "$text" "$WORK/err" || return 1
	done
}

"$SHEER" help --commands >"$WORK/commands" 2>&1
check commands-listed "sheer help --commands lists top-level commands and subcommands" \
	test "$(grep -c -v ' ' "$WORK/commands")" -ge 10 -a "$(grep -c ' ' "$WORK/commands")" -ge 1

while IFS= read -r cmd; do
	for flag in --help -h; do
		# shellcheck disable=SC2086 # "power simulate" is two words
		run $cmd $flag
		check "$cmd $flag" "wanted exit 0, 'usage: sheer $cmd' on stdout, nothing on stderr (status $status)" \
			help_holds "$cmd"
		cp "$WORK/out" "$WORK/help.$flag"
	done
	run help $cmd
	check "help $cmd" "wanted exit 0 and the same text as '$cmd --help' (status $status)" \
		sh -c '[ "$1" -eq 0 ] && cmp -s "$2" "$3" && cmp -s "$2" "$4"' _ "$status" "$WORK/out" \
		"$WORK/help.--help" "$WORK/help.-h"
	run $cmd --no-such-option
	check "$cmd --no-such-option" "wanted exit 2 and one line naming the option and 'sheer help $cmd'" \
		usage_error_holds "unknown option '--no-such-option'" "see 'sheer help $cmd'"
done <"$WORK/commands"

for flag in --help -h; do
	run $flag
	check "sheer $flag" "wanted exit 0 and the list of commands on stdout" \
		sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ] && grep -q "^usage: sheer COMMAND" "$3" && grep -q "^  run " "$3"' \
		_ "$status" "$WORK/err" "$WORK/out"
done
for flag in --version -V version; do
	run $flag
	check "sheer $flag" "wanted exit 0 and 'sheer VERSION' on stdout" \
		sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ] && grep -qx "sheer [0-9][0-9.]*" "$3"' _ "$status" "$WORK/err" "$WORK/out"
done

# The man page: no groff warning, and what an operator looks for in it.
groff -man -ww -z "$MAN_PAGE" >"$WORK/out" 2>"$WORK/err"
status=$?
check man-no-warnings "groff -man -ww -z warned (status $status)" \
	sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ] && [ ! -s "$3" ]' _ "$status" "$WORK/out" "$WORK/err"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$MAN_PAGE" 2>"$WORK/err" | col -b >"$WORK/man.txt"
else
	groff -man -Tutf8 "$MAN_PAGE" 2>"$WORK/err" | col -b >"$WORK/man.txt"
fi
check man-renders "the man page rendered empty or with errors" \
	sh -c '[ ! -s "$1" ] && [ "$(wc -l <"$2")" -gt 200 ]' _ "$WORK/err" "$WORK/man.txt"
for section in NAME SYNOPSIS OPTIONS COMMANDS PROFILE "EXIT STATUS" FILES ENVIRONMENT; do
	check "man-section $section" "no '$section' heading in the man page" grep -qx "$section" "$WORK/man.txt"
done
while IFS= read -r cmd; do
	check "man-names $cmd" "the man page has no 'sheer $cmd' line" grep -q "^ *sheer $cmd\( \|\$\)" "$WORK/man.txt"
done <"$WORK/commands"
for key in memory dedicated_cores pci failover bridge mac; do
	check "man-profile-key $key" "the PROFILE section lacks '$key'" \
		sh -c 'sed -n "/^PROFILE/,/^EXIT STATUS/p" "$1" | grep -q "^       $2 *"' _ "$WORK/man.txt" "$key"
done
for path in /run/sheer /etc/sheer/servers/NAME.ini /etc/sheer/physical/NAME.ini /var/cache/sheer/kernels; do
	check "man-file $path" "FILES lacks $path" sh -c 'sed -n "/^FILES/,/^ENVIRONMENT/p" "$1" | grep -qF "$2"' \
		_ "$WORK/man.txt" "$path"
done
# Every SHEER_* variable the code reads, and every option the subcommands' parsers know.
cd "$ROOT" || exit 1
for variable in $(grep -rhoE 'getenv\("SHEER_[A-Z_]+"\)' vmm passthru iommu p2v power | sed 's/.*"\(.*\)".*/\1/' | sort -u); do
	check "man-environment $variable" "the code reads $variable; ENVIRONMENT does not say it" \
		sh -c 'sed -n "/^ENVIRONMENT/,/^SEE ALSO/p" "$1" | grep -q "^       $2\$"' _ "$WORK/man.txt" "$variable"
done
options=$( (grep -rhoE '\{ "[a-z][a-z0-9-]*", (no|required)_argument' vmm/cli passthru/cli power/cli iommu |
	sed 's/{ "\([^"]*\)".*/\1/'; grep -rhoE 'strcmp\(argv\[[0-9]\], "--[a-z][a-z0-9-]*"\)' vmm/cli passthru/cli power/cli iommu |
	sed 's/.*"--\([^"]*\)".*/\1/') | sort -u)
for option in $options; do
	check "man-option --$option" "a parser knows --$option; the command table does not document it" \
		grep -qE -- "^ *(-[a-zA-Z], )?--$option( |\$)" "$WORK/man.txt"
done

# make install: the program, its man page, its completion and the systemd units under DESTDIR and PREFIX.
for prefix in /usr/local /opt/sheer; do
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$WORK/dest" PREFIX="$prefix" install \
		>"$WORK/out" 2>"$WORK/err"
	status=$?
	dest=$WORK/dest$prefix
	check "make install PREFIX=$prefix" "wanted bin/sheer, share/man/man1/sheer.1, share/bash-completion/completions/sheer" \
		sh -c '[ "$1" -eq 0 ] && [ -x "$2/bin/sheer" ] && cmp -s "$2/share/man/man1/sheer.1" "$3" &&
		       cmp -s "$2/share/bash-completion/completions/sheer" "$4"' \
		_ "$status" "$dest" "$MAN_PAGE" "$ROOT/vmm/cli/sheer.bash"
	check "make install PREFIX=$prefix: the systemd units, calling the installed sheer" \
		"wanted lib/systemd/system/sheer@.service, sheer-autostart.service, sheer-agent.service (KillMode=process) and sheer-fleet.service with ExecStart=$prefix/bin/sheer" \
		sh -c 'grep -qx "ExecStart=$2/bin/sheer start %i" "$1/lib/systemd/system/sheer@.service" &&
		       grep -qx "ExecStart=$2/bin/sheer start --autostart" "$1/lib/systemd/system/sheer-autostart.service" &&
		       grep -q "^ExecStart=$2/bin/sheer agent --listen .* --tls /etc/sheer/agent\$" "$1/lib/systemd/system/sheer-agent.service" &&
		       grep -qx "KillMode=process" "$1/lib/systemd/system/sheer-agent.service" &&
		       grep -qx "ExecStart=$2/bin/sheer fleet serve --config /etc/sheer/fleet.ini" "$1/lib/systemd/system/sheer-fleet.service" &&
		       ! grep -q @BINDIR@ "$1"/lib/systemd/system/sheer*.service' _ "$dest" "$prefix"
done

# The completion: valid bash, and it completes from the program's table and the host's files.
COMPLETION=$ROOT/vmm/cli/sheer.bash
bash -n "$COMPLETION" 2>"$WORK/err"
check completion-syntax "bash -n failed" test ! -s "$WORK/err"
mkdir -p "$SHEER_CONFIG_DIR/servers" "$SHEER_CONFIG_DIR/physical" "$WORK/profiles"
cd "$WORK" || exit 1
touch "$SHEER_CONFIG_DIR/servers/web01.ini" "$SHEER_CONFIG_DIR/physical/rack1.ini" \
	"$WORK/profiles/db.ini" "$WORK/profiles/notes.txt"
# complete WORD...: what _sheer offers for the last word, sorted, one line.
complete() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sheer; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$COMPLETION" "$SHEER" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
# completes WANTED WORD...: the completion of WORD... is exactly WANTED.
completes() {
	wanted=$1
	shift
	got=$(complete "$@")
	[ "$got" = "$wanted" ] || { echo "     got '$got'"; return 1; }
}
top=$(grep -v ' ' "$WORK/commands" | sort | tr '\n' ' ' | sed 's/ $//')
check completion-commands "every command for an empty word" completes "$top" ""
check completion-prefix "migrate for 'mig'" completes "migrate" "mig"
check completion-options "--downtime-ms for 'migrate --d'" completes "--downtime-ms" migrate --d
check completion-subcommands "attach, detach after device" completes "attach detach" device ""
check completion-option-value "kernel, disk after --boot" completes "disk kernel" run --boot ""
check completion-own-options "a command that runs itself too (agent): its own options for '-'" \
	completes "--help --listen --tls" agent -
check completion-own-subcommand "... and its subcommand for a word" completes "call" agent ""
check completion-op-choices "agent call's ops after its address" \
	completes "define definition host migrate ping receive start stop undefine" agent call 10.0.0.5:9735 ""
check completion-defined-servers "the defined server after status" completes "web01" status ""
check completion-servers "running, defined and physical servers first after switch" completes "rack1 web01" switch ""
check completion-profiles "*.ini files where a profile is expected" completes "$WORK/profiles/db.ini" run "$WORK/profiles/"
check completion-files "any file after --kernel" completes "$WORK/profiles/db.ini $WORK/profiles/notes.txt" \
	run --kernel "$WORK/profiles/"
check completion-value-not-argument "a profile after '--cmdline -h'" completes "$WORK/profiles/db.ini" \
	run --cmdline -h "$WORK/profiles/"

echo "cli_help: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
