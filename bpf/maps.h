/* SPDX-License-Identifier: GPL-2.0-only */
/* The fast path's maps; names, sizes and value types come from include/xrelay/abi.h. */
#ifndef XRELAY_BPF_MAPS_H
#define XRELAY_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xrelay/abi.h"

/* The forwarding table: one entry per relay socket whose packets the kernel forwards.
 * Not preallocated: a relay with few calls should not pin memory for half a million. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XR_MAX_ENTRIES);
	__type(key, struct xr_fwd_key);
	__type(value, struct xr_fwd_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_fwd SEC(".maps");

/* Per-entry counters, per CPU, in the slot the entry names (the daemon allocates slots). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct xr_entry_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_stats SEC(".maps");

/* The next-hop cache: per CPU, in the slot the entry names (stats_idx), so that the hit path
 * skips bpf_fib_lookup. Only the program writes it, each CPU its own copy: no locks, no torn
 * values. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct xr_nhop);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_nhop SEC(".maps");

/* Global verdict, punt and drop counters, per CPU, indexed by enum xr_counter. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_global SEC(".maps");

/* Egress devices for bpf_redirect_map, keyed by ifindex; the daemon adds every interface
 * it attaches to. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, XR_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_dev SEC(".maps");

/* The ABI version of the pinned maps. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xr_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_meta SEC(".maps");

#endif
