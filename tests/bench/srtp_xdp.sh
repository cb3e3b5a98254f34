#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The SRTP-in-XDP investigation (docs/srtp-xdp.md): builds tests/bench/srtp_xdp/ into build/ with
# clang and bpftool, then (root) probes the BPF crypto kfuncs, checks the XDP unprotect against
# libsrtp2 and times it with BPF_PROG_RUN. Not part of make test or make bench.
set -u
cd "$(dirname "$0")/../.." || exit 1

SRC=tests/bench/srtp_xdp
O=build/tests/bench/srtp_xdp
OUT=${BENCH_OUT:-build/bench}
SIZES=${SRTP_XDP_SIZES:-160}
REPEAT=${SRTP_XDP_REPEAT:-200000}
TRIALS=${SRTP_XDP_TRIALS:-5}
CPU=${BENCH_RELAY_CPU:-0}

die() {
	echo "srtp-xdp: $*" >&2
	exit 1
}

skip() {
	echo "srtp-xdp: skipped: $*" >&2
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "needs root (BPF_PROG_RUN of XDP and syscall programs)"
for t in clang bpftool pkg-config; do
	command -v $t >/dev/null || skip "no $t"
done
pkg-config --exists libbpf libsrtp2 libcrypto || skip "needs libbpf-dev, libsrtp2-dev, libssl-dev"
bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "FUNC 'bpf_crypto_decrypt'" ||
	skip "this kernel has no BPF crypto kfuncs (Linux >= 6.10 with CONFIG_BPF_SYSCALL, CRYPTO_SKCIPHER)"

mkdir -p "$O" "$OUT" || die "can't create $O"
echo "srtp-xdp: building into $O/"
clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Ivmlinux/x86 \
	-c "$SRC/srtp_xdp.bpf.c" -o "$O/srtp_xdp.bpf.raw.o" || die "clang failed"
bpftool gen object "$O/srtp_xdp.bpf.o" "$O/srtp_xdp.bpf.raw.o" || die "bpftool gen object failed"
bpftool gen skeleton "$O/srtp_xdp.bpf.o" name srtp_xdp >"$O/srtp_xdp.skel.h" ||
	die "bpftool gen skeleton failed"
# shellcheck disable=SC2046
${CC:-gcc} -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter -I"$O" \
	$(pkg-config --cflags libbpf libsrtp2 libcrypto) "$SRC/srtp_xdp.c" -o "$O/srtp_xdp" \
	$(pkg-config --libs libbpf libsrtp2 libcrypto) || die "build of the loader failed"

PIN=""
taskset -c "$CPU" true 2>/dev/null && PIN="taskset -c $CPU"
sizes=""
for s in $SIZES; do
	sizes="$sizes -s $s"
done
LOG=$OUT/srtp_xdp.txt
: >"$LOG"
run() { # CMD...: its output on the terminal and in $LOG; a failure ends the script
	{
		"$@" 2>&1
		echo $? >"$O/rc"
	} | tee -a "$LOG"
	[ "$(cat "$O/rc")" = 0 ] || die "$* failed"
}
echo "srtp-xdp: kernel $(uname -r), $(date -u +%Y-%m-%d), CPU $CPU, load" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
run "$O/srtp_xdp" probe
# shellcheck disable=SC2086
run "$O/srtp_xdp" check $sizes -s 1 -s 17 -s 1280
# shellcheck disable=SC2086
run $PIN "$O/srtp_xdp" bench $sizes -n "$REPEAT" -t "$TRIALS"
echo "srtp-xdp: results in $LOG"
