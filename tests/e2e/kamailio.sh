#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Interop with a real SIP proxy: sipp UAC -> Kamailio (rtpengine module) -> sipp UAS, media
# anchored by the relay over ng; passes when the call completes and RTP was relayed both ways.
# RELAY_CMD overrides the relay (default build/xrelayd); it must listen for ng on NG_PORT.
# E2E_VERBOSE=1 prints the logs even when the test passes.
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/lib/kamailio.sh
. "$ROOT/tests/e2e/lib/kamailio.sh"

# Fixed because kamailio.cfg and the sipp scenarios name them too.
PROXY_PORT=5070
UAC_PORT=5080
UAS_PORT=5090
NG_PORT=2230
UAC_MEDIA=18200 # below the ephemeral ports (32768-) and every relay range
UAS_MEDIA=18300
RELAY_CMD=${RELAY_CMD:-build/xrelayd --interface=$IP --listen-ng=$IP:$NG_PORT \
--port-min=35000 --port-max=35999 --foreground --log-stderr --state-dir=none}
PCAP=${PCAP:-/usr/share/sip-tester/g711a.pcap}

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-kamailio.XXXXXX") || exit 1

logs() {
	show_log "relay" "$T/relay.log"
	show_log "kamailio" "$T/kamailio.log"
	show_log "sipp UAS errors" "$T/uas_err.log"
	show_log "sipp UAS messages" "$T/uas_msg.log"
	show_log "sipp UAS output" "$T/uas.out"
	show_log "sipp UAC errors" "$T/uac_err.log"
	show_log "sipp UAC messages" "$T/uac_msg.log"
	show_log "sipp UAC output" "$T/uac.out"
	show_log "ng client errors" "$T/ng.err"
	show_log "last ng query reply" "$T/query.json"
}

teardown() {
	rm -rf "$T"
}
on_exit logs teardown
trap 'exit 130' INT TERM

ng() { # COMMAND [CALL-ID] -- one ng request; prints the reply as one line of JSON
	if [ $# -gt 1 ]; then
		timeout 3 build/ngcli -s "$IP:$NG_PORT" "{\"command\":\"$1\",\"call-id\":\"$2\"}"
	else
		timeout 3 build/ngcli -s "$IP:$NG_PORT" "{\"command\":\"$1\"}"
	fi
}

# Sum of RTP packets each party sent into the relay, one line per tag ("TAG N").
TAG_PACKETS='.tags // {} | to_entries[] |
	"\(.key) \([.value.medias[]?.streams[]? | .stats.packets // 0] | add // 0)"'

for c in kamailio sipp jq ss; do
	command -v "$c" >/dev/null || fail "$c not found (tools/install-deps installs it)"
done
[ -x build/ngcli ] || fail "build/ngcli not found (make all)"
[ -r "$PCAP" ] || fail "no RTP pcap at $PCAP (package sip-tester ships it; or set PCAP)"
for port in $PROXY_PORT $UAC_PORT $UAS_PORT $NG_PORT $UAC_MEDIA $UAS_MEDIA; do
	udp_bound "$port" && fail "UDP port $port on this machine is in use already"
done
# shellcheck disable=SC2086 # split on purpose: the first word is the program
set -- $RELAY_CMD
[ -x "$1" ] || command -v "$1" >/dev/null ||
	fail "relay '$1' not found: build it (make) or set RELAY_CMD"

# The relay first: Kamailio's rtpengine module pings it once when it starts.
spawn "$T/relay.log" sh -c "exec $RELAY_CMD"
PID_relay=$LAST_PID
wait_udp "$NG_PORT" "$PID_relay" relay
i=0
until ng ping 2>>"$T/ng.err" | grep -q '"result": *"pong"'; do
	alive "$PID_relay" || fail "relay exited"
	i=$((i + 1))
	[ "$i" -le 20 ] || fail "relay does not answer ng ping on $IP:$NG_PORT"
	sleep 0.1
done

start_kamailio kamailio.cfg

# sipp looks for the scenario's audio.pcap next to the scenario.
cp "$DIR/uac.xml" "$DIR/uas.xml" "$T/" || fail "cannot copy the sipp scenarios to $T"
ln -s "$PCAP" "$T/audio.pcap"
spawn "$T/uas.out" sipp -sf "$T/uas.xml" -i "$IP" -p "$UAS_PORT" -mi "$IP" \
	-mp "$UAS_MEDIA" -rtp_echo -m 1 -nostdin -timeout 20 -timeout_error \
	-trace_err -error_file "$T/uas_err.log" -trace_msg -message_file "$T/uas_msg.log"
PID_uas=$LAST_PID
wait_udp "$UAS_PORT" "$PID_uas" "sipp UAS"

spawn "$T/uac.out" sipp "$IP:$PROXY_PORT" -sf "$T/uac.xml" -s uas -i "$IP" \
	-p "$UAC_PORT" -mi "$IP" -mp "$UAC_MEDIA" -m 1 -nostdin -timeout 15 -timeout_error \
	-cid_str "xrelay-e2e-%p-%u@%s" \
	-trace_err -error_file "$T/uac_err.log" -trace_msg -message_file "$T/uac_msg.log"
PID_uac=$LAST_PID
CALL_ID="xrelay-e2e-$PID_uac-1@$IP"

# While the call is up (3 s of it), poll until both parties' RTP has gone into the relay and
# the echo has come back out to the UAC: sipp 3.6.1 never reads its RTP socket, so what the relay
# delivered there stays in the socket's receive queue.
both_ways=0
uac_rx=0
i=0
while alive "$PID_uac" && [ "$i" -lt 40 ]; do
	i=$((i + 1))
	if [ "$both_ways" -eq 0 ] && ng query "$CALL_ID" >"$T/reply.json" 2>>"$T/ng.err" &&
		jq -e '.result == "ok"' "$T/reply.json" >/dev/null 2>&1; then
		cp "$T/reply.json" "$T/query.json"
		jq -e '[.tags // {} | .[] | [.medias[]?.streams[]? | .stats.packets // 0] |
			add // 0] | length == 2 and all(. > 0)' "$T/query.json" >/dev/null &&
			both_ways=1
	fi
	q=$(ss -Huan "sport = :$UAC_MEDIA" 2>/dev/null | awk '{ print $2; exit }')
	[ "${q:-0}" -gt 0 ] && uac_rx=1
	[ "$both_ways" -eq 1 ] && [ "$uac_rx" -eq 1 ] && break
	sleep 0.1
done

wait_exit "$PID_uac" 15 || fail "sipp UAC did not finish the call within 15 s"
reap "$PID_uac"
uac_rc=$REAPED
wait_exit "$PID_uas" 5 || fail "sipp UAS did not finish after the call"
reap "$PID_uas"
uas_rc=$REAPED

problems=""
[ "$uac_rc" -eq 0 ] || problems="$problems; sipp UAC exited $uac_rc (the call did not complete)"
[ "$uas_rc" -eq 0 ] || problems="$problems; sipp UAS exited $uas_rc"
if [ -s "$T/query.json" ]; then
	echo "packets into the relay per tag (call-id $CALL_ID):"
	jq -r "$TAG_PACKETS" "$T/query.json" | sed 's/^/  /'
	[ "$both_ways" -eq 1 ] || problems="$problems; the relay did not see RTP from both parties"
	[ "$uac_rx" -eq 1 ] || problems="$problems; no RTP came back from the relay to the UAC"
else
	problems="$problems; no successful ng query for call-id $CALL_ID while the call was up"
fi
[ -z "$problems" ] || fail "${problems#; }"
echo "ok: call completed through Kamailio, RTP relayed both ways"
