#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# The parts of tools/tapdisk-activate/ keep to the table in parts.mk (the
# one the Makefile links by):
#   - a part uses only parts below it (PART_USES_<part>, lower in PARTS),
#     so no circle between parts is possible;
#   - every #include "<part>/<header>" of another part names a part the
#     includer may use and a header that part offers (PART_API_<part>);
#     nothing includes a cli/ or daemon/ header but cli/ or daemon/;
#   - a bare #include "<header>" names a file of the includer's own folder;
#   - the #include graph of all .c/.h files has no circle, nor has the
#     graph of which .c file calls (or reads) a symbol of which other one,
#     taken from the built objects;
#   - the exceptions still listed in LAYERING_KNOWN_BREAKS exist (the list
#     only shrinks).
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$top/tools/tapdisk-activate
table=$dir/parts.mk
[ -f "$table" ] || { echo "$table missing"; exit 1; }
fail=0

# parts.mk as "NAME words..." lines, continuation lines joined.
mkvars=$(sed -e :a -e '/\\$/N; s/\\\n/ /; ta' "$table" |
	 sed -n 's/^\([A-Za-z_][A-Za-z_0-9]*\)[[:space:]]*:=[[:space:]]*\(.*\)$/\1 \2/p')
mkvar() { # NAME -> its words
	printf '%s\n' "$mkvars" | awk -v n="$1" '$1 == n { $1 = ""; print; exit }'
}

parts=$(mkvar PARTS)
[ -n "$parts" ] || { echo "parts.mk: PARTS is empty"; exit 1; }
breaks=" $(mkvar LAYERING_KNOWN_BREAKS) "
rank() { # PART -> its index in PARTS, or nothing
	local i=0 p
	for p in $parts; do
		[ "$p" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
}
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

# The table itself: every used part exists and sits lower.
for p in $parts; do
	[ -d "$dir/$p" ] || { echo "parts.mk: no folder $p/"; fail=1; }
	for u in $(mkvar "PART_USES_$p"); do
		ru=$(rank "$u")
		if [ -z "$ru" ]; then
			echo "parts.mk: $p uses unknown part $u"; fail=1
		elif [ "$ru" -ge "$(rank "$p")" ]; then
			echo "parts.mk: $p uses $u, which is not below it"; fail=1
		fi
	done
	for h in $(mkvar "PART_API_$p"); do
		[ -f "$dir/$p/$h" ] || { echo "parts.mk: $p/$h does not exist"; fail=1; }
	done
done
for d in "$dir"/*/; do
	d=$(basename "$d")
	has "$parts" "$d" || { echo "folder $d/ is not a part in parts.mk"; fail=1; }
done

# Every include of every file; edges for the circle check.
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
seen=" "
for f in "$dir"/*/*.[ch]; do
	rel=${f#"$dir"/}
	own=${rel%%/*}
	while read -r inc; do
		if [ "${inc#*/}" = "$inc" ]; then	# bare: own folder
			if [ -f "$dir/$own/$inc" ]; then
				echo "$rel $own/$inc" >> "$edges"
			else
				echo "$rel: #include \"$inc\" is not in $own/"; fail=1
			fi
			continue
		fi
		q=${inc%%/*}
		has "$parts" "$q" || continue	# include/, not a part
		echo "$rel $inc" >> "$edges"
		[ "$q" = "$own" ] && continue
		if has "$breaks" "$rel:$inc"; then
			seen="$seen$rel:$inc "
			continue
		fi
		if ! has "$(mkvar "PART_USES_$own")" "$q"; then
			echo "$rel: includes $inc, but $own may not use $q"; fail=1
		elif ! has "$(mkvar "PART_API_$q")" "${inc#*/}"; then
			echo "$rel: includes $inc, which $q keeps inside"; fail=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
for b in $breaks; do
	has "$seen" "$b" || {
		echo "parts.mk: LAYERING_KNOWN_BREAKS lists $b, which is gone: drop it"
		fail=1
	}
done

# Circles: tsort names the files of any loop.
loop=$(tsort "$edges" 2>&1 >/dev/null)
if [ -n "$loop" ]; then
	echo "include circle: $loop"
	fail=1
fi

# Circles between .c files: edges from the symbols each object needs to
# the object that defines them.
objs=${XH_BUILD:-$top/build}/tools/tapdisk-activate
if ! ls "$objs"/*/*.o >/dev/null 2>&1; then
	echo "no objects under $objs: build first (make tools)"
	fail=1
else
	for o in "$objs"/*/*.o; do
		rel=${o#"$objs"/}
		nm -g --defined-only "$o" | awk -v f="${rel%.o}.c" 'NF == 3 { print "D", $3, f }'
		nm -u "$o" | awk -v f="${rel%.o}.c" '{ print "U", $NF, f }'
	done | awk '$1 == "D" { def[$2] = $3; next }
		    { use[n++] = $3 " " $2 }
		    END { for (i = 0; i < n; i++) { split(use[i], u, " ")
			  if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]] } }' |
		sort -u > "$edges"
	while read -r from to; do
		p=${from%%/*} q=${to%%/*}
		[ "$p" = "$q" ] || has "$(mkvar "PART_USES_$p")" "$q" || {
			echo "$from calls into $to, but $p may not use $q"; fail=1
		}
	done < "$edges"
	loop=$(tsort "$edges" 2>&1 >/dev/null)
	if [ -n "$loop" ]; then
		echo "call circle between files: $loop"
		fail=1
	fi
fi

[ $fail = 0 ] && echo "layering: includes and calls keep to parts.mk, no circles"
exit $fail
