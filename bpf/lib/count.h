/* SPDX-License-Identifier: GPL-2.0-only */
/* Counters: the global verdict and reason counters every exit goes through, and the per-entry
 * counters of forwarded packets. BPF only. */
#ifndef XRELAY_BPF_LIB_COUNT_H
#define XRELAY_BPF_LIB_COUNT_H

#include "maps.h"
#include "check.h"

static __always_inline void xr_count(__u32 counter)
{
	__u64 *c = bpf_map_lookup_elem(&xr_global, &counter);

	if (c)
		*c += 1; /* per-CPU: no atomics */
}

/* The one exit of the program: counts exactly one verdict and, for PASS and DROP, exactly one
 * reason. code is XR_C_TX or XR_C_REDIRECT (action is then the XDP action to return), or a
 * punt or drop reason. */
static __always_inline int xr_exit(__u32 code, int action)
{
	if (code == XR_C_TX || code == XR_C_REDIRECT) {
		xr_count(code);
		return action;
	}
	if (code >= XR_C_FIRST_DROP) {
		xr_count(XR_C_DROP);
		xr_count(code);
		return XDP_DROP;
	}
	xr_count(XR_C_PASS);
	xr_count(code);
	return XDP_PASS;
}

/* A forwarded packet: its entry's counters (now: the clock for last_ns), and the last SSRC and
 * sequence number for RTP. */
static __always_inline void xr_count_forward(const struct xr_pkt *pkt, const struct xr_fwd_entry *e,
					     int media, __u64 now)
{
	__u32 idx = e->stats_idx;
	struct xr_entry_stats *s = bpf_map_lookup_elem(&xr_stats, &idx);
	const __u8 *p = pkt->payload;

	if (!s)
		return;
	s->packets += 1;
	s->bytes += pkt->payload_len;
	s->last_ns = now;
	if (media == XR_MEDIA_RTCP || (void *)(p + XR_RTP_HDR_LEN) > pkt->end)
		return;
	s->last_seq = (__u16)(p[2] << 8 | p[3]);
	s->last_ssrc = (__u32)p[8] << 24 | (__u32)p[9] << 16 | (__u32)p[10] << 8 | p[11];
}

#endif
