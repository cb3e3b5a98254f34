/* SPDX-License-Identifier: GPL-2.0-only */
/* Types, byte order and inlining for the fast path's pure helpers (parse, check, csum, rewrite),
 * which compile both as BPF (clang -target bpf, vmlinux.h) and natively for unit tests. */
#ifndef XRELAY_BPF_LIB_BASE_H
#define XRELAY_BPF_LIB_BASE_H

#ifdef __bpf__
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#else
#include <linux/types.h>
#endif
#include <bpf/bpf_endian.h>

#include "xrelay/abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Packet bytes follow a 14- or 18-byte Ethernet header, so headers are only 2-byte aligned. */
#define XR_WIRE __attribute__((packed, aligned(2)))

/* The counter an exit is accounted to; helpers return 0 ("go on") or one of these, and no
 * punt or drop reason is 0 (the verdicts come first in enum xr_counter). */
#define XR_ONE(name, str) +1
enum { XR_N_DROP_REASONS = 0 XR_DROP_REASONS(XR_ONE) };
#undef XR_ONE
#define XR_C_FIRST_DROP (XR_C_MAX - XR_N_DROP_REASONS)
_Static_assert(XR_C_PUNT_NOT_IP > XR_C_DROP, "verdicts precede reasons");

#endif
