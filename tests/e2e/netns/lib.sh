# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The namespace lab, sourced by tests/e2e/netns_lab.sh (and usable by benchmarks): three network
# namespaces, caller <-veth-> relay <-veth-> callee, IPv4 and IPv6, static neighbours.
#
#   caller xr0 10.11.1.2  fd00:11:1::2 ---- xr1 10.11.1.1 fd00:11:1::1  relay
#   callee xr3 10.11.2.2  fd00:11:2::2 ---- xr2 10.11.2.1 fd00:11:2::1  relay
#              10.11.2.3  fd00:11:2::3      (a second callee address, for moves)
#
# The relay-side veths (xr1, xr2) are left bare for xrelayd's XDP program. The endpoint-side
# veths get what a veth needs to take frames an XDP program redirects into its peer (LAB_PEER:
# "gro", the default, turns GRO on, which gives the veth NAPI; "none" leaves it off, to show
# the difference) and TX checksum offload off, so locally sent UDP carries a full checksum.
# LAB_FORWARDING=1 (or all) turns IP forwarding on in the relay namespace, =lo on its loopback
# only (off by default: the daemon must set up what its fast path needs itself).
#
# LAB_ATTACKER=1 adds a fourth namespace, a stranger on the caller's side (IPv4 only): its
# packets reach the relay through the caller's namespace, which routes them, so they arrive on
# the relay's xr1 and meet the XDP program there, as a sprayer on the caller's network would.
#
#   attacker xr5 10.11.3.2 ---- xr4 10.11.3.1 caller (forwarding on) xr0 ---- xr1 relay
#
# Needs root, iproute2, ethtool and nsenter (util-linux). Commands run in a namespace through
# `nsenter --net=`, which changes only the network namespace: /sys/fs/bpf stays the host's.

LAB_NET4_A=10.11.1
LAB_NET4_B=10.11.2
LAB_NET6_A=fd00:11:1:
LAB_NET6_B=fd00:11:2:
LAB_MAC_CALLER=02:00:0a:0b:01:02
LAB_MAC_RELAY_A=02:00:0a:0b:01:01
LAB_MAC_RELAY_B=02:00:0a:0b:02:01
LAB_MAC_CALLEE=02:00:0a:0b:02:02

# Addresses, for the scripts that use the lab.
LAB_CALLER4=$LAB_NET4_A.2
LAB_RELAY4_A=$LAB_NET4_A.1
LAB_RELAY4_B=$LAB_NET4_B.1
LAB_CALLEE4=$LAB_NET4_B.2
LAB_CALLEE4_ALT=$LAB_NET4_B.3
LAB_CALLER6=$LAB_NET6_A:2
LAB_RELAY6_A=$LAB_NET6_A:1
LAB_RELAY6_B=$LAB_NET6_B:1
LAB_CALLEE6=$LAB_NET6_B:2
LAB_CALLEE6_ALT=$LAB_NET6_B:3
LAB_NET4_X=10.11.3
LAB_ATTACKER4=$LAB_NET4_X.2
LAB_GW4_X=$LAB_NET4_X.1 # the caller's side of the attacker's link
LAB_MAC_ATTACKER=02:00:0a:0b:03:02
LAB_MAC_GW_X=02:00:0a:0b:03:01

lab_names() { # ID -- sets the namespace names; the ID (a PID) keeps parallel runs apart
	# shellcheck disable=SC2034 # for the scripts that use the lab
	LAB_ID=$1
	NS_CALLER=xr-caller-$1
	NS_RELAY=xr-relay-$1
	NS_CALLEE=xr-callee-$1
	NS_ATTACKER=xr-attack-$1
}

nsx() { # NAMESPACE CMD... -- runs CMD in the network namespace only
	_ns=$1
	shift
	nsenter --net="/run/netns/$_ns" -- "$@"
}

lab_check_tools() { # prints what is missing; 1 when something is
	_missing=""
	[ "$(id -u)" -eq 0 ] || _missing="$_missing root"
	for _t in ip ethtool nsenter; do
		command -v "$_t" >/dev/null 2>&1 || _missing="$_missing $_t"
	done
	[ -z "$_missing" ] && return 0
	echo "missing:$_missing"
	return 1
}

