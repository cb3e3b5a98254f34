/* SPDX-License-Identifier: GPL-2.0-only */
/* Parses Ethernet, one optional VLAN tag, IPv4 or IPv6 and UDP on (data, data_end) only, so the
 * same code runs in the XDP program and in native unit tests. */
#ifndef XRELAY_BPF_LIB_PARSE_H
#define XRELAY_BPF_LIB_PARSE_H

#include "base.h"

#define XR_ETH_P_IPV4	0x0800
#define XR_ETH_P_IPV6	0x86DD
#define XR_ETH_P_8021Q	0x8100
#define XR_ETH_P_8021AD 0x88A8
#define XR_IPPROTO_UDP	17
#define XR_IP4_MF	0x2000
#define XR_IP4_OFFSET	0x1FFF

struct xr_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
} XR_WIRE;

struct xr_vlan {
	__be16 tci;
	__be16 proto; /* the encapsulated EtherType */
} XR_WIRE;

struct xr_ip4 {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__be32 saddr;
	__be32 daddr;
} XR_WIRE;

struct xr_ip6 {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
} XR_WIRE;

struct xr_udp {
	__be16 source;
	__be16 dest;
	__be16 len;
	__u16 check;
} XR_WIRE;

/* One parsed frame. Every pointer lies inside [data, data_end), and the UDP payload's
 * payload_len bytes do too. */
struct xr_pkt {
	void *end; /* data_end */
	struct xr_eth *eth;
	struct xr_ip4 *ip4; /* exactly one of ip4, ip6 is set */
	struct xr_ip6 *ip6;
	struct xr_udp *udp;
	__u8 *payload;
	__u16 payload_len; /* UDP length - 8 */
	__u16 l3_len;	   /* IPv4 total length / IPv6 40 + payload length */
	__u8 family;	   /* XR_AF_INET, XR_AF_INET6 */
};

/* IPv6 next-header values that are extension headers (IANA "IPv6 Extension Header Types"):
 * hop-by-hop, routing, fragment, ESP, AH, destination options, mobility, HIP, shim6, and the
 * two experimental values. */
static __always_inline int xr_ip6_is_ext(__u8 nexthdr)
{
	switch (nexthdr) {
	case 0:
	case 43:
	case 44:
	case 50:
	case 51:
	case 60:
	case 135:
	case 139:
	case 140:
	case 253:
	case 254:
		return 1;
	default:
		return 0;
	}
}

static __always_inline int xr_parse_ip4(struct xr_pkt *pkt, void *l3, void *end)
{
	struct xr_ip4 *ip = l3;
	struct xr_udp *udp;
	__u16 tot_len, ulen;

	if ((void *)(ip + 1) > end)
		return XR_C_PUNT_MALFORMED;
	if ((ip->ver_ihl >> 4) != 4 || (ip->ver_ihl & 0xf) < 5)
		return XR_C_PUNT_MALFORMED;
	if (ip->protocol != XR_IPPROTO_UDP)
		return XR_C_PUNT_NOT_UDP;
	if ((ip->ver_ihl & 0xf) != 5)
		return XR_C_PUNT_IP_OPTIONS;
	if (ip->frag_off & bpf_htons(XR_IP4_MF | XR_IP4_OFFSET))
		return XR_C_PUNT_FRAGMENT;

	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return XR_C_PUNT_MALFORMED;
	tot_len = bpf_ntohs(ip->tot_len);
	ulen = bpf_ntohs(udp->len);
	/* Trailing bytes after tot_len (Ethernet padding) are allowed and ignored. */
	if (tot_len < sizeof(*ip) + sizeof(*udp) || (void *)ip + tot_len > end)
		return XR_C_PUNT_MALFORMED;
	if (ulen != tot_len - sizeof(*ip))
		return XR_C_PUNT_MALFORMED;

	pkt->ip4 = ip;
	pkt->udp = udp;
	pkt->l3_len = tot_len;
	pkt->payload_len = ulen - sizeof(*udp);
	pkt->family = XR_AF_INET;
	return 0;
}

static __always_inline int xr_parse_ip6(struct xr_pkt *pkt, void *l3, void *end)
{
	struct xr_ip6 *ip = l3;
	struct xr_udp *udp;
	__u16 plen, ulen;

	if ((void *)(ip + 1) > end)
		return XR_C_PUNT_MALFORMED;
	if ((bpf_ntohl(ip->ver_tc_flow) >> 28) != 6)
		return XR_C_PUNT_MALFORMED;
	if (ip->nexthdr != XR_IPPROTO_UDP)
		return xr_ip6_is_ext(ip->nexthdr) ? XR_C_PUNT_IPV6_EXT : XR_C_PUNT_NOT_UDP;

	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return XR_C_PUNT_MALFORMED;
	plen = bpf_ntohs(ip->payload_len);
	ulen = bpf_ntohs(udp->len);
	if (plen < sizeof(*udp) || (void *)(ip + 1) + plen > end)
		return XR_C_PUNT_MALFORMED;
	if (ulen != plen)
		return XR_C_PUNT_MALFORMED;

	pkt->ip6 = ip;
	pkt->udp = udp;
	pkt->l3_len = sizeof(*ip) + plen;
	pkt->payload_len = ulen - sizeof(*udp);
	pkt->family = XR_AF_INET6;
	return 0;
}

/* Fills pkt from the frame in [data, end): 0, or the punt reason (enum xr_counter). */
static __always_inline int xr_parse(struct xr_pkt *pkt, void *data, void *end)
{
	struct xr_eth *eth = data;
	void *l3 = eth + 1;
	__be16 proto;
	int err;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	pkt->end = end;
	if (l3 > end)
		return XR_C_PUNT_MALFORMED;
	pkt->eth = eth;
	proto = eth->proto;
	if (proto == bpf_htons(XR_ETH_P_8021Q) || proto == bpf_htons(XR_ETH_P_8021AD)) {
		struct xr_vlan *vlan = l3;

		if ((void *)(vlan + 1) > end)
			return XR_C_PUNT_MALFORMED;
		proto = vlan->proto; /* a second tag is not IP: punted as such */
		l3 = vlan + 1;
	}

	if (proto == bpf_htons(XR_ETH_P_IPV4))
		err = xr_parse_ip4(pkt, l3, end);
	else if (proto == bpf_htons(XR_ETH_P_IPV6))
		err = xr_parse_ip6(pkt, l3, end);
	else
		return XR_C_PUNT_NOT_IP;
	if (err)
		return err;
	pkt->payload = (__u8 *)(pkt->udp + 1);
	return 0;
}

#endif
