#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# PCMU <-> PCMA translation end to end in the namespace lab (tests/e2e/netns/lib.sh): a caller
# offering PCMU with transcode PCMA, a callee answering PCMA, G.711-coded RTP both ways (rtpgen
# --g711: every payload byte must arrive as the other law's translation) through xrelayd, whose
# XDP program translates with native and its media worker with off; then a callee answering PCMU,
# whose payloads must arrive unchanged. Per LAB_MODES (default "native off").
#
# Needs root, iproute2, ethtool, nsenter, jq, ss and the built daemon and tools. Knobs: LAB_MODES,
# LAB_PPS (1000), LAB_SECS (2), LAB_MAX_LOSS (packets a direction may lose: 20),
# LAB_MAX_USERSPACE (packets a stream may leave to userspace with native: 50), E2E_VERBOSE=1.
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/netns/lib.sh
. "$ROOT/tests/e2e/netns/lib.sh"

XRELAYD=${XRELAYD:-$ROOT/build/xrelayd}
RTPGEN=${RTPGEN:-$ROOT/build/rtpgen}
NGCLI=${NGCLI:-$ROOT/build/ngcli}
RELAYCTL=${RELAYCTL:-$ROOT/build/relayctl}
MODES=${LAB_MODES:-native off}
PPS=${LAB_PPS:-1000}
SECS=${LAB_SECS:-2}
MAX_LOSS=${LAB_MAX_LOSS:-20}
MAX_USER=${LAB_MAX_USERSPACE:-50}
DELAY=300 # ms both ends only receive before they send: the other end binds meanwhile
NG=127.0.0.1:2223
# A pin root of this run's own: another daemon's maps are never met, nor left behind.
PIN_ROOT=/sys/fs/bpf/xrelay-g711-$$

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-g711.XXXXXX") || exit 1
# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"
MODE=setup
XPID=""
lab_names $$

fail() {
	FAILED="[$MODE] $*"
	if [ -e "/run/netns/$NS_RELAY" ]; then
		{
			lab_link_state
			echo "===== statistics.kernel, without the zero counters ====="
			nsx "$NS_RELAY" "$NGCLI" -t 1000 -s "$NG" '{"command":"statistics"}' |
				jq -c '.statistics.kernel | .counters |= with_entries(select(.value != 0))'
		} >"$T/diag.txt" 2>&1
	fi
	exit 1
}

logs() {
	show_lab_logs 60 3
	show_log "ng client errors" "$T/ng.err"
	show_log "last ng reply" "$T/ng.json"
	show_log "last query" "$T/query.json"
	show_log "diagnosis at the failure" "$T/diag.txt" 200
}

teardown() { lab_teardown "$PIN_ROOT" 0 "$T"; }
on_exit logs teardown
trap 'FAILED="interrupted"; exit 130' INT TERM

# ---- helpers (as in netns_lab.sh) ----

jget() { # FILE JQ-FILTER -- one value, empty (the reason in $T/jget.err) when missing
	_v=$(jq -r "$2" "$1" 2>/dev/null)
	if [ -z "$_v" ] || [ "$_v" = null ]; then
		echo "no $2 in ${1##*/}: $(head -c 300 "$1")" >"$T/jget.err"
		_v=""
	fi
	echo "$_v"
}

count() { # WHAT VALUE -- fails unless VALUE is a whole number
	case ${2#-} in
	'' | *[!0-9]*) fail "$1: '$2' is not a count ($(cat "$T/jget.err" 2>/dev/null))" ;;
	esac
}

at_least() { # WHAT GOT WANT
	count "$1" "$2"
	[ "$2" -ge "$3" ] || fail "$1: $2, expected at least $3"
}

at_most() { # WHAT GOT WANT
	count "$1" "$2"
	[ "$2" -le "$3" ] || fail "$1: $2, expected at most $3"
}

