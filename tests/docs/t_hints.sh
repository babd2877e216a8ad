#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# A hint never names an option the command rejects ("activate --force"
# was reported). Every XH_HINT("command", "--option") in
# tools/tapdisk-activate/ must name an option that command lists in its
# --help and does not reject as unknown; a message of a library part
# (common, vhd, lease, backend, handover) that names an option without
# XH_HINT fails (which command prints it is not known there). A command's
# own files (cli/cmd_<command>.c) may name the options of that command.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
src=$top/tools/tapdisk-activate
[ -x "$tool" ] || { echo "$tool not built"; exit 1; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
dir=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-hints.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# accepts "command" --option: listed in its help, not rejected at run time.
accepts() {
	local cmd=$1 opt=$2 help err
	if [[ $cmd == "lease "* ]]; then
		# lease SUB: the subcommand's lines of "lease --help"
		help=$("$tool" lease --help | awk -v s="${cmd#lease }" '
			$1 == s { on = 1; print; next }
			on && /^           / { print; next }
			{ on = 0 }')
	else
		help=$("$tool" $cmd --help 2>&1) || return 1
	fi
	grep -Eq -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$help" || return 1
	[[ $cmd == "lease "* ]] && return 0
	# shellcheck disable=SC2086
	err=$("$tool" $cmd "$dir/nonexistent" "$opt" 1 2>&1 </dev/null)
	! grep -Eq "unknown or misplaced option|unrecognized option|bad option" <<<"$err"
}

# Every XH_HINT (the macro's own definition excepted).
n=0
while IFS=$'\t' read -r where cmd opt; do
	n=$((n + 1))
	accepts "$cmd" "$opt" || bad "$where: hint '$cmd $opt': '$cmd' does not accept $opt"
done < <(grep -rno --include='*.c' 'XH_HINT("[^"]*", *"[^"]*")' "$src" |
	 sed -E 's|^'"$src"'/([^:]*:[0-9]+):XH_HINT\("([^"]*)", *"([^"]*)"\)|\1\t\2\t\3|')
[ $n -ge 10 ] || bad "only $n XH_HINT found: is the extraction broken?"

# Library messages that name an option without XH_HINT, each
# "file<TAB>text<TAB>the one command that prints it": checked like a hint,
# and an entry whose text is gone fails, so the list only shrinks.
# lease.c is being reworked by another change; convert these there.
KNOWN_RAW="\
lease/lease.c	lost; use --force)	lease init
lease/lease.c	; init --force only after	lease init"
while IFS=$'\t' read -r file text cmd; do
	grep -qF -- "$text" "$src/$file" ||
		bad "KNOWN_RAW: '$text' is no longer in $file: drop the entry"
	opt=$(grep -o -- '--[a-z][a-z-]*' <<<"$text")
	accepts "$cmd" "$opt" || bad "$file: '$text': '$cmd' does not accept $opt"
done <<<"$KNOWN_RAW"

# Options in library messages outside XH_HINT (and --help, which every
# command has, and the KNOWN_RAW texts).
for part in common vhd lease backend handover; do
	for f in "$src/$part"/*.[ch]; do
		[ "$(basename "$f")" = hint.h ] && continue
		sed -E 's/XH_HINT\("[^"]*", *"[^"]*"\)//g' "$f" |
			grep -n -- '"[^"]*[ (]--[a-z][^"]*"' |
			grep -v -- '--help' |
			grep -vF -- "$(cut -f2 <<<"$KNOWN_RAW")" |
			while IFS= read -r line; do
				echo "FAIL: ${f#"$src"/}:${line%%:*}: an option in a message without XH_HINT: ${line#*:}"
			done
	done
done >"$dir/raw"
[ -s "$dir/raw" ] && { cat "$dir/raw"; fail=1; }

# A command's own messages name its own options.
for f in "$src"/cli/cmd_*.c; do
	cmd=$(basename "$f" .c)
	cmd=${cmd#cmd_}
	cmd=${cmd//_/-}
	[ "$cmd" = lease ] && continue	# one getopt for every subcommand
	help=$("$tool" "$cmd" --help 2>&1)
	for opt in $(grep -o -- '"[^"]*"' "$f" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -Eq -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$help" ||
			bad "cli/$(basename "$f"): names $opt, which '$cmd --help' does not list"
	done
done
exit $fail
