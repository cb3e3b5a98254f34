/* SPDX-License-Identifier: GPL-2.0-only */
/* The route of a rewritten packet: bpf_fib_lookup with the new addresses, done before anything
 * is written so a punted packet reaches the daemon as it arrived. BPF only. */
#ifndef XRELAY_BPF_LIB_FIB_H
#define XRELAY_BPF_LIB_FIB_H

#include "parse.h"
#include "rewrite.h"

#define XR_FIB_AF_INET	2
#define XR_FIB_AF_INET6 10

/* Finds the next hop for the rewritten packet, looking up from from_ifindex (0: the ingress
 * interface): 0 with *out_ifindex and *l2 filled, or the punt reason. */
static __always_inline int xr_route(struct xdp_md *ctx, const struct xr_pkt *pkt,
				    const struct xr_fwd_entry *e, __u32 from_ifindex,
				    __u32 *out_ifindex, struct xr_l2 *l2)
{
	struct bpf_fib_lookup fib;
	long rc;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.l4_protocol = XR_IPPROTO_UDP;
	fib.sport = e->new_sport;
	fib.dport = e->new_dport;
	fib.tot_len = pkt->l3_len; /* the MTU check: too big -> FRAG_NEEDED, punted */
	fib.ifindex = from_ifindex ? from_ifindex : ctx->ingress_ifindex;
	if (pkt->family == XR_AF_INET) {
		fib.family = XR_FIB_AF_INET;
		fib.tos = pkt->ip4->tos;
		fib.ipv4_src = e->new_saddr[0];
		fib.ipv4_dst = e->new_daddr[0];
	} else {
		fib.family = XR_FIB_AF_INET6;
		fib.flowinfo = pkt->ip6->ver_tc_flow & bpf_htonl(0x0fffffff);
		__builtin_memcpy(fib.ipv6_src, e->new_saddr, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, e->new_daddr, sizeof(fib.ipv6_dst));
	}

	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return XR_C_PUNT_NO_NEIGH;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XR_C_PUNT_FIB;
	*out_ifindex = fib.ifindex;
	__builtin_memcpy(l2->smac, fib.smac, sizeof(l2->smac));
	__builtin_memcpy(l2->dmac, fib.dmac, sizeof(l2->dmac));
	return 0;
}

#endif
