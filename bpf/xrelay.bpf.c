// SPDX-License-Identifier: GPL-2.0-only
/* The XDP fast path: forwards latched plain RTP/RTCP between relay sockets in the kernel, and
 * passes everything else, unmodified, to the daemon. docs/xdp.md describes every verdict. */
#include "maps.h"
#include "lib/check.h"
#include "lib/count.h"
#include "lib/fib.h"
#include "lib/parse.h"
#include "lib/rewrite.h"
#include "lib/xlate.h"

/* Knobs, set through the skeleton's rodata before load. */
/* The TTL / hop limit of forwarded packets: the relay sends a fresh packet, it is no router. */
const volatile __u8 xr_ttl = 64;
/* The interface bpf_fib_lookup looks up from, which needs IP forwarding on: 1, loopback (the
 * daemon enables net.ipv{4,6}.conf.lo.forwarding), or 0, the ingress interface. */
const volatile __u32 xr_fib_ifindex = 1;
/* last_ns from bpf_ktime_get_coarse_ns(): the same CLOCK_MONOTONIC, as of the last tick, and
 * ~20 ns cheaper per packet on a KVM guest; enough for timeouts and "last seen". */
const volatile __u8 xr_coarse_clock = 0;
/* How long a CPU reuses an entry's next hop (egress, MACs, MTU) from bpf_fib_lookup before it
 * asks again: route and neighbour changes take up to this long to reach forwarded packets.
 * 0: no cache, every packet looks up. */
const volatile __u64 xr_nhop_ttl_ns = 1000000000;
/* The G.711 translation tables, indexed by XR_XLATE_* - 1: [0] u-law -> A-law, [1] A-law ->
 * u-law. xrelayd fills them from codec_ulaw_to_alaw() / codec_alaw_to_ulaw() before load;
 * left zero, a translated payload would come out all zero. */
const volatile __u8 xr_xlate_tbl[2][256];

static __always_inline __u64 xr_now(void)
{
	return xr_coarse_clock ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();
}

static __always_inline int xr_lookup(const struct xr_pkt *pkt, struct xr_fwd_entry **entry)
{
	struct xr_fwd_key key = {};
	struct xr_fwd_entry *e;

	key.port = pkt->udp->dest;
	key.family = pkt->family;
	if (pkt->family == XR_AF_INET)
		key.addr[0] = pkt->ip4->daddr;
	else
		__builtin_memcpy(key.addr, pkt->ip6->daddr, sizeof(key.addr));
	e = bpf_map_lookup_elem(&xr_fwd, &key);
	if (!e || e->family != pkt->family)
		return XR_C_PUNT_NO_ENTRY;
	*entry = e;
	return 0;
}

/* A packet leaving by another interface needs that interface in xr_dev; checked before the
 * rewrite, since a failed redirect passes the packet up. */
static __always_inline int xr_check_egress(struct xdp_md *ctx, __u32 ifindex)
{
	if (ifindex == ctx->ingress_ifindex)
		return 0;
	return bpf_map_lookup_elem(&xr_dev, &ifindex) ? 0 : XR_C_PUNT_REDIRECT;
}

SEC("xdp")
int xrelay_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xr_fwd_entry *e = NULL;
	struct xr_pkt pkt;
	struct xr_l2 l2;
	__u32 egress = 0;
	__u64 now = 0, udp_diff = 0;
	int media = 0;
	int err, act;

	err = xr_parse(&pkt, data, data_end);
	if (!err)
		err = xr_lookup(&pkt, &e);
	if (!err)
		err = xr_check_source(&pkt, e);
	if (!err)
		err = xr_check_payload(&pkt, e, &media);
	if (!err) {
		now = xr_now(); /* the one clock read: cache expiry and last_ns */
		err = xr_route(ctx, &pkt, e, xr_fib_ifindex, now, xr_nhop_ttl_ns, &egress, &l2);
	}
	if (!err)
		err = xr_check_egress(ctx, egress);
	if (err)
		return xr_exit(err, XDP_PASS);

	/* From here on the packet is changed: no more punts but a lost redirect race. */
	if (media == XR_MEDIA_RTP_XLATE)
		/* one table pointer (not a branch per table): the verifier walks the loop once */
		udp_diff = xr_xlate(&pkt, xr_xlate_tbl[(e->xlate - 1) & 1], e->xlate_pt_out);
	xr_rewrite(&pkt, e, &l2, xr_ttl, udp_diff);
	if (egress == ctx->ingress_ifindex) {
		xr_count_forward(&pkt, e, media, now);
		return xr_exit(XR_C_TX, XDP_TX);
	}
	act = bpf_redirect_map(&xr_dev, egress, 0);
	if (act != XDP_REDIRECT)
		return xr_exit(XR_C_PUNT_REDIRECT, XDP_PASS);
	xr_count_forward(&pkt, e, media, now);
	return xr_exit(XR_C_REDIRECT, act);
}

char LICENSE[] SEC("license") = "GPL";