# lab_endpoint NS DEV MAC IP4 IP6 RELAY_IP4 RELAY_IP6 RELAY_MAC [ALT_IP4 ALT_IP6]
lab_endpoint() {
	_ns=$1 _dev=$2
	ip -n "$_ns" link set "$_dev" address "$3" || return 1
	ip -n "$_ns" addr add "$4/24" dev "$_dev" || return 1
	ip -n "$_ns" addr add "$5/64" dev "$_dev" nodad || return 1
	if [ $# -ge 10 ]; then
		ip -n "$_ns" addr add "$9/24" dev "$_dev" || return 1
		ip -n "$_ns" addr add "${10}/64" dev "$_dev" nodad || return 1
	fi
	ip -n "$_ns" link set "$_dev" up || return 1
	ip -n "$_ns" neigh replace "$6" lladdr "$8" dev "$_dev" nud permanent || return 1
	ip -n "$_ns" -6 neigh replace "$7" lladdr "$8" dev "$_dev" nud permanent || return 1
	ip -n "$_ns" route add default via "$6" dev "$_dev" || return 1
	ip -n "$_ns" -6 route add default via "$7" dev "$_dev" || return 1
	nsx "$_ns" ethtool -K "$_dev" tx off >/dev/null || return 1
	case ${LAB_PEER:-gro} in
	gro) nsx "$_ns" ethtool -K "$_dev" gro on >/dev/null || return 1 ;;
	none) ;;
	*)
		echo "lab: LAB_PEER must be gro or none" >&2
		return 1
		;;
	esac
}

# lab_relay_side DEV MAC IP4 IP6 PEER_MAC PEER_IP4 PEER_IP6 [PEER_ALT_IP4 PEER_ALT_IP6]
lab_relay_side() {
	_dev=$1
	ip -n "$NS_RELAY" link set "$_dev" address "$2" || return 1
	ip -n "$NS_RELAY" addr add "$3/24" dev "$_dev" || return 1
	ip -n "$NS_RELAY" addr add "$4/64" dev "$_dev" nodad || return 1
	ip -n "$NS_RELAY" link set "$_dev" up || return 1
	shift 4
	_mac=$1
	shift
	while [ $# -ge 2 ]; do
		ip -n "$NS_RELAY" neigh replace "$1" lladdr "$_mac" dev "$_dev" nud permanent ||
			return 1
		ip -n "$NS_RELAY" -6 neigh replace "$2" lladdr "$_mac" dev "$_dev" nud permanent ||
			return 1
		shift 2
	done
}

lab_up() { # ID -- builds the lab; 1 (with a message on stderr) when a step fails
	lab_names "$1"
	lab_down 2>/dev/null # a namespace left by a dead run with the same PID
	for _n in "$NS_CALLER" "$NS_RELAY" "$NS_CALLEE"; do
		ip netns add "$_n" || return 1
		ip -n "$_n" link set lo up || return 1
	done
	# Made inside the namespaces, so the names never meet in the host's.
	ip -n "$NS_CALLER" link add xr0 type veth peer name xr1 netns "$NS_RELAY" || return 1
	ip -n "$NS_CALLEE" link add xr3 type veth peer name xr2 netns "$NS_RELAY" || return 1
	lab_relay_side xr1 $LAB_MAC_RELAY_A $LAB_RELAY4_A $LAB_RELAY6_A \
		$LAB_MAC_CALLER $LAB_CALLER4 $LAB_CALLER6 || return 1
	lab_relay_side xr2 $LAB_MAC_RELAY_B $LAB_RELAY4_B $LAB_RELAY6_B \
		$LAB_MAC_CALLEE $LAB_CALLEE4 $LAB_CALLEE6 $LAB_CALLEE4_ALT $LAB_CALLEE6_ALT ||
		return 1
	lab_endpoint "$NS_CALLER" xr0 $LAB_MAC_CALLER $LAB_CALLER4 $LAB_CALLER6 \
		$LAB_RELAY4_A $LAB_RELAY6_A $LAB_MAC_RELAY_A || return 1
	lab_endpoint "$NS_CALLEE" xr3 $LAB_MAC_CALLEE $LAB_CALLEE4 $LAB_CALLEE6 \
		$LAB_RELAY4_B $LAB_RELAY6_B $LAB_MAC_RELAY_B $LAB_CALLEE4_ALT $LAB_CALLEE6_ALT ||
		return 1
	if [ "${LAB_ATTACKER:-0}" = 1 ]; then
		lab_attacker_up || return 1
	fi
	case ${LAB_FORWARDING:-0} in
	0) ;;
	1 | all | lo)
		_c=${LAB_FORWARDING#1}
		nsx "$NS_RELAY" sysctl -q -w "net.ipv4.conf.${_c:-all}.forwarding=1" || return 1
		nsx "$NS_RELAY" sysctl -q -w "net.ipv6.conf.${_c:-all}.forwarding=1" || return 1
		;;
	*)
		echo "lab: LAB_FORWARDING must be 0, 1 (all), all or lo" >&2
		return 1
		;;
	esac
}

