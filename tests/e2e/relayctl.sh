#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# relayctl against a real xrelayd on loopback (XDP off) over its own control socket: two calls
# set up with ngcli, RTP through one of them (rtpgen), then every object and command as a table
# and as JSON (checked with jq), bad usage and a daemon that is not running, with exit codes.
#
# Needs jq and the built daemon and tools. Knobs: XRELAYD, RELAYCTL, NGCLI, RTPGEN (other
# binaries), E2E_VERBOSE=1 (the daemon's log even on success).
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
XRELAYD=${XRELAYD:-$ROOT/build/xrelayd}
RELAYCTL=${RELAYCTL:-$ROOT/build/relayctl}
NGCLI=${NGCLI:-$ROOT/build/ngcli}
RTPGEN=${RTPGEN:-$ROOT/build/rtpgen}

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-relayctl.XXXXXX") || exit 1
# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"
SOCK=$T/run/xrelayd.sock # its directory does not exist: xrelayd creates it
FAILS=0

logs() {
	show_log "xrelayd log" "$T/xrelayd.log" 40
}

teardown() {
	rm -rf "$T"
}
on_exit logs teardown
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# rc ARGS...: runs relayctl on our socket; stdout in $T/out, stderr in $T/err, status in $RC.
rc() {
	"$RELAYCTL" -s "$SOCK" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# expect_rc WANT WHAT: the last rc's exit status.
expect_rc() {
	[ "$RC" -eq "$1" ] ||
		fail "$2: exit $RC, want $1 (stdout: $(head -c 300 "$T/out"); stderr: $(cat "$T/err"))"
}

# jqt FILTER WHAT: the jq filter must yield true on the last stdout.
jqt() {
	r=$(jq -e "$1" "$T/out" 2>&1) || fail "$2: jq '$1' gave '$r' on $(head -c 400 "$T/out")"
}

# has TEXT FILE WHAT: FILE contains the fixed string TEXT.
has() {
	grep -qF -- "$1" "$2" || fail "$3: no '$1' in $(head -c 400 "$2")"
}

free_udp() { # a port in 20000-29999 nobody listens on
	p=$((20000 + $$ % 9000))
	while ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

for b in "$XRELAYD" "$RELAYCTL" "$NGCLI" "$RTPGEN"; do
	[ -x "$b" ] || { echo "missing $b (make all)"; exit 1; }
done
command -v jq >/dev/null || { echo "jq is needed"; exit 1; }

NGPORT=$(free_udp)
NG=127.0.0.1:$NGPORT
A=127.0.0.1:46000 # the caller's RTP endpoint
B=127.0.0.1:46010 # the callee's

spawn "$T/xrelayd.log" "$XRELAYD" --foreground --log-stderr --log-level=debug --config-file=none \
	--xdp=off --listen-ng="$NG" --control-socket="$SOCK" --port-min=47000 --port-max=47999 \
	--delete-delay=30 --state-dir=none
XPID=$LAST_PID
i=0
while :; do
	rc stats show
	[ "$RC" -eq 0 ] && break
	i=$((i + 1))
	if [ $i -ge 50 ] || ! alive "$XPID"; then
		fail "xrelayd did not answer on $SOCK: $(cat "$T/err")"
		exit 1
	fi
	sleep 0.1
done
[ -S "$SOCK" ] || fail "no socket at $SOCK"
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK"), want 660"

# ---- two calls ----
sdp() { # PORT
	printf 'v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nc=IN IP4 127.0.0.1\\r\\nt=0 0\\r\\nm=audio %s RTP/AVP 0\\r\\n' "$1"
}
ng() { # JSON -> reply on stdout
	"$NGCLI" -s "$NG" "$1" || fail "ngcli $1"
}
relay_port() { # an ng reply -> the m= port of its SDP
	jq -r .sdp | sed -n 's/.*m=audio \([0-9]*\) .*/\1/p' | tr -d '\r'
}
RB=$(ng "{\"command\":\"offer\",\"call-id\":\"rc-1\",\"from-tag\":\"a\",\"sdp\":\"$(sdp "${A##*:}")\"}" | relay_port)
RA=$(ng "{\"command\":\"answer\",\"call-id\":\"rc-1\",\"from-tag\":\"a\",\"to-tag\":\"b\",\"sdp\":\"$(sdp "${B##*:}")\"}" | relay_port)
ng "{\"command\":\"offer\",\"call-id\":\"rc-2\",\"from-tag\":\"c\",\"sdp\":\"$(sdp 46020)\"}" >/dev/null
ng "{\"command\":\"answer\",\"call-id\":\"rc-2\",\"from-tag\":\"c\",\"to-tag\":\"d\",\"sdp\":\"$(sdp 46030)\"}" >/dev/null
{ [ -n "$RA" ] && [ -n "$RB" ]; } || { fail "no relay ports (RA=$RA RB=$RB)"; exit 1; }
"$RTPGEN" pair --a "$A" --b "$B" --relay-a "127.0.0.1:$RA" --relay-b "127.0.0.1:$RB" \
	--pps 200 --duration 1 --both >"$T/rtpgen.out" 2>&1 ||
	fail "rtpgen pair: $(cat "$T/rtpgen.out")"

# ---- call list ----
rc -j call list
expect_rc 0 "call list -j"
jqt 'length == 2 and ([.[].call_id] | sort) == ["rc-1", "rc-2"]' "call list -j: the two calls"
jqt '.[] | select(.call_id == "rc-1") | .packets > 0 and .streams == 4 and .medias == 2
	and .kernel_streams == 0 and (.tags | sort) == ["a", "b"] and .errors == 0' \
	"call list -j: rc-1"
jqt '.[] | select(.call_id == "rc-2") | .packets == 0 and (.created | type) == "number"' \
	"call list -j: rc-2"
cp "$T/out" "$T/list.json"
rc -j c l
expect_rc 0 "c l -j"
cmp -s "$T/out" "$T/list.json" || fail "'c l' differs from 'call list'"
rc call list
expect_rc 0 "call list"
head -n 1 "$T/out" | grep -q '^CALL-ID  *TAGS  *AGE  *MEDIA  *STREAMS  *KERNEL  *PACKETS  *ERRORS$' ||
	fail "call list: header $(head -n 1 "$T/out")"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "call list: $(wc -l <"$T/out") lines, want 3"
grep -q '^rc-2  *c,d ' "$T/out" || fail "call list: no rc-2 row in $(cat "$T/out")"

# ---- call show ----
rc -j call show rc-1
expect_rc 0 "call show -j"
jqt '.call_id == "rc-1" and ([.monologues[].tag] | sort) == ["a", "b"]' "call show -j: tags"
jqt '[.monologues[].medias[].streams[]] | length == 4 and
	all(.path == "userspace" and .path_reason == "xdp off")' "call show -j: path"
jqt '.totals.rtp.packets > 0 and .totals.rtp.bytes > 0' "call show -j: totals"
jqt '.monologues[] | select(.tag == "a") | .peer == "b" and
	(.medias[0].streams[] | select(.component == "rtp") |
	 .packets > 0 and .latched == true and .remote == "'"$A"'" and
	 .local == "127.0.0.1:'"$RA"'")' "call show -j: the caller's RTP stream"
rc call show rc-1
expect_rc 0 "call show"
has "call rc-1" "$T/out" "call show"
has "tag a (in dialogue with b)" "$T/out" "call show"
has "media 1: audio RTP/AVP" "$T/out" "call show"
grep -q "127.0.0.1:$RA  *$A  *userspace  *xdp off  *[1-9]" "$T/out" ||
	fail "call show: no latched stream row in $(cat "$T/out")"

# ---- stream list ----
rc -j stream list
expect_rc 0 "stream list -j"
jqt 'length == 8 and all(has("call_id") and has("tag") and has("media") and has("component")
	and has("local") and has("remote") and has("path") and has("path_reason")
	and has("packets") and has("bytes") and has("errors"))' "stream list -j: fields"
jqt '[.[] | select(.call_id == "rc-1" and .component == "rtp" and .packets > 0)] | length == 2' \
	"stream list -j: RTP both ways"
jqt '[.[] | select(.call_id == "rc-2")] | all(.latched == false and .path_reason == "xdp off")' \
	"stream list -j: rc-2 idle"
rc str l
expect_rc 0 "str l"
head -n 1 "$T/out" | grep -q '^CALL-ID  *TAG  *MEDIA  *COMP  *LOCAL  *REMOTE  *PATH  *WHY  *PACKETS  *BYTES  *ERRORS$' ||
	fail "stream list: header $(head -n 1 "$T/out")"
[ "$(wc -l <"$T/out")" -eq 9 ] || fail "stream list: $(wc -l <"$T/out") lines, want 9"
grep -q '^rc-2  *c  *1  *rtp  .*\*  *userspace  *xdp off  *0  *0  *0$' "$T/out" ||
	fail "stream list: rc-2's unconfirmed stream row in $(cat "$T/out")"

# ---- iface list ----
rc -j iface list
expect_rc 0 "iface list -j"
jqt '. == [{"name": "default", "address": "127.0.0.1", "advertised": "127.0.0.1", "xdp": "off"}]' \
	"iface list -j"
rc i
expect_rc 0 "i"
grep -q '^default  *127.0.0.1  *127.0.0.1  *off$' "$T/out" || fail "iface list: $(cat "$T/out")"

# ---- stats show ----
rc -j stats show
expect_rc 0 "stats show -j"
jqt '.current.sessionsown == 2 and .total.managedsessions == 2 and .total.relayedpackets > 0
	and (.total.uptime | type) == "number"' "stats show -j"
rc stats
expect_rc 0 "stats"
grep -q '^sessionsown  *2$' "$T/out" || fail "stats show: $(cat "$T/out")"

# ---- kernel show ----
rc -j kernel show
expect_rc 0 "kernel show -j"
jqt '.xdp == "off" and .interfaces == [] and .entries == 0 and .max_entries > 0
	and (.verdicts | has("tx") and has("pass")) and (.punt_reasons | has("no_entry"))
	and (.drop_reasons | has("strict_source"))
	and ([.verdicts[], .punt_reasons[], .drop_reasons[]] | all(type == "number"))' \
	"kernel show -j"
rc k s
expect_rc 0 "k s"
has "xdp         off" "$T/out" "kernel show"
grep -q '^no_entry  *0$' "$T/out" || fail "kernel show: $(cat "$T/out")"

# ---- ng over UDP instead of the socket ----
"$RELAYCTL" -j -s "$NG" call list >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "-s IP:PORT call list"
jqt 'length == 2' "-s IP:PORT call list"

# ---- call delete ----
rc call delete rc-2
expect_rc 0 "call delete"
has "call rc-2 deleted" "$T/out" "call delete"
rc call show rc-2
expect_rc 1 "call show of a deleted call"
has "relayctl: unknown call 'rc-2'" "$T/err" "call show of a deleted call"
rc -j call delete rc-1
expect_rc 0 "call delete -j"
jqt '.call_id == "rc-1" and .totals.rtp.packets > 0' "call delete -j"
rc -j call list
jqt '. == []' "call list after the deletes"

# ---- help ----
rc help
expect_rc 0 "help"
has "Usage: relayctl [OPTIONS] OBJECT COMMAND [ARGS]" "$T/out" "help"
"$RELAYCTL" --help >"$T/out" 2>&1 || fail "--help"
has "call delete CALL-ID" "$T/out" "--help"
rc call help
expect_rc 0 "call help"
has "relayctl call show CALL-ID" "$T/out" "call help"

# ---- bad usage and errors ----
rc foo list
expect_rc 2 "unknown object"
has "relayctl: unknown object 'foo'" "$T/err" "unknown object"
rc s l
expect_rc 2 "ambiguous object"
has "relayctl: ambiguous object 's'" "$T/err" "ambiguous object"
rc call frob
expect_rc 2 "unknown command"
has "relayctl: call: unknown command 'frob'" "$T/err" "unknown command"
rc call show
expect_rc 2 "missing CALL-ID"
has "relayctl: call show: missing CALL-ID" "$T/err" "missing CALL-ID"
rc call show a b
expect_rc 2 "extra argument"
rc
expect_rc 2 "no object"
rc -x call list
expect_rc 2 "unknown option"
rc call show nope
expect_rc 1 "unknown call"
has "relayctl: unknown call 'nope'" "$T/err" "unknown call"
[ -s "$T/out" ] && fail "unknown call: stdout not empty"
rc call delete nope
expect_rc 1 "delete of an unknown call"
has "relayctl: unknown call 'nope'" "$T/err" "delete of an unknown call"
rc -j call show nope
expect_rc 1 "unknown call -j"
jqt '. == {"error": "unknown call '"'"'nope'"'"'"}' "unknown call -j"
rc -j s l
expect_rc 2 "ambiguous object -j"
jqt '.error | startswith("ambiguous object")' "ambiguous object -j"

# ---- daemon not running ----
"$RELAYCTL" -s "$T/missing.sock" call list >"$T/out" 2>"$T/err"
RC=$?
expect_rc 1 "missing socket"
has "relayctl: cannot reach xrelayd at $T/missing.sock: No such file or directory" "$T/err" \
	"missing socket"
"$RELAYCTL" -j -s "$T/missing.sock" stats show >"$T/out" 2>"$T/err"
RC=$?
expect_rc 1 "missing socket -j"
jqt '.error | startswith("cannot reach xrelayd at ")' "missing socket -j"

kill "$XPID"
reap "$XPID"
[ -e "$SOCK" ] && fail "xrelayd left $SOCK behind"
rc call list
expect_rc 1 "after xrelayd exited"
has "cannot reach xrelayd at $SOCK" "$T/err" "after xrelayd exited"

[ "$FAILS" -eq 0 ] || { FAILED="$FAILS checks failed"; exit 1; }
echo "relayctl: all checks passed"
