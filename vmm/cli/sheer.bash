# bash completion for sheer; `make install` puts it in share/bash-completion/completions/sheer.
# The subcommands, their options and fixed values come from sheer itself (`sheer help --complete
# WORD...`, from its command table), so this script never needs to change when they do. What only
# the shell can list, sheer names as a kind: @servers (running: `sheer list`; defined: the profiles
# in ${SHEER_CONFIG_DIR:-/etc/sheer}/servers/), @physical (the inventory in .../physical/),
# @profiles (*.ini files), @files, @dirs.

# Server names of a config folder's NAME.ini files.
_sheer_config_names()
{
	local file
	for file in "${SHEER_CONFIG_DIR:-/etc/sheer}/$1"/*.ini; do
		[[ -f $file ]] || continue
		file=${file##*/}
		printf '%s\n' "${file%.ini}"
	done
}

# Running servers: the first column of `sheer list` after its header.
_sheer_running_names()
{
	"$1" list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# Append the candidates of one kind that start with cur to COMPREPLY.
_sheer_kind()
{
	local sheer=$1 kind=$2 cur=$3
	case $kind in
	servers)
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W \
			"$(_sheer_running_names "$sheer"; _sheer_config_names servers)" -- "$cur")
		;;
	physical)
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "$(_sheer_config_names physical)" -- "$cur")
		;;
	profiles)
		compopt -o filenames 2>/dev/null
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X '!*.ini' -- "$cur"; compgen -d -- "$cur")
		;;
	files)
		compopt -o filenames 2>/dev/null
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
		;;
	dirs)
		compopt -o filenames 2>/dev/null
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
		;;
	esac
}

_sheer()
{
	local sheer=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} line
	local -a words=() kinds=()

	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		@*) kinds+=("${line#@}") ;;
		*) words+=("$line") ;;
		esac
	done < <("$sheer" help --complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
	if ((${#words[@]})); then
		mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
	fi
	for line in "${kinds[@]}"; do
		_sheer_kind "$sheer" "$line" "$cur"
	done
}

complete -F _sheer sheer