wait_udp() { # NAMESPACE PORT -- until something binds PORT (5 s at most)
	_i=0
	until [ -n "$(nsx "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || fail "nothing bound port $2 in $1 within 5 s"
		sleep 0.1
	done
}

ng() { # WHAT JSON -- the reply in $T/ng.json; fails unless result is ok
	nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$NG" "$2" >"$T/ng.json" 2>>"$T/ng.err" ||
		fail "$1: no ng reply"
	[ "$(jq -r .result "$T/ng.json" 2>/dev/null)" = ok ] ||
		fail "$1: $(jq -c . "$T/ng.json" 2>/dev/null || cat "$T/ng.json")"
}

sdp() { # IP PORT FORMATS -- an audio SDP, escaped for a JSON string
	printf 'v=0\\r\\no=- 1 1 IN IP4 %s\\r\\ns=-\\r\\nc=IN IP4 %s\\r\\nt=0 0\\r\\n' "$1" "$1"
	printf 'm=audio %s RTP/AVP %s\\r\\na=sendrecv\\r\\n' "$2" "$3"
}

# The relay's SDP in the last reply: R_IP, R_PORT and R_FMT (the m= line's formats).
read_sdp() {
	jq -r .sdp "$T/ng.json" | tr -d '\r' >"$T/sdp.txt"
	R_IP=$(sed -n 's/^c=IN IP4 \([^ ]*\).*/\1/p' "$T/sdp.txt" | tail -n 1)
	R_PORT=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$T/sdp.txt")
	R_FMT=$(sed -n 's/^m=audio [0-9]* RTP\/AVP \(.*\)$/\1/p' "$T/sdp.txt")
	if [ -z "$R_IP" ] || [ -z "$R_PORT" ]; then
		fail "no c= or m= in the relay's SDP: $(cat "$T/sdp.txt")"
	fi
}

# ---- one call ----

# call NAME CALLEE_PT CPORT EPORT: the caller offers PCMU with transcode PCMA, the callee
# answers CALLEE_PT (8: the relay translates; 0: passthrough); both then talk for SECS.
call() {
	_name=$1 _pt=$2 _cp=$3 _ep=$4
	_id="g711-$MODE-$_name-$$"
	ng "$_name offer" "{\"command\":\"offer\",\"call-id\":\"$_id\",\"from-tag\":\"caller\",
		\"direction\":[\"a\",\"b\"],\"codec\":{\"transcode\":[\"PCMA\"]},
		\"sdp\":\"$(sdp "$LAB_CALLER4" "$_cp" 0)\"}"
	read_sdp
	[ "$R_FMT" = "0 8" ] || fail "$_name offer: the callee is offered '$R_FMT', expected '0 8'"
	[ "$R_IP" = "$LAB_RELAY4_B" ] || fail "$_name offer: the callee is told $R_IP"
	_rb=$R_PORT
	ng "$_name answer" "{\"command\":\"answer\",\"call-id\":\"$_id\",\"from-tag\":\"caller\",
		\"to-tag\":\"callee\",\"sdp\":\"$(sdp "$LAB_CALLEE4" "$_ep" "$_pt")\"}"
	read_sdp
	[ "$R_FMT" = 0 ] || fail "$_name answer: the caller is answered '$R_FMT', expected '0'"
	[ "$R_IP" = "$LAB_RELAY4_A" ] || fail "$_name answer: the caller is told $R_IP"
	_ra=$R_PORT

	# Each end sends its own law and checks what the other sent, translated into its own.
	_law=ulaw
	[ "$_pt" = 8 ] && _law=alaw
	lab_spawn "$T/$_name-callee.out" "$NS_CALLEE" "$RTPGEN" -j send \
		--from "$LAB_CALLEE4:$_ep" --to "$LAB_RELAY4_B:$_rb" --rtt --g711 "$_law:ulaw" \
		--delay "$DELAY" --pps "$PPS" --duration "$SECS" --wait 500
	lab_spawn "$T/$_name-caller.out" "$NS_CALLER" "$RTPGEN" -j send \
		--from "$LAB_CALLER4:$_cp" --to "$LAB_RELAY4_A:$_ra" --rtt --g711 "ulaw:$_law" \
		--delay "$DELAY" --pps "$PPS" --duration "$SECS" --wait 500
	lab_reap_traffic "$XPID"

	check_end "$_name" caller callee 0
	check_end "$_name" callee caller "$_pt"
	check_paths "$_name" "$_id" "$_pt"
	echo "[$MODE] $_name: ok ($(jget "$T/$_name-callee.out" .unique) and" \
		"$(jget "$T/$_name-caller.out" .unique) packets arrived, every payload as expected)"
}

# What END received from OTHER: nearly all, once each, every payload the expected codes, PT.
check_end() { # CALL END OTHER PT
	_o=$T/$1-$2.out
	_s="$1: $3 -> $2"
	_sent=$(jget "$T/$1-$3.out" .sent)
	at_least "$_s: packets sent" "$_sent" $((PPS * SECS * 9 / 10))
	_u=$(jget "$_o" .unique)
	at_least "$_s: packets arrived" "$_u" $((_sent - MAX_LOSS))
	at_most "$_s: packets arrived" "$_u" "$_sent"
	at_most "$_s: payloads not the codes expected (bad_payload)" "$(jget "$_o" .bad_payload)" 0
	at_most "$_s: duplicates" "$(jget "$_o" .duplicates)" 0
	# Every packet that arrived decoded (its send time too): none passed as foreign RTP.
	[ "$(jget "$_o" .rtt_samples)" = "$_u" ] ||
		fail "$_s: $(jget "$_o" .rtt_samples) of $_u packets carried our metadata"
	_pts=$(jq -c .payload_types "$_o")
	[ "$_pts" = "[$4]" ] || fail "$_s: payload types $_pts arrived, expected [$4]"
}

# Which path carried the call's RTP: with native the kernel, all but MAX_USER packets per
# stream, and the global XDP verdicts grew by at least as much; with off, userspace only.
check_paths() { # CALL CALL-ID CALLEE_PT
	ng "$1 query" "{\"command\":\"query\",\"call-id\":\"$2\"}"
	cp "$T/ng.json" "$T/query.json"
	# shellcheck disable=SC2016 # jq's $t
	jq -r '.tags[] | .tag as $t | .medias[]? | (.transcoding.to // "-") as $x | .streams[]? |
		select((.flags // []) | index("RTP")) |
		[$t, (.path // "-"), (.stats.packets // 0), (."kernel stats".packets // 0), $x] |
		@tsv' "$T/query.json" >"$T/streams.tsv" || fail "$1: unreadable query reply"
	[ "$(wc -l <"$T/streams.tsv")" -eq 2 ] ||
		fail "$1 query: $(wc -l <"$T/streams.tsv") RTP streams, expected 2"
	_ksum=0
	while IFS="	" read -r tag path total kern xl; do
		_s="$1 $tag RTP"
		# The party's RTP is translated into the other's codec, or not at all.
		case $tag:$3 in
		caller:8) _want="8 PCMA" ;;
		callee:8) _want="0 PCMU" ;;
		*) _want=- ;;
		esac
		[ "$xl" = "$_want" ] || fail "$_s: transcoding.to '$xl', expected '$_want'"
		at_least "$_s: packets the relay counted" "$total" $((PPS * SECS * 9 / 10))
		case $MODE in
		native | generic)
			[ "$path" = kernel ] || fail "$_s: path '$path', expected kernel"
			at_most "$_s: packets handled in userspace (of $total)" $((total - kern)) \
				"$MAX_USER"
			_ksum=$((_ksum + kern))
			;;
		off)
			[ "$path" = userspace ] || fail "$_s: path '$path', expected userspace"
			at_most "$_s: kernel packets" "$kern" 0
			;;
		esac
	done <"$T/streams.tsv"

	statistics
	case $MODE in
	native | generic)
		at_least "$1: XDP tx+redirect verdicts during the call" $((K_FWD - K_FWD0)) "$_ksum"
		# Translated payloads never go up for want of the translation.
		at_most "$1: packets punted 'xlate'" $((K_XLATE - K_XLATE0)) 0
		;;
	off) at_most "$1: XDP tx+redirect verdicts" "$K_FWD" 0 ;;
	esac
	K_FWD0=$K_FWD K_XLATE0=$K_XLATE

	# And as an operator sees it.
	nsx "$NS_RELAY" "$RELAYCTL" -j -s "$NG" stream list >"$T/relayctl.json" 2>>"$T/ng.err" ||
		fail "relayctl stream list failed"
	_paths=$(jq -r --arg c "$2" '[.[] | select(.call_id == $c and .component == "rtp") |
		.path] | sort | join(" ")' "$T/relayctl.json")
	case $MODE in
	native | generic) _want="kernel kernel" ;;
	*) _want="userspace userspace" ;;
	esac
	[ "$_paths" = "$_want" ] || fail "$1: relayctl stream list paths '$_paths', expected '$_want'"
}

