/* SPDX-License-Identifier: GPL-2.0-only */
/* The route of a rewritten packet: this CPU's cached next hop for the entry while it is fresh,
 * else bpf_fib_lookup with the new addresses; decided before anything is written, so a punted
 * packet reaches the daemon as it arrived. BPF only. */
#ifndef XRELAY_BPF_LIB_FIB_H
#define XRELAY_BPF_LIB_FIB_H

#include "maps.h"
#include "parse.h"
#include "rewrite.h"

#define XR_FIB_AF_INET	2
#define XR_FIB_AF_INET6 10

/* The lookup's one input that comes from the packet, not the entry: the IPv4 TOS, or the IPv6
 * traffic class and flow label (network order, as bpf_fib_lookup takes it). */
static __always_inline __u32 xr_fib_key(const struct xr_pkt *pkt)
{
	if (pkt->family == XR_AF_INET)
		return pkt->ip4->tos;
	return pkt->ip6->ver_tc_flow & bpf_htonl(0x0fffffff);
}

/* bpf_fib_lookup from interface "from" for the rewritten packet: 0 with nh's ifindex, MACs and
 * mtu filled, or the punt reason. */
static __always_inline int xr_fib(struct xdp_md *ctx, const struct xr_pkt *pkt,
				  const struct xr_fwd_entry *e, __u32 from, __u32 key,
				  struct xr_nhop *nh)
{
	struct bpf_fib_lookup fib;
	long rc;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.l4_protocol = XR_IPPROTO_UDP;
	fib.sport = e->new_sport;
	fib.dport = e->new_dport;
	fib.tot_len = pkt->l3_len; /* the MTU check: too big -> FRAG_NEEDED, punted */
	fib.ifindex = from;
	if (pkt->family == XR_AF_INET) {
		fib.family = XR_FIB_AF_INET;
		fib.tos = (__u8)key;
		fib.ipv4_src = e->new_saddr[0];
		fib.ipv4_dst = e->new_daddr[0];
	} else {
		fib.family = XR_FIB_AF_INET6;
		fib.flowinfo = key;
		__builtin_memcpy(fib.ipv6_src, e->new_saddr, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, e->new_daddr, sizeof(fib.ipv6_dst));
	}

	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return XR_C_PUNT_NO_NEIGH;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XR_C_PUNT_FIB;
	nh->ifindex = fib.ifindex;
	/* On success the XDP lookup (which checks the MTU) returns the route's MTU in mtu_result
	 * (Linux >= 5.12), 16 bits wide: an IPv6 MTU above 65535 wraps to a value below any
	 * packet's length, which the lookup just found to fit. */
	nh->mtu = fib.mtu_result >= pkt->l3_len ? fib.mtu_result : 0xffff;
	__builtin_memcpy(nh->smac, fib.smac, sizeof(nh->smac));
	__builtin_memcpy(nh->dmac, fib.dmac, sizeof(nh->dmac));
	return 0;
}

/* The next hop for the rewritten packet, looking up from from_ifindex (0: the ingress
 * interface). This CPU's cached answer in the entry's slot is used while it is fresh (expires
 * after now) and was made for this version of the entry (gen) with the same lookup inputs;
 * otherwise bpf_fib_lookup answers, and a success is cached for ttl_ns (0: no cache). The
 * cached MTU is checked like the lookup's: a packet longer is punted PUNT_FIB.
 * 0 with *out_ifindex and *l2 filled, or the punt reason. */
static __always_inline int xr_route(struct xdp_md *ctx, const struct xr_pkt *pkt,
				    const struct xr_fwd_entry *e, __u32 from_ifindex, __u64 now,
				    __u64 ttl_ns, __u32 *out_ifindex, struct xr_l2 *l2)
{
	__u32 idx = e->stats_idx, key = xr_fib_key(pkt);
	__u32 from = from_ifindex ? from_ifindex : ctx->ingress_ifindex;
	struct xr_nhop *c = NULL, nh;
	int err;

	if (ttl_ns)
		c = bpf_map_lookup_elem(&xr_nhop, &idx);
	if (c && c->expires_ns > now && c->gen == e->gen && c->fib_key == key &&
	    (from_ifindex || c->iif == from)) {
		if (pkt->l3_len > c->mtu)
			return XR_C_PUNT_FIB;
		*out_ifindex = c->ifindex;
		__builtin_memcpy(l2->smac, c->smac, sizeof(l2->smac));
		__builtin_memcpy(l2->dmac, c->dmac, sizeof(l2->dmac));
		return 0;
	}

	err = xr_fib(ctx, pkt, e, from, key, &nh);
	if (err)
		return err;
	*out_ifindex = nh.ifindex;
	__builtin_memcpy(l2->smac, nh.smac, sizeof(l2->smac));
	__builtin_memcpy(l2->dmac, nh.dmac, sizeof(l2->dmac));
	if (!c || from > 0xffff)
		return 0;
	/* Per CPU and written by this program only: nothing else runs on this copy now. */
	nh.expires_ns = now + ttl_ns;
	nh.gen = e->gen;
	nh.fib_key = key;
	nh.iif = (__u16)from;
	*c = nh;
	return 0;
}

#endif
