# SPDX-License-Identifier: GPL-2.0-only
# What the Kamailio interop scripts share (sourced, POSIX sh; ROOT is the repository root): the
# process helpers of lib/proc.sh, fail, local UDP ports, and Kamailio started on a config of
# tests/e2e/kamailio/. The script sets T (its scratch directory) and PROXY_PORT before use.
# shellcheck shell=sh

# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"

DIR=$ROOT/tests/e2e/kamailio
# shellcheck disable=SC2034 # for the scripts
IP=127.0.0.1 # the configs and the sipp scenarios name it too

fail() {
	FAILED="$*"
	exit 1
}

udp_bound() { # PORT
	[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]
}

wait_udp() { # PORT PID WHAT -- polls up to 5 s for PID to bind PORT
	_kam_i=0
	while ! udp_bound "$1"; do
		alive "$2" || fail "$3 exited before binding UDP port $1"
		_kam_i=$((_kam_i + 1))
		[ "$_kam_i" -le 50 ] || fail "$3 did not bind UDP port $1 within 5 s"
		sleep 0.1
	done
}

start_kamailio() { # CONFIG -- its runtime files in $T/run; its PID in PID_kamailio
	mkdir "$T/run"
	spawn "$T/kamailio.log" kamailio -f "$DIR/$1" -DD -E -m 32 -M 4 \
		-Y "$T/run" -P "$T/run/kamailio.pid"
	PID_kamailio=$LAST_PID
	wait_udp "$PROXY_PORT" "$PID_kamailio" kamailio
}