statistics() { # K_XDP, K_FWD (tx + redirect), K_XLATE (punted xlate) from statistics.kernel
	ng statistics '{"command":"statistics"}'
	cp "$T/ng.json" "$T/stats.json"
	K_XDP=$(jget "$T/stats.json" .statistics.kernel.xdp)
	K_FWD=$(jget "$T/stats.json" \
		'.statistics.kernel.counters // {} | (.tx // 0) + (.redirect // 0)')
	K_XLATE=$(jget "$T/stats.json" '.statistics.kernel.counters.xlate // 0')
	[ "$K_XDP" = "$MODE" ] || fail "statistics.kernel.xdp '$K_XDP', expected $MODE"
	count "statistics.kernel.counters tx+redirect" "$K_FWD"
	count "statistics.kernel.counters.xlate" "$K_XLATE"
}

run_mode() { # MODE
	MODE=$1
	lab_spawn "$T/xrelayd-$MODE.log" "$NS_RELAY" "$XRELAYD" --foreground --log-stderr \
		--config-file=none --interface="a/$LAB_RELAY4_A" --interface="b/$LAB_RELAY4_B" \
		--listen-ng=$NG --port-min=30000 --port-max=30999 --port-quarantine=0 \
		--log-level=info --state-dir=none --xdp="$MODE" --pin-root="$PIN_ROOT"
	XPID=$LAST_PID
	_i=0
	until nsx "$NS_RELAY" "$NGCLI" -t 200 -s "$NG" '{"command":"ping"}' 2>/dev/null |
		grep -q pong; do
		alive "$XPID" || fail "xrelayd exited at start"
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || fail "xrelayd does not answer ng ping within 5 s"
		sleep 0.1
	done
	statistics
	K_FWD0=$K_FWD K_XLATE0=$K_XLATE
	call xlate 8 40000 42000
	call pass 0 40010 42010
	kill "$XPID"
	wait_exit "$XPID" 5 || fail "xrelayd still runs 5 s after SIGTERM"
	reap "$XPID"
	XPID=""
	[ "$REAPED" -eq 0 ] || [ "$REAPED" -eq 143 ] || fail "xrelayd exited with status $REAPED"
	echo "mode $MODE: ok"
}

lab_check_tools >"$T/tools" || fail "$(cat "$T/tools")"
for c in jq ss; do
	command -v "$c" >/dev/null 2>&1 || fail "$c not found (tools/install-deps installs it)"
done
for b in "$XRELAYD" "$RTPGEN" "$NGCLI" "$RELAYCTL"; do
	[ -x "$b" ] || fail "$b not built (make)"
done
"$RTPGEN" --help | grep -q -- --g711 || fail "$RTPGEN has no --g711"
lab_up $$ 2>"$T/lab.err" || fail "cannot build the namespace lab: $(cat "$T/lab.err")"
for m in $MODES; do
	run_mode "$m"
done