# The attacker's namespace and link, and the routes through the caller (LAB_ATTACKER=1).
lab_attacker_up() {
	ip netns add "$NS_ATTACKER" || return 1
	ip -n "$NS_ATTACKER" link set lo up || return 1
	ip -n "$NS_ATTACKER" link add xr5 type veth peer name xr4 netns "$NS_CALLER" || return 1
	ip -n "$NS_CALLER" link set xr4 address $LAB_MAC_GW_X || return 1
	ip -n "$NS_CALLER" addr add $LAB_GW4_X/24 dev xr4 || return 1
	ip -n "$NS_CALLER" link set xr4 up || return 1
	ip -n "$NS_CALLER" neigh replace $LAB_ATTACKER4 lladdr $LAB_MAC_ATTACKER dev xr4 \
		nud permanent || return 1
	nsx "$NS_CALLER" sysctl -q -w net.ipv4.conf.all.forwarding=1 || return 1
	ip -n "$NS_ATTACKER" link set xr5 address $LAB_MAC_ATTACKER || return 1
	ip -n "$NS_ATTACKER" addr add $LAB_ATTACKER4/24 dev xr5 || return 1
	ip -n "$NS_ATTACKER" link set xr5 up || return 1
	ip -n "$NS_ATTACKER" neigh replace $LAB_GW4_X lladdr $LAB_MAC_GW_X dev xr5 nud permanent ||
		return 1
	ip -n "$NS_ATTACKER" route add default via $LAB_GW4_X dev xr5 || return 1
	nsx "$NS_ATTACKER" ethtool -K xr5 tx off >/dev/null || return 1
	# The relay answers (ICMP) through the caller; so would it relay, were the attacker latched.
	ip -n "$NS_RELAY" route add $LAB_NET4_X.0/24 via $LAB_CALLER4 dev xr1 || return 1
}

lab_down() { # deletes the namespaces (and so the veths); quiet about ones already gone
	for _n in "$NS_CALLER" "$NS_RELAY" "$NS_CALLEE" "$NS_ATTACKER"; do
		[ -e "/run/netns/$_n" ] && ip netns del "$_n"
	done
	return 0
}

lab_link_state() { # the XDP state and counters of every lab veth, for failure reports
	for _p in "$NS_CALLER:xr0" "$NS_RELAY:xr1" "$NS_RELAY:xr2" "$NS_CALLEE:xr3" \
		"$NS_CALLER:xr4" "$NS_ATTACKER:xr5"; do
		[ -e "/run/netns/${_p%%:*}" ] || continue
		echo "--- ${_p%%:*} ${_p#*:}"
		ip -n "${_p%%:*}" -d -s link show dev "${_p#*:}" 2>&1
	done
}

# For the lab tests, which also source tests/e2e/lib/proc.sh (spawn, reap, fail):
# lab_spawn LOG NAMESPACE CMD... -- CMD in NAMESPACE in the background; PID in LAST_PID, PIDS.
lab_spawn() {
	_log=$1 _ns=$2
	shift 2
	# nsenter execs CMD (no fork with --net alone): the PID is the command's.
	spawn "$_log" nsenter --net="/run/netns/$_ns" -- "$@"
}

# lab_reap_traffic DAEMON_PID -- reaps every spawned process but the daemon; fails naming the
# first that failed.
lab_reap_traffic() {
	for p in $PIDS; do
		[ "$p" = "$1" ] && continue
		reap "$p"
		[ "$REAPED" -eq 0 ] || fail "a traffic process (PID $p) exited with $REAPED"
	done
}

# lab_teardown PIN_ROOT PINS_EXISTED TMPDIR -- the namespaces, pins this run created, TMPDIR.
lab_teardown() {
	lab_down
	if [ "$2" = 0 ] && [ -d "$1" ]; then
		rm -rf "$1"
	fi
	rm -rf "$3"
}
