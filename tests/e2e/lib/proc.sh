# SPDX-License-Identifier: GPL-2.0-only
# Background processes for the end-to-end scripts (sourced, POSIX sh): start them, wait for and
# reap them, and on exit stop only the PIDs started here, then show the logs when the test fails.
#
# Names starting _proc_ are this file's own.
# shellcheck shell=sh

PIDS=""   # what spawn started and reap has not yet reaped, newest first
FAILED="" # why the script failed, for the last line it prints

alive() { # PID
	kill -0 "$1" 2>/dev/null
}

spawn() { # LOG CMD... -- runs CMD in the background; its PID in LAST_PID and PIDS
	_proc_log=$1
	shift
	"$@" >"$_proc_log" 2>&1 &
	# shellcheck disable=SC2034 # for the script
	LAST_PID=$!
	PIDS="$LAST_PID $PIDS"
}

reap() { # PID -- waits for PID and forgets it, so the EXIT trap never signals a reused PID
	wait "$1"
	# shellcheck disable=SC2034 # for the script
	REAPED=$?
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /")
}

wait_exit() { # PID SECONDS -- polls until PID is gone; 1 when it outlives SECONDS
	_proc_i=0
	while alive "$1"; do
		_proc_i=$((_proc_i + 1))
		[ "$_proc_i" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

show_log() { # TITLE FILE [LINES] -- the last LINES (60) of FILE, when it has any
	[ -s "$2" ] || return 0
	echo "===== $1 ($2, last ${3:-60} lines) ====="
	tail -n "${3:-60}" "$2"
}

# The log of every xrelayd in $T without libbpf's lines (the last LINES of each), then the last
# OUT lines of every tool's *.out there.
show_lab_logs() { # LINES OUT
	for _f in "$T"/xrelayd-*.log; do
		[ -f "$_f" ] || continue
		grep -v 'libbpf: ' "$_f" >"$_f.short"
		show_log "xrelayd log (without libbpf's)" "$_f.short" "$1"
	done
	for _f in "$T"/*.out; do
		[ -s "$_f" ] && echo "--- ${_f##*/}: $(tail -n "$2" "$_f")"
	done
	return 0
}

# Sets the EXIT trap: it stops every process still in PIDS (TERM, KILL after 3 s), runs LOGS
# when the script failed or E2E_VERBOSE is set, then TEARDOWN; prints "FAIL: ..." on a failure
# and exits with the script's status. The script sets its own INT and TERM traps (exit 130).
on_exit() { # LOGS TEARDOWN -- function names
	_proc_logs=$1
	_proc_teardown=$2
	trap '_proc_exit $?' EXIT
}

_proc_exit() { # STATUS
	trap - EXIT INT TERM
	for _proc_p in $PIDS; do
		kill "$_proc_p" 2>/dev/null
	done
	for _proc_p in $PIDS; do
		wait_exit "$_proc_p" 3 || kill -KILL "$_proc_p" 2>/dev/null
		wait "$_proc_p" 2>/dev/null
	done
	PIDS=""
	if [ "$1" -ne 0 ] || [ -n "${E2E_VERBOSE:-}" ]; then
		"$_proc_logs"
	fi
	"$_proc_teardown"
	[ "$1" -eq 0 ] || echo "FAIL: ${FAILED:-exit status $1}"
	exit "$1"
}
