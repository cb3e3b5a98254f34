/* SPDX-License-Identifier: GPL-2.0-only */
/* Turns a received packet into the relay's own: new L2 next hop, new source and destination
 * address and port, a fresh TTL / hop limit, checksums updated incrementally. Pure, like
 * parse.h; the caller has done every check that could punt, so this never fails. */
#ifndef XRELAY_BPF_LIB_REWRITE_H
#define XRELAY_BPF_LIB_REWRITE_H

#include "csum.h"
#include "parse.h"

/* The next hop's and our L2 addresses, as bpf_fib_lookup answers them. */
struct xr_l2 {
	__u8 smac[6];
	__u8 dmac[6];
};

static __always_inline void xr_rewrite_ip4(struct xr_pkt *pkt, const struct xr_fwd_entry *e,
					   __u64 l4, __u8 ttl)
{
	struct xr_ip4 *ip = pkt->ip4;
	struct xr_udp *udp = pkt->udp;
	__u64 addrs;

	addrs = xr_csum_diff32(ip->saddr, e->new_saddr[0]) +
		xr_csum_diff32(ip->daddr, e->new_daddr[0]);
	/* TTL is the high byte of the 16-bit word it shares with the protocol. */
	ip->check = xr_csum_update(
		ip->check, addrs + xr_csum_diff16(bpf_htons(ip->ttl << 8), bpf_htons(ttl << 8)));
	ip->ttl = ttl;
	ip->saddr = e->new_saddr[0];
	ip->daddr = e->new_daddr[0];
	/* A zero UDP checksum over IPv4 means "none" and stays so. */
	if (udp->check)
		udp->check = xr_csum_update_udp(udp->check, addrs + l4);
}

static __always_inline void xr_rewrite_ip6(struct xr_pkt *pkt, const struct xr_fwd_entry *e,
					   __u64 l4, __u8 hop_limit)
{
	struct xr_ip6 *ip = pkt->ip6;
	struct xr_udp *udp = pkt->udp;
	__u64 addrs = 0;
	int i;

	for (i = 0; i < 4; i++) {
		addrs += xr_csum_diff32(ip->saddr[i], e->new_saddr[i]);
		addrs += xr_csum_diff32(ip->daddr[i], e->new_daddr[i]);
		ip->saddr[i] = e->new_saddr[i];
		ip->daddr[i] = e->new_daddr[i];
	}
	ip->hop_limit = hop_limit;
	/* IPv6 has no header checksum, and the UDP one is mandatory (RFC 8200, 8.1). */
	udp->check = xr_csum_update_udp(udp->check, addrs + l4);
}

/* Rewrites pkt in place to go from e->new_saddr:new_sport to e->new_daddr:new_dport through the
 * next hop l2. A VLAN tag, if any, stays as it was. payload: the UDP checksum difference of
 * what the caller changed in the payload already (xr_xlate), else 0. */
static __always_inline void xr_rewrite(struct xr_pkt *pkt, const struct xr_fwd_entry *e,
				       const struct xr_l2 *l2, __u8 ttl, __u64 payload)
{
	struct xr_udp *udp = pkt->udp;
	__u64 l4; /* the UDP checksum difference of ports and payload */

	__builtin_memcpy(pkt->eth->dst, l2->dmac, sizeof(l2->dmac));
	__builtin_memcpy(pkt->eth->src, l2->smac, sizeof(l2->smac));

	l4 = xr_csum_diff16(udp->source, e->new_sport) + xr_csum_diff16(udp->dest, e->new_dport) +
	     payload;
	udp->source = e->new_sport;
	udp->dest = e->new_dport;

	if (pkt->family == XR_AF_INET)
		xr_rewrite_ip4(pkt, e, l4, ttl);
	else
		xr_rewrite_ip6(pkt, e, l4, ttl);
}

#endif
