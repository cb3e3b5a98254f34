#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The man pages match the programs: SYNOPSIS is the --help usage, OPTIONS (and COMMANDS) list
# exactly what --help lists, each option with its argument, and docs/NAME.8 is what scdoc makes
# of docs/NAME.8.scd (`make man`).
set -eu
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/xrelay-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT
failed=0
err() {
	echo "docs.sh: FAIL: $*" >&2
	failed=1
}

# roff as scdoc writes it -> text: no font changes, zero-width marks or escaped dashes.
plain() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' "$1"
}

# The text lines (not roff requests) of section $2 of page $1.
man_text() {
	plain "$1" | awk -v s="$2" '/^\.SH / { on = ($0 == ".SH " s); next }
		on && !/^\./ && NF' | sed 's/ *$//' | sort
}

# The item headers of section $2 of page $1: a text line that opens an indented block (scdoc's
# "*-x*, *--long*=_ARG_" or "*object command* ARG" followed by a tab-indented description).
man_items() {
	plain "$1" | awk -v s="$2" '/^\.SH / { on = ($0 == ".SH " s); next }
		on && /^\.RS/ && prev !~ /^\./ { print prev } { prev = $0 }' | sed 's/ *$//' | sort
}

# From `PROG --help` in $1: the "Usage:" line and the lines below it that start with PROG ($2);
# the options (an indented line starting with '-'); the commands (a line indented by exactly two
# spaces starting with a letter, as relayctl's "  call show CALL-ID"). An option or a command is
# what comes before the first run of two spaces.
help_usage() {
	awk -v p="$2" '/^Usage: / { sub(/^Usage: */, ""); print; on = 1; next }
		on && $1 == p { sub(/^ */, ""); print; next } { on = 0 }' "$1" | sed 's/ *$//' | sort
}
help_options() {
	sed -n 's/^ \{1,\}\(-.*\)$/\1/p' "$1" | sed 's/  .*//' | sort
}
help_commands() {
	sed -n 's/^  \([A-Za-z].*\)$/\1/p' "$1" | sed 's/  .*//' | sort
}

compare() { # WHAT FROM_HELP FROM_PAGE PAGE
	if ! cmp -s "$2" "$3"; then
		err "$4: $1 differs from --help (< --help, > the page):"
		diff "$2" "$3" | grep '^[<>]' | sed 's/^/    /' >&2
	fi
}

checked=0
for prog in xrelayd relayctl; do
	page=docs/$prog.8
	bin=build/$prog
	if [ ! -e "$page" ]; then
		[ ! -e "$bin" ] || err "$bin exists but $page does not"
		continue
	fi
	if [ ! -x "$bin" ]; then
		err "$page documents $bin, which is not built (make all)"
		continue
	fi
	h=$T/$prog.help
	"$bin" --help >"$h" 2>&1 || err "$bin --help exits $?"
	help_usage "$h" "$prog" >"$h.usage"
	help_options "$h" >"$h.options"
	help_commands "$h" >"$h.commands"
	[ -s "$h.usage" ] || err "$bin --help has no 'Usage:' line"
	[ -s "$h.options" ] || err "$bin --help lists no option"
	man_text "$page" SYNOPSIS >"$T/$prog.synopsis"
	man_items "$page" OPTIONS >"$T/$prog.options"
	man_items "$page" COMMANDS >"$T/$prog.commands"
	compare synopsis "$h.usage" "$T/$prog.synopsis" "$page"
	compare options "$h.options" "$T/$prog.options" "$page"
	compare commands "$h.commands" "$T/$prog.commands" "$page"
	checked=$((checked + 1))
done
[ -e docs/xrelayd.8 ] || err "docs/xrelayd.8 is missing"

# The committed pages are the generated ones (the date line aside).
if command -v scdoc >/dev/null; then
	for src in docs/*.8.scd; do
		page=${src%.scd}
		scdoc <"$src" | grep -v '^\.TH ' >"$T/gen" || err "scdoc fails on $src"
		grep -v '^\.TH ' "$page" >"$T/committed" 2>/dev/null || true
		cmp -s "$T/gen" "$T/committed" || err "$page is not what scdoc makes of $src: run make man"
	done
else
	err "scdoc is not installed (tools/install-deps)"
fi

[ "$failed" -eq 0 ] || exit 1
echo "docs.sh: ok ($checked pages match --help)"
